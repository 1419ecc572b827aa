import type { SearchPlugin, StrategyMetrics } from '@proxyless/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmax, fashionMnist, FixtureSpace, runSearch, useWasm } from '../test/fixtures.js';
import type { BinaryConnectStrategy } from './index.js';

beforeAll(useWasm);

/** A space whose candidates differ clearly in capacity: 1×1 vs 5×5 conv (a strided block, then a residual one). */
const capacitySpace = async () => {
  const dataset = await fashionMnist(1200, 240);
  return {
    dataset,
    space: new FixtureSpace(dataset.input, [
      { width: 8, stride: 2, kernels: [1, 5] },
      { width: 8, stride: 1, kernels: [1, 5] },
    ]),
  };
};

const trainer = { epochs: 4, warmupEpochs: 2, lr: 0.1, batchSize: 32, archUpdateEvery: 1, evaluateEachEpoch: false, checkpointEvery: 0 };

describe('search on Fashion-MNIST: the better candidate wins', () => {
  for (const mode of ['two', 'full', 'exact'] as const) {
    it(`${mode} mode: p of the 5×5 conv rises to the top of every mixed op`, async () => {
      const { dataset, space } = await capacitySpace();
      const metrics: StrategyMetrics[] = [];
      const recorder: SearchPlugin = { name: 'Recorder', apply: (s) => s.hooks.afterArchStep.tapPromise('Recorder', async (i) => void metrics.push(i.metrics)) };
      const { result, strategy } = await runSearch({ seed: 1, dataset, space, strategy: { mode, lr: 0.03 }, trainer, plugins: [recorder] });
      for (const [label, p] of Object.entries(result.probabilities)) {
        expect(argmax(p), `${mode} ${label}: p = ${p}`).toBe(1);
        expect(p[1]).toBeGreaterThan(0.75);
      }
      expect(result.architecture).toEqual({ b0: '5x5', b1: '5x5' });
      // p and the loss terms go out through the hooks with every arch step
      expect(metrics.length).toBe(2 * 30); // 960 training images, batch 32, 2 search epochs
      expect(Object.keys(metrics[0]!).sort()).toEqual(['ce', 'loss', 'p/b0/1x1', 'p/b0/5x5', 'p/b1/1x1', 'p/b1/5x5']);
      expect(metrics.at(-1)!['p/b1/5x5']).toBeCloseTo(result.probabilities['b1']![1]!, 6);
      expect(strategy.deriveReport()).toMatchObject({ rule: 'argmax', architecture: result.architecture });
    });
  }
});

describe('two-path mode', () => {
  it('leaves the p of the paths it did not sample unchanged at every update (β1 = 0 and β1 = 0.9)', async () => {
    const dataset = await fashionMnist(600, 120);
    const space = new FixtureSpace(dataset.input, [
      { width: 8, stride: 2, kernels: [1, 3, 5] },
      { width: 8, stride: 1, kernels: [1, 3, 5], zero: true },
    ]);
    for (const beta1 of [0, 0.9]) {
      let before: Record<string, number[]> = {};
      let checked = 0;
      let moved = 0;
      const probe: SearchPlugin = {
        name: 'Probe',
        apply(session) {
          session.hooks.afterWeightStep.tapPromise('Probe', async () => void (before = session.components.strategy.probabilities()));
          session.hooks.afterArchStep.tapPromise('Probe', async (info) => {
            const sample = (session.components.strategy as BinaryConnectStrategy).lastArchSample!;
            for (const [label, p] of Object.entries(info.probabilities)) {
              const pair = sample[label]!.paths;
              expect(pair).toHaveLength(2);
              p.forEach((v, k) => {
                if (pair.includes(k)) moved = Math.max(moved, Math.abs(v - before[label]![k]!));
                else {
                  expect(Math.abs(v - before[label]![k]!)).toBeLessThanOrEqual(1e-6 * before[label]![k]!);
                  checked++;
                }
              });
            }
          });
        },
      };
      await runSearch({
        seed: 3,
        dataset,
        space,
        strategy: { mode: 'two', lr: 0.05, beta1 },
        trainer: { epochs: 1, warmupEpochs: 0, lr: 0.1, batchSize: 32, archUpdateEvery: 1, evaluateEachEpoch: false, checkpointEvery: 0 },
        plugins: [probe],
      });
      expect(checked).toBe(15 * (1 + 2)); // 15 arch steps; 1 unsampled path in b0, 2 in b1
      expect(moved).toBeGreaterThan(1e-3);
    }
  });
});
