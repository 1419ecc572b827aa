import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { horizontalFlip, randomCrop } from './augment.js';
import { buildDataset, splitValidation, validationCount } from './build-dataset.js';
import { readIdxPair, type LabelledImages } from './idx.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const subset = join(root, 'examples/fashion-mnist/data');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** `n` images of h×w×c where every pixel of image i is `i % 256` and its label is `i % classes`. */
function synthetic(n: number, h = 4, w = 4, c = 1, classes = 10): LabelledImages {
  const size = h * w * c;
  const images = new Uint8Array(n * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    images.fill(i % 256, i * size, (i + 1) * size);
    labels[i] = i % classes;
  }
  return { images, shape: [n, h, w, c], labels };
}

/** The image ids (pixel values) of a batch over `synthetic` zero-one data. */
const idsOf = (x: tf.Tensor4D): number[] => {
  const [n, h, w, c] = x.shape;
  const v = x.dataSync();
  return Array.from({ length: n }, (_, i) => Math.round(v[i * h * w * c]! * 255));
};

describe('validation split', () => {
  it('is deterministic per seed, disjoint and covers the training images', () => {
    const a = splitValidation(1000, 0.1, new Rng(7));
    const b = splitValidation(1000, 0.1, new Rng(7));
    const c = splitValidation(1000, 0.1, new Rng(8));
    expect(a.validation.length).toBe(100);
    expect(a.train.length).toBe(900);
    expect([...a.validation]).toEqual([...b.validation]);
    expect([...a.validation]).not.toEqual([...c.validation]);
    const all = new Set([...a.train, ...a.validation]);
    expect(all.size).toBe(1000);
    expect(Math.max(...all)).toBe(999);
    expect([...a.train]).toEqual([...a.train].sort((x, y) => x - y));
  });

  it('takes a count or a fraction and keeps one training image', () => {
    expect(validationCount(4000, 0.1)).toBe(400);
    expect(validationCount(4000, 250)).toBe(250);
    expect(validationCount(10, 0)).toBe(0);
    expect(() => validationCount(10, 10)).toThrow(/at least one must stay/);
    expect(() => validationCount(10, 2.5)).toThrow(/fraction/);
  });

  it('holds validation out of the dataset splits', () => {
    const d = buildDataset({ train: synthetic(200), validation: 50, rng: new Rng(1), source: 'synthetic' });
    expect(d.train.size).toBe(150);
    expect(d.validation.size).toBe(50);
    const ids = (s: typeof d.train): number[] => [...s.batches(64)].flatMap((b) => {
      const r = idsOf(b.x);
      tf.dispose([b.x, b.y]);
      return r;
    });
    const tr = ids(d.train);
    const va = ids(d.validation);
    expect(new Set([...tr, ...va]).size).toBe(200);
    expect(d.input).toEqual({ shape: [4, 4, 1], numClasses: 10 });
  });
});

