import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assignNetworkTensors, loadCheckpoint, saveCheckpoint } from './checkpoint.js';

describe('checkpoints', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('round-trips JSON state and float32/int32 tensors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const path = join(dir, 'checkpoint.ckpt');
    const a = tf.tensor([[1.5, -2], [3, 4.25]]);
    const b = tf.tensor([7, 8, 9], [3], 'int32');
    saveCheckpoint(path, { json: { epoch: 2, rng: [1, 2, 3, 4] }, tensors: { 'net/a': a, 'trainer/b': b } });
    const back = loadCheckpoint(path);
    expect(back.json).toEqual({ epoch: 2, rng: [1, 2, 3, 4] });
    expect(back.tensors['net/a']!.shape).toEqual([2, 2]);
    expect(Array.from(back.tensors['net/a']!.dataSync())).toEqual([1.5, -2, 3, 4.25]);
    expect(back.tensors['trainer/b']!.dtype).toBe('int32');
    expect(Array.from(back.tensors['trainer/b']!.dataSync())).toEqual([7, 8, 9]);
    expect(readdirSync(dir)).toEqual(['checkpoint.ckpt']); // no temp file left behind
  });

  it("restores a network's variables by name only when every one is there with its shape", () => {
    const vars = [
      { name: 'a/kernel', variable: tf.variable(tf.zeros([2, 3])) },
      { name: 'a/bias', variable: tf.variable(tf.zeros([3])) },
    ];
    const good = { 'net/a/kernel': tf.ones([2, 3]), 'net/a/bias': tf.fill([3], 2) };
    // the first variable fits, the second does not: nothing is assigned
    expect(() => assignNetworkTensors(vars, { ...good, 'net/a/bias': tf.ones([4]) }, 'f.ckpt', 'net/')).toThrow('f.ckpt: a/bias has shape [4]; the network expects [3]');
    expect(() => assignNetworkTensors(vars, { 'net/a/kernel': good['net/a/kernel'] }, 'f.ckpt', 'net/')).toThrow('f.ckpt: has no tensor for network variable a/bias');
    expect(Array.from(vars[0]!.variable.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    assignNetworkTensors(vars, good, 'f.ckpt', 'net/');
    expect(Array.from(vars[1]!.variable.dataSync())).toEqual([2, 2, 2]);
  });

  it('a failed save leaves the previous checkpoint intact and no temp files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const path = join(dir, 'checkpoint.ckpt');
    saveCheckpoint(path, { json: { step: 1 }, tensors: { w: tf.ones([4]) } });
    const before = readFileSync(path);
    expect(() => saveCheckpoint(path, { json: { step: 2 }, tensors: { w: tf.ones([4]), flag: tf.tensor([true], [1], 'bool') } })).toThrow(/unsupported dtype bool/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['checkpoint.ckpt']);
  });

  it('rejects a file that is not a checkpoint or is truncated, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    const junk = join(dir, 'junk.ckpt');
    writeFileSync(junk, 'hello world, not a checkpoint');
    expect(() => loadCheckpoint(junk)).toThrow(`${junk}: not a proxyless checkpoint`);
    const path = join(dir, 'c.ckpt');
    saveCheckpoint(path, { json: {}, tensors: { w: tf.ones([100]) } });
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 10));
    expect(() => loadCheckpoint(path)).toThrow(/truncated checkpoint \(tensor w/);
    expect(existsSync(path)).toBe(true);
  });

  it('checks the whole header before allocating anything: bad JSON, a wrong length, a negative or odd offset, a huge shape', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    /** A checkpoint file with this header text and `data` bytes of tensor data. */
    const craft = (header: string, data = 16): string => {
      const path = join(dir, `c${Math.random().toString(36).slice(2)}.ckpt`);
      const h = Buffer.from(header, 'utf8');
      const prefix = Buffer.alloc(16);
      prefix.write('PXLSCKPT', 0, 'ascii');
      prefix.writeUInt32LE(1, 8);
      prefix.writeUInt32LE(h.byteLength, 12);
      writeFileSync(path, Buffer.concat([prefix, h, Buffer.alloc(data)]));
      return path;
    };
    const entry = (e: Record<string, unknown>) => JSON.stringify({ json: {}, tensors: [{ name: 'net/w', dtype: 'float32', shape: [4], offset: 0, length: 16, ...e }] });
    // was: "Expected ':' after property name in JSON at position 10"
    const bad = craft('{"json":{x');
    expect(() => loadCheckpoint(bad)).toThrow(`${bad}: the checkpoint header is not valid JSON (`);
    // was: "Invalid typed array length" / "byte length of Float32Array should be a multiple of 4"
    const odd = craft(entry({ length: 10 }));
    expect(() => loadCheckpoint(odd)).toThrow(`${odd}: checkpoint tensor net/w: length: got 10; expected 16 bytes (4 per value of shape [4])`);
    const neg = craft(entry({ offset: -4 }));
    expect(() => loadCheckpoint(neg)).toThrow(`${neg}: checkpoint tensor net/w: offset: got -4; expected a non-negative multiple of 4`);
    const huge = craft(entry({ shape: [1e9, 1e9], length: 4e18 }));
    expect(() => loadCheckpoint(huge)).toThrow(`${huge}: truncated checkpoint (tensor net/w needs bytes up to 4000000000000000000 of the data, the file holds 16)`);
    const dtype = craft(entry({ dtype: 'complex64' }));
    expect(() => loadCheckpoint(dtype)).toThrow(`${dtype}: checkpoint tensor net/w: dtype: got "complex64"; expected "float32" or "int32"`);
    const list = craft('{"json":{},"tensors":{}}');
    expect(() => loadCheckpoint(list)).toThrow(`${list}: checkpoint header field "tensors": got {}; expected a list of tensor entries`);
  });
});

