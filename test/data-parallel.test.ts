import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import { combineShares, composeNetwork, flattenVariables, shardRange, trainNetworkInWorkers, trainNetworkOptions } from '@proxyless/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNothingHalfWritten, repoRoot, subsetDir, tempDir, writeConfig } from './helpers.js';

const cli = join(repoRoot, 'packages/cli/dist/bin.js');

/** An architecture file of the tiny test space on wasm with the Fashion-MNIST subset. */
function architectureRecord(batchNorm: boolean): Record<string, unknown> {
  return {
    seed: 3,
    backend: { use: '@proxyless/backend-wasm' },
    data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 448, test: 128 }, validation: 64 } },
    space: { use: '@proxyless/test-utils', options: { stem: 4, blocks: [{ width: 8, stride: 2 }, { width: 8, stride: 1 }], kernels: [3, 5], batchNorm } },
    architecture: { b0: '3x3_conv', b1: '5x5_conv' },
  };
}

describe('data-parallel training (worker threads)', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('proxyless-dp-');
    tf.enableProdMode();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('slices every batch over the ranks and combines their gradients weighted by slice size', () => {
    for (const [n, size] of [[128, 2], [7, 3], [1, 2]] as const) {
      const ranges = Array.from({ length: size }, (_, r) => shardRange(n, r, size));
      expect(ranges[0]![0]).toBe(0);
      expect(ranges[size - 1]![1]).toBe(n);
      for (let r = 1; r < size; r++) expect(ranges[r]![0]).toBe(ranges[r - 1]![1]);
    }
    const c = combineShares([
      { gradients: Float32Array.of(1, 2), count: 3, lossSum: 6, correct: 2 },
      { gradients: Float32Array.of(5, -2), count: 1, lossSum: 1, correct: 1 },
      { gradients: Float32Array.of(100, 100), count: 0, lossSum: 0, correct: 0 },
    ]);
    expect(Array.from(c.gradients)).toEqual([2, 1]); // (3·[1,2] + 1·[5,−2]) / 4
    expect(c).toMatchObject({ count: 4, lossSum: 7, correct: 3 });
  });

  it('without batch norm, two workers end with the weights of one process (same batches, averaged gradients)', async () => {
    const file = writeConfig(dir, architectureRecord(false), 'no-bn.json');
    const options = trainNetworkOptions.parse({ epochs: 2, batchSize: 63, lr: 0.1, maxBatchesPerEpoch: 4 }); // slices of 31 and 32
    const single = await composeNetwork({ architectureFile: file, log: () => {} });
    const parallel = await composeNetwork({ architectureFile: file, log: () => {} });
    const initial = flattenVariables(single.network.variables());
    expect(Array.from(flattenVariables(parallel.network.variables()))).toEqual(Array.from(initial));

    const a = await trainNetworkInWorkers(single.network, single.dataset, options, { seed: 3 }, { workers: 1, compose: { architectureFile: file } });
    const steps: number[] = [];
    const b = await trainNetworkInWorkers(parallel.network, parallel.dataset, options, { seed: 3, onStep: (s) => void steps.push(s.loss) }, { workers: 2, compose: { architectureFile: file } });
    expect(steps).toHaveLength(8);
    const wa = flattenVariables(single.network.variables());
    const wb = flattenVariables(parallel.network.variables());
    let maxDiff = 0;
    let moved = 0;
    for (let i = 0; i < wa.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(wa[i]! - wb[i]!));
      moved = Math.max(moved, Math.abs(wa[i]! - initial[i]!));
    }
    expect(moved).toBeGreaterThan(1e-2); // training did change the weights
    expect(maxDiff).toBeLessThan(1e-4);
    expect(b.trainLoss).toBeCloseTo(a.trainLoss, 4);
    expect(b.trainAccuracy).toBeCloseTo(a.trainAccuracy, 6);
  }, 120_000);

  it('`proxyless train --workers 2` trains a batch-norm network, records the workers and writes a loadable model', () => {
    const file = writeConfig(dir, architectureRecord(true), 'bn.json');
    const out = join(dir, 'model-bn');
    const r = spawnSync(process.execPath, [cli, 'train', file, '--epochs', '2', '--batch-size', '32', '--lr', '0.1', '--workers', '2', '--out', out, '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { workers: number; train: { trainLoss: number; validationAccuracy: number }; test: { accuracy: number; count: number } };
    expect(result.workers).toBe(2);
    expect(Number.isFinite(result.train.trainLoss)).toBe(true);
    expect(result.test.count).toBe(128);
    expect(result.test.accuracy).toBeGreaterThan(0.25); // 10 classes: well above chance after 2 short epochs
    expect(existsSync(join(out, 'weights.ckpt'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).workers).toBe(2);
    return assertNothingHalfWritten(out);
  }, 120_000);

  it('rejects a bad --workers value with one line naming the flag', () => {
    const file = writeConfig(dir, architectureRecord(true), 'bad.json');
    const r = spawnSync(process.execPath, [cli, 'train', file, '--workers', 'two'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/--workers: got "two"; expected a positive integer \(at most 64\) or "auto"/);
  });

  it('a worker that cannot start fails the training with its reason (no hang)', async () => {
    const file = writeConfig(dir, architectureRecord(true), 'ok.json');
    const { network, dataset } = await composeNetwork({ architectureFile: file, log: () => {} });
    const options = trainNetworkOptions.parse({ epochs: 1, batchSize: 32, maxBatchesPerEpoch: 2 });
    await expect(
      trainNetworkInWorkers(network, dataset, options, { seed: 3 }, { workers: 2, compose: { architectureFile: join(dir, 'missing.json') } }),
    ).rejects.toThrow(/data-parallel worker 1: .*missing\.json/);
  }, 60_000);
});