describe('batches', () => {
  const d = buildDataset({ train: synthetic(103), test: synthetic(30), validation: 0, rng: new Rng(3), source: 'synthetic' });

  it('have NHWC float32 images and int32 labels; the last partial batch is kept', () => {
    const batches = [...d.train.batches(25)];
    expect(d.train.numBatches(25)).toBe(5);
    expect(batches.length).toBe(5);
    expect(batches.map((b) => b.x.shape[0])).toEqual([25, 25, 25, 25, 3]);
    for (const b of batches) {
      expect(b.x.dtype).toBe('float32');
      expect(b.x.rank).toBe(4);
      expect(b.x.shape.slice(1)).toEqual([4, 4, 1]);
      expect(b.y.dtype).toBe('int32');
      expect(b.y.shape).toEqual([b.x.shape[0]]);
    }
    // without an rng, file order; labels follow their images; values scaled to [0, 1]
    expect(idsOf(batches[0]!.x)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect([...batches[4]!.y.dataSync()]).toEqual([100 % 10, 101 % 10, 102 % 10]);
    const max = tf.max(batches[4]!.x);
    expect(max.dataSync()[0]).toBeCloseTo(102 / 255, 6);
    max.dispose();
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  });

  it('drop the remainder on request and skip without changing later batches', () => {
    expect(d.train.numBatches(25, true)).toBe(4);
    const dropped = [...d.train.batches(25, { dropRemainder: true })];
    expect(dropped.length).toBe(4);
    tf.dispose(dropped.flatMap((b) => [b.x, b.y]));

    const full = [...d.train.batches(10, { rng: new Rng(11) })].map((b) => {
      const r = { ids: idsOf(b.x), y: [...b.y.dataSync()] };
      tf.dispose([b.x, b.y]);
      return r;
    });
    const skipped = [...d.train.batches(10, { rng: new Rng(11), skip: 7 })].map((b) => {
      const r = { ids: idsOf(b.x), y: [...b.y.dataSync()] };
      tf.dispose([b.x, b.y]);
      return r;
    });
    expect(full.length).toBe(11);
    expect(skipped).toEqual(full.slice(7));
    expect([...d.train.batches(10, { skip: 11 })].length).toBe(0);
  });

  it('follow a reproducible permutation drawn from the rng', () => {
    const order = (rng?: Rng): number[] =>
      [...d.train.batches(16, rng ? { rng } : {})].flatMap((b) => {
        const r = idsOf(b.x);
        tf.dispose([b.x, b.y]);
        return r;
      });
    const a = order(new Rng('epoch-1'));
    const b = order(new Rng('epoch-1'));
    const c = order(new Rng('epoch-2'));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect([...a].sort((x, y) => x - y)).toEqual(order());
  });

  it('leak no tensors once disposed', () => {
    const before = tf.memory().numTensors;
    for (const split of [d.train, d.validation, d.test!]) {
      for (const b of split.batches(8, { rng: new Rng(5) })) {
        tf.dispose([b.x, b.y]);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('standardize with computed or given statistics', async () => {
    const set = await readIdxPair(join(subset, 't10k-images-idx3-ubyte.gz'), join(subset, 't10k-labels-idx1-ubyte.gz'));
    const computed = buildDataset({ train: set, validation: 0, normalize: 'standardize', rng: new Rng(0), source: 'subset' });
    const [b] = [...computed.train.batches(1000)];
    const [mean, variance] = tf.tidy(() => {
      const m = tf.moments(b!.x);
      return [m.mean.dataSync()[0]!, m.variance.dataSync()[0]!];
    });
    expect(mean).toBeCloseTo(0, 4);
    expect(variance).toBeCloseTo(1, 3);
    expect(computed.normalization.mean![0]).toBeCloseTo(56973981 / 784000 / 255, 6);
    tf.dispose([b!.x, b!.y]);
    const given = buildDataset({
      train: synthetic(4),
      validation: 0,
      normalize: { mode: 'standardize', mean: 0.5, std: 0.25 },
      rng: new Rng(0),
      source: 'synthetic',
    });
    const [g] = [...given.train.batches(4)];
    const v = g!.x.dataSync();
    expect(v[16 * 3]).toBeCloseTo((3 / 255 - 0.5) / 0.25, 5);
    tf.dispose([g!.x, g!.y]);
  });

  it('limit the train and test images to the first N', () => {
    const l = buildDataset({ train: synthetic(100), test: synthetic(50), validation: 0.2, limit: { train: 40, test: 10 }, rng: new Rng(0), source: 's' });
    expect(l.train.size + l.validation.size).toBe(40);
    expect(l.validation.size).toBe(8);
    expect(l.test!.size).toBe(10);
  });
});

describe('augmentation', () => {
  it('changes training pixels deterministically per seed, never the other splits', async () => {
    const set = await readIdxPair(join(subset, 't10k-images-idx3-ubyte.gz'), join(subset, 't10k-labels-idx1-ubyte.gz'));
    const d = buildDataset({
      train: set,
      test: set,
      validation: 100,
      augment: [randomCrop(3), horizontalFlip()],
      rng: new Rng(0),
      source: 'subset',
    });
    const plain = buildDataset({ train: set, validation: 100, rng: new Rng(0), source: 'subset' });
    const first = (split: typeof d.train, rng?: Rng): Float32Array => {
      const it = split.batches(64, rng ? { rng } : {})[Symbol.iterator]();
      const b = it.next().value!;
      const v = b.x.dataSync() as Float32Array;
      tf.dispose([b.x, b.y]);
      return v;
    };
    const a1 = first(d.train, new Rng(9));
    const a2 = first(d.train, new Rng(9));
    const a3 = first(d.train, new Rng(10));
    const p1 = first(plain.train, new Rng(9));
    expect(a1).toEqual(a2);
    expect(a1).not.toEqual(p1); // same permutation, augmented pixels
    expect(a1).not.toEqual(a3);
    // no rng: no augmentation; validation and test are never augmented
    expect(first(d.train)).toEqual(first(plain.train));
    expect(first(d.validation, new Rng(9))).toEqual(first(plain.validation, new Rng(9)));
  });

  it('random-crop shifts with zero fill and horizontal-flip mirrors', () => {
    const img = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]); // 3×3×1
    const flipped = img.slice();
    horizontalFlip(1)(flipped, [1, 3, 3, 1], new Rng(0));
    expect([...flipped]).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7]);
    // find a seed whose crop is a shift, then check the shifted content and the zero border
    for (let seed = 0; seed < 50; seed++) {
      const r = new Rng(seed);
      const probe = new Rng(seed);
      const dy = probe.int(3) - 1;
      const dx = probe.int(3) - 1;
      const out = img.slice();
      randomCrop(1)(out, [1, 3, 3, 1], r);
      for (let y = 0; y < 3; y++) {
        for (let x = 0; x < 3; x++) {
          const sy = y + dy;
          const sx = x + dx;
          const want = sy >= 0 && sy < 3 && sx >= 0 && sx < 3 ? img[sy * 3 + sx] : 0;
          expect(out[y * 3 + x]).toBe(want);
        }
      }
    }
  });
});
