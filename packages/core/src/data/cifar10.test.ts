import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginContext } from '../di/plugin.js';
import { Rng } from '../random/rng.js';
import { augmentationFromOption, cutout } from './augment.js';
import { augmentSchema } from './data-options.js';
import { CIFAR10, CIFAR10_CLASS_NAMES, Cifar10FormatError, findCifar10Files, parseCifar10 } from './cifar10.js';
import { cifar10DataPlugin } from './cifar10-data-plugin.js';
import { runtimePlugins } from '../runtime/runtime-builtins.js';

const root = mkdtempSync(join(tmpdir(), 'proxyless-cifar-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Pixel value of image `i` at (y, x), channel c: a pattern that tells rows, columns, planes and images apart. */
const pixel = (i: number, y: number, x: number, c: number): number => (i * 7 + y * 3 + x * 5 + c * 11) % 256;

/** A binary batch file of `labels.length` records in the official layout (label byte, then R, G, B planes). */
function batchFile(dir: string, name: string, labels: number[], first = 0): string {
  const rec = CIFAR10.recordBytes;
  const bytes = new Uint8Array(labels.length * rec);
  labels.forEach((label, r) => {
    bytes[r * rec] = label;
    for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) bytes[r * rec + 1 + c * 1024 + y * 32 + x] = pixel(first + r, y, x, c);
  });
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function folder(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return dir;
}

const ctx = (configDir: string, logs: string[] = []): PluginContext => ({ rng: new Rng(1), configDir, log: (m) => logs.push(m) });

describe('CIFAR-10 binary format', () => {
  it('parses records into NHWC uint8 images (planes interleaved) and labels, files in order', () => {
    const dir = folder('parse');
    const a = batchFile(dir, 'data_batch_1.bin', [3, 9]);
    const b = batchFile(dir, 'data_batch_2.bin', [0], 2);
    const set = parseCifar10([a, b].map((p) => ({ name: p, bytes: new Uint8Array(readFileSync(p)) })));
    expect(set.shape).toEqual([3, 32, 32, 3]);
    expect(Array.from(set.labels)).toEqual([3, 9, 0]);
    for (const [i, y, x, c] of [[0, 0, 0, 0], [1, 5, 31, 2], [2, 31, 7, 1]] as const) {
      expect(set.images[((i * 32 + y) * 32 + x) * 3 + c]).toBe(pixel(i, y, x, c));
    }
  });

  it('a truncated file or a label above 9 names the file and the problem', () => {
    expect(() => parseCifar10([{ name: 'short.bin', bytes: new Uint8Array(3072) }])).toThrow(/short\.bin: 3072 bytes is not a whole number of 3073-byte records/);
    const bad = new Uint8Array(3073);
    bad[0] = 12;
    expect(() => parseCifar10([{ name: 'b.bin', bytes: bad }])).toThrow(Cifar10FormatError);
    expect(() => parseCifar10([{ name: 'b.bin', bytes: bad }])).toThrow(/b\.bin: record 0 has label 12; expected 0–9/);
  });

  it('finds data_batch_<k>.bin in numeric order and test_batch.bin; a folder without training batches is an error', () => {
    const dir = folder('find');
    for (const k of [10, 2, 1]) batchFile(dir, `data_batch_${k}.bin`, [k % 10]);
    batchFile(dir, 'test_batch.bin', [1]);
    writeFileSync(join(dir, 'batches.meta.txt'), CIFAR10_CLASS_NAMES.join('\n'));
    const f = findCifar10Files(dir);
    expect(f.train.map((p) => p.slice(dir.length + 1))).toEqual(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_10.bin']);
    expect(f.test).toBe(join(dir, 'test_batch.bin'));
    expect(() => findCifar10Files(folder('empty'))).toThrow(/has no data_batch_<k>\.bin file/);
    expect(() => findCifar10Files(join(root, 'nope'))).toThrow(/cannot be read/);
  });
});

describe('cifar10 data plugin', () => {
  it('is a built-in; loads train (validation held out) and test splits with class names, standardized, augmented', async () => {
    expect(runtimePlugins.map((p) => p.name)).toContain('cifar10');
    const dir = folder('plugin');
    batchFile(dir, 'data_batch_1.bin', [0, 1, 2, 3, 4, 5]);
    batchFile(dir, 'data_batch_2.bin', [6, 7, 8, 9], 6);
    batchFile(dir, 'test_batch.bin', [9, 8, 7], 10);
    const logs: string[] = [];
    const options = cifar10DataPlugin.options.parse({
      dir: '.',
      validation: 2,
      normalize: { mode: 'standardize', mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
      augment: ['random-crop', 'horizontal-flip', { name: 'cutout', length: 16 }],
    });
    const d = await (await cifar10DataPlugin.create(options, ctx(dir, logs))).load();
    expect(d.input).toEqual({ shape: [32, 32, 3], numClasses: 10 });
    expect(d.classNames).toEqual([...CIFAR10_CLASS_NAMES]);
    expect([d.train.size, d.validation.size, d.test!.size]).toEqual([8, 2, 3]);
    expect(logs[0]).toMatch(/^cifar10: 8 train \/ 2 validation \/ 3 test images of 32×32×3, 10 classes/);
    const [batch] = [...d.test!.batches(3)];
    expect(Array.from(batch!.y.dataSync())).toEqual([9, 8, 7]);
    // test images are not augmented: pixel (0,0,R) of image 10, standardized
    expect(batch!.x.dataSync()[0]).toBeCloseTo((pixel(10, 0, 0, 0) / 255 - 0.4914) / 0.247, 4);
    tf.dispose([batch!.x, batch!.y]);
    // training batches: cutout leaves zeros (the mean colour) in every image
    for (const b of d.train.batches(8, { rng: new Rng(3) })) {
      const x = b.x.dataSync() as Float32Array;
      for (let i = 0; i < 8; i++) expect(x.subarray(i * 3072, (i + 1) * 3072).filter((v: number) => v === 0).length).toBeGreaterThanOrEqual(8 * 8 * 3);
      tf.dispose([b.x, b.y]);
    }
  });

  it('options: dir is required, unknown keys and bad cutout lengths are named', () => {
    const r = cifar10DataPlugin.options.safeParse({});
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['dir']);
    expect(cifar10DataPlugin.options.safeParse({ dir: 'x', typo: 1 }).success).toBe(false);
    const bad = augmentSchema.safeParse({ name: 'cutout', length: 0 });
    expect(bad.success).toBe(false);
    expect(augmentSchema.parse('cutout')).toBe('cutout');
  });
});

describe('cutout', () => {
  it('zeroes a length×length square around a random centre, clipped at the borders, after normalization', () => {
    const aug = augmentationFromOption({ name: 'cutout', length: 4 });
    expect(aug.stage).toBe('normalized');
    const h = 8;
    const img = new Float32Array(2 * h * h).fill(1);
    aug(img, [2, h, h, 1], new Rng(5));
    for (let e = 0; e < 2; e++) {
      const zeros: [number, number][] = [];
      for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) if (img[e * h * h + y * h + x] === 0) zeros.push([y, x]);
      // a rectangle of at most 4×4, at least 2×2 (the centre is inside the image)
      const ys = zeros.map(([y]) => y);
      const xs = zeros.map(([, x]) => x);
      const hh = Math.max(...ys) - Math.min(...ys) + 1;
      const ww = Math.max(...xs) - Math.min(...xs) + 1;
      expect(zeros.length).toBe(hh * ww);
      expect(hh).toBeLessThanOrEqual(4);
      expect(hh).toBeGreaterThanOrEqual(2);
      expect(ww).toBeLessThanOrEqual(4);
    }
    // the same rng state cuts the same squares
    const again = new Float32Array(2 * h * h).fill(1);
    aug(again, [2, h, h, 1], new Rng(5));
    expect(Array.from(again)).toEqual(Array.from(img));
    expect(() => cutout(0)).toThrow(/length must be a positive integer/);
  });
});
