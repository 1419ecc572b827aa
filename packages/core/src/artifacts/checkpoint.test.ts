import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';

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
});
