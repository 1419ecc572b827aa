import * as tf from '@tensorflow/tfjs-core';
import { Rng, softmaxCrossEntropy } from '@proxyless/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeNetwork, randomBatch, setupOf, stepInput, strategyOn, tinySpace, useWasm } from '../test/helpers.js';
import { combinedLossGradient } from './combined-gradient.js';
import type { ReinforceStrategyInput } from './options.js';

beforeAll(useWasm);

/** α of every mixed op after each of `steps` arch steps, on a fresh supernet (same seed every call). */
async function trajectory(options: ReinforceStrategyInput, steps = 6, training = true): Promise<{ alphas: number[][]; metrics: Record<string, number>[]; tensors: number[] }> {
  const space = tinySpace({ stem: 3, blocks: [{ width: 3, stride: 1 }, { width: 3, stride: 1 }] });
  const { network, strategy } = await strategyOn(space, { samples: 6, lr: 0.05, ...options }, 11);
  strategy.setup(setupOf(space, network));
  const alphas: number[][] = [];
  const metrics: Record<string, number>[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < steps; i++) {
    const batch = randomBatch(space, 8, 100 + i);
    metrics.push(await strategy.archStep(stepInput(batch, i, training)));
    alphas.push(network.mixedOps.flatMap((op) => Array.from(op.alpha.dataSync())));
    tf.dispose([batch.x, batch.y]);
    tensors.push(tf.memory().numTensors);
  }
  strategy.dispose();
  disposeNetwork(network);
  return { alphas, metrics, tensors };
}

const distance = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));

describe('combined mode', () => {
  it('runs, reports both gradients, and its α trajectory differs from pure REINFORCE and pure BinaryConnect', async () => {
    const reinforce = await trajectory({ mode: 'reinforce' });
    const combined = await trajectory({ mode: 'combined', combinedWeight: 0.5 });
    const binaryconnect = await trajectory({ mode: 'combined', combinedWeight: 1 });
    for (const m of combined.metrics) {
      expect(Number.isFinite(m['bc/loss'])).toBe(true);
      expect(m['grad/binaryconnect']).toBeGreaterThan(0);
      expect(Number.isFinite(m['grad/reinforce'])).toBe(true);
    }
    expect(reinforce.metrics[0]!['bc/loss']).toBeUndefined();
    // no tensor leaks once Adam's slots exist (after the first step)
    for (const t of [reinforce, combined, binaryconnect]) expect(new Set(t.tensors.slice(1)).size).toBe(1);
    // every trajectory moves, and no two coincide
    for (const t of [reinforce, combined, binaryconnect]) expect(Math.max(...t.alphas.at(-1)!.map(Math.abs))).toBeGreaterThan(0.05);
    expect(distance(combined.alphas, reinforce.alphas)).toBeGreaterThan(0.02);
    expect(distance(combined.alphas, binaryconnect.alphas)).toBeGreaterThan(0.02);
    expect(distance(reinforce.alphas, binaryconnect.alphas)).toBeGreaterThan(0.02);
  });

  it('weight 0 reproduces pure REINFORCE exactly (inference-mode arch forward: no running-statistics updates)', async () => {
    const reinforce = await trajectory({ mode: 'reinforce' }, 4, false);
    const weight0 = await trajectory({ mode: 'combined', combinedWeight: 0 }, 4, false);
    expect(weight0.alphas).toEqual(reinforce.alphas);
  });

  it('the BinaryConnect gradient through all paths (recompute) runs too', async () => {
    const all = await trajectory({ mode: 'combined', combinedWeight: 0.5, combinedPaths: 'all' }, 3);
    const two = await trajectory({ mode: 'combined', combinedWeight: 0.5, combinedPaths: 'two' }, 3);
    expect(all.metrics.every((m) => m['grad/binaryconnect']! > 0)).toBe(true);
    expect(new Set(all.tensors.slice(1)).size).toBe(1);
    expect(distance(all.alphas, two.alphas)).toBeGreaterThan(0);
  });
});

describe('combinedLossGradient', () => {
  it('through all paths equals autodiff of the loss through straight-through gates g = onehot + p − p₀ (p₀ a constant)', async () => {
    const space = tinySpace({ stem: 3, blocks: [{ width: 3, stride: 1 }, { width: 3, stride: 1 }], zero: false, kernels: [1, 3, 5] });
    const network = space.buildSupernet(new Rng(4));
    network.mixedOps[0]!.alpha.assign(tf.tensor1d([0.3, -0.2, 0.5]));
    network.mixedOps[1]!.alpha.assign(tf.tensor1d([-0.6, 0.1, 0.2]));
    const batch = randomBatch(space, 6, 9);
    const loss = (l: tf.Tensor, y: tf.Tensor1D) => softmaxCrossEntropy(l, y);
    const probs = Object.fromEntries(network.mixedOps.map((op) => [op.label, op.probsSync()]));
    const rng = new Rng('bc');
    // replay the draws combinedLossGradient makes: one path per op, in op order
    const replay = new Rng(rng.state());
    const chosen = network.mixedOps.map((op) => replay.categorical(probs[op.label]!));
    const got = await combinedLossGradient(network, stepInput(batch, 0, false), loss, rng, 'all');
    const alphas = network.mixedOps.map((op) => op.alpha);
    const { value, grads } = tf.variableGrads(() => {
      const gates = Object.fromEntries(
        network.mixedOps.map((op, i) => {
          const p = op.probs();
          const onehot = tf.cast(tf.reshape(tf.oneHot([chosen[i]!], op.size), [op.size]), 'float32');
          return [op.label, { active: [chosen[i]!], values: tf.add(onehot, tf.sub(p, tf.tensor1d(probs[op.label]!))) as tf.Tensor1D }];
        }),
      );
      return loss(network.apply(batch.x, { training: false, mode: 'binarized', gates, gateGradients: 'recompute' }), batch.y);
    }, alphas);
    expect(got.loss).toBeCloseTo(value.dataSync()[0]!, 5);
    for (const op of network.mixedOps) {
      const want = Array.from(grads[op.alpha.name]!.dataSync());
      got.gradient[op.label]!.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
      expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(1e-4);
    }
    tf.dispose([value, ...Object.values(grads), batch.x, batch.y]);
    disposeNetwork(network);
  });
});
