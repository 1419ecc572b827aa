import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginContext } from '../di/plugin.js';
import { Rng } from '../random/rng.js';
import { FASHION_MNIST_CLASS_NAMES, FASHION_MNIST_SYSTEM_DIR, fashionMnistDataPlugin } from './fashion-mnist-data-plugin.js';
import { idxDataPlugin } from './idx-data-plugin.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const exampleDir = join(root, 'examples/fashion-mnist');
const subset = join(exampleDir, 'data');
const empty = mkdtempSync(join(tmpdir(), 'proxyless-data-'));
const missing = join(empty, 'no-such-folder');
afterAll(() => rmSync(empty, { recursive: true, force: true }));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ctx = (configDir: string, logs: string[] = []): PluginContext => ({
  rng: new Rng(42),
  configDir,
  log: (m) => logs.push(m),
});

describe('fashion-mnist data plugin', () => {
  it('defaults its options from the schema', () => {
    const o = fashionMnistDataPlugin.options.parse({});
    expect(o).toMatchObject({ systemDir: FASHION_MNIST_SYSTEM_DIR, validation: 0.1, normalize: 'zero-one', augment: [] });
    expect(fashionMnistDataPlugin.kind).toBe('data');
    expect(fashionMnistDataPlugin.name).toBe('fashion-mnist');
    expect(fashionMnistDataPlugin.options.safeParse({ validation: 1.5 }).success).toBe(false);
    expect(fashionMnistDataPlugin.options.parse({ augment: ['random-crop', { name: 'horizontal-flip' }] }).augment).toEqual([
      'random-crop',
      { name: 'horizontal-flip', p: 0.5 },
    ]);
  });

  it('falls back to the committed subset when dir and the system folder are absent', async () => {
    const logs: string[] = [];
    const options = fashionMnistDataPlugin.options.parse({ systemDir: missing, fallbackDir: 'data', limit: { test: 200 } });
    const provider = await fashionMnistDataPlugin.create(options, ctx(exampleDir, logs));
    const d = await provider.load();
    expect(await provider.load()).toBe(d); // loaded once
    expect(d.source).toContain('fallback');
    expect(d.source).toContain(join(subset, 'train-images-idx3-ubyte.gz'));
    expect(d.source).toContain(join(subset, 't10k-labels-idx1-ubyte.gz'));
    expect(d.input).toEqual({ shape: [28, 28, 1], numClasses: 10 });
    expect(d.classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    expect(d.train.size).toBe(3600);
    expect(d.validation.size).toBe(400);
    expect(d.test!.size).toBe(200);
    expect(logs.join('\n')).toMatch(/3600 train \/ 400 validation \/ 200 test/);
    // the validation split follows the run seed: a second provider with the same seed agrees
    const again = await (await fashionMnistDataPlugin.create(options, ctx(exampleDir))).load();
    const labels = (s: typeof d.validation): number[] => {
      const [b] = [...s.batches(400)];
      const y = [...b!.y.dataSync()];
      tf.dispose([b!.x, b!.y]);
      return y;
    };
    expect(labels(again.validation)).toEqual(labels(d.validation));
  });

  it.skipIf(!existsSync(join(FASHION_MNIST_SYSTEM_DIR, 'train-images-idx3-ubyte.gz')))(
    'reads the full data set from the system folder when installed',
    async () => {
      const options = fashionMnistDataPlugin.options.parse({ fallbackDir: subset });
      const d = await (await fashionMnistDataPlugin.create(options, ctx(empty))).load();
      expect(d.source).toContain(`system ${FASHION_MNIST_SYSTEM_DIR}`);
      expect([d.train.size, d.validation.size, d.test!.size]).toEqual([54000, 6000, 10000]);
    },
  );

  it('prefers an explicit dir', async () => {
    const options = fashionMnistDataPlugin.options.parse({ dir: subset, systemDir: missing, limit: { train: 100 }, validation: 10 });
    const d = await (await fashionMnistDataPlugin.create(options, ctx(empty))).load();
    expect(d.source).toMatch(/^fashion-mnist \(dir /);
    expect(d.train.size).toBe(90);
    const bad = fashionMnistDataPlugin.options.parse({ dir: missing, fallbackDir: subset });
    await expect((await fashionMnistDataPlugin.create(bad, ctx(empty))).load()).rejects.toThrow(/dir .*no-such-folder does not hold the Fashion-MNIST IDX files/);
  });

  it('says what it looked for and how to get the data when nothing is there', async () => {
    const options = fashionMnistDataPlugin.options.parse({ systemDir: missing, fallbackDir: 'nowhere' });
    const err = await (await fashionMnistDataPlugin.create(options, ctx(empty))).load().catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain('train-images-idx3-ubyte.gz');
    expect(msg).toContain(missing);
    expect(msg).toContain(join(empty, 'nowhere'));
    expect(msg).toContain('apt-get install dataset-fashion-mnist');
    expect(msg).toContain('`dir`');
  });
});

describe('idx data plugin', () => {
  it('reads train and test pairs relative to the config folder', async () => {
    const options = idxDataPlugin.options.parse({
      train: { images: 'data/train-images-idx3-ubyte.gz', labels: 'data/train-labels-idx1-ubyte.gz' },
      test: { images: join(subset, 't10k-images-idx3-ubyte.gz'), labels: join(subset, 't10k-labels-idx1-ubyte.gz') },
      validation: 500,
      splitSeed: 3,
      normalize: { mode: 'standardize', mean: 0.286, std: 0.353 },
      augment: [{ name: 'random-crop', padding: 2 }],
      limit: { train: 1000 },
    });
    const d = await (await idxDataPlugin.create(options, ctx(exampleDir))).load();
    expect(d.train.size).toBe(500);
    expect(d.validation.size).toBe(500);
    expect(d.test!.size).toBe(1000);
    expect(d.input.numClasses).toBe(10);
    expect(d.classNames).toBeUndefined();
    expect(d.source).toContain(join(subset, 'train-labels-idx1-ubyte.gz'));
    const before = tf.memory().numTensors;
    for (const b of d.train.batches(128, { rng: new Rng(1) })) tf.dispose([b.x, b.y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports missing and mismatched files by name', async () => {
    const noFile = idxDataPlugin.options.parse({ train: { images: 'nope-images.gz', labels: 'nope-labels.gz' } });
    await expect((await idxDataPlugin.create(noFile, ctx(empty))).load()).rejects.toThrow(/nope-images\.gz: file not found/);
    const mismatch = idxDataPlugin.options.parse({
      train: { images: join(subset, 'train-images-idx3-ubyte.gz'), labels: join(subset, 't10k-labels-idx1-ubyte.gz') },
    });
    await expect((await idxDataPlugin.create(mismatch, ctx(empty))).load()).rejects.toThrow(/has 1000 labels but .* has 4000 images/);
    const tooFewNames = idxDataPlugin.options.parse({
      train: { images: join(subset, 't10k-images-idx3-ubyte.gz'), labels: join(subset, 't10k-labels-idx1-ubyte.gz') },
      classNames: ['a', 'b'],
    });
    await expect((await idxDataPlugin.create(tooFewNames, ctx(empty))).load()).rejects.toThrow(/out of range \[0, 2\)/);
  });
});
