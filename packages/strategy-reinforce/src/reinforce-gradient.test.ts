import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeNetwork, randomBatch, setupOf, stepInput, strategyOn, tinySpace, useWasm } from '../test/helpers.js';
import { enumerateArchitectures, exactGradient, reinforceGradient, scoreFunction, type Choices } from './reinforce-gradient.js';

beforeAll(useWasm);

describe('score function and estimator', () => {
  // (a one-hot mask rather than tf.gather: wasm has no UnsortedSegmentSum kernel for gather's gradient)
  it('∇α log softmax(α)_k in closed form equals tf.grad', () => {
    const alpha = [0.3, -1.2, 0.7, 0.05];
    const p = tf.tidy(() => Array.from(tf.softmax(tf.tensor1d(alpha)).dataSync()));
    for (let k = 0; k < alpha.length; k++) {
      const g = tf.tidy(() => Array.from(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(a), tf.reshape(tf.oneHot([k], alpha.length), [alpha.length]))))(tf.tensor1d(alpha)).dataSync()));
      const closed = scoreFunction(p, k);
      closed.forEach((v, i) => expect(v).toBeCloseTo(g[i]!, 5));
    }
  });

  it('enumerates a product space with probabilities summing to 1', () => {
    const all = enumerateArchitectures({ a: [0.2, 0.8], b: [0.1, 0.3, 0.6] });
    expect(all).toHaveLength(6);
    expect(all.reduce((s, x) => s + x.p, 0)).toBeCloseTo(1, 12);
  });

  it('reinforceGradient is the mean of A_i·(onehot − p)', () => {
    const g = reinforceGradient({ a: [0.25, 0.75] }, [{ a: 0 }, { a: 1 }], [2, -1]);
    // (2·[0.75, −0.75] + (−1)·[−0.25, 0.25]) / 2
    expect(g.a![0]).toBeCloseTo((1.5 + 0.25) / 2, 12);
    expect(g.a![1]).toBeCloseTo((-1.5 - 0.25) / 2, 12);
  });
});

describe("the strategy's estimate is unbiased on an enumerable space", () => {
  // R(g): a fixed score per candidate plus an interaction, so J is not separable.
  const score = { b0: [0.1, 0.9, 0.4], b1: [0.7, 0.2, 0.5] } as const;
  const reward = (c: Choices) => score.b0[c.b0!]! + score.b1[c.b1!]! + (c.b0 === 1 && c.b1 === 0 ? 0.6 : 0);

  for (const baseline of [0, 0.8]) {
    it(`mean of K estimates (M = 10, constant b = ${baseline}) matches the exact ∇J within 4 standard errors`, async () => {
      const space = tinySpace();
      const { network, strategy } = await strategyOn(space, { samples: 10, reward: { use: 'score' }, baseline: { decay: 1, initial: baseline } }, 3);
      const labels = network.mixedOps.map((op) => op.label);
      const choice = (arch: Record<string, string>): Choices => Object.fromEntries(network.mixedOps.map((op) => [op.label, op.indexOf(arch[op.label]!)]));
      strategy.hooks.rewards.for('score').tap('test', (ctx) => reward(choice(ctx.architecture)));
      strategy.setup(setupOf(space, network));
      // α away from uniform, so p differs per candidate
      network.mixedOps[0]!.alpha.assign(tf.tensor1d([0.5, -0.3, 0.1]));
      network.mixedOps[1]!.alpha.assign(tf.tensor1d([-0.4, 0.2, 0.6]));
      const probs = strategy.probabilities();
      const exact = exactGradient(probs, reward).gradient;
      const batch = randomBatch(space, 2, 1);
      const K = 1500;
      const draws: Record<string, number[][]> = Object.fromEntries(labels.map((l) => [l, []]));
      for (let k = 0; k < K; k++) {
        const est = await strategy.estimate(stepInput(batch));
        expect(est.baseline).toBe(baseline);
        for (const l of labels) draws[l]!.push(est.gradient[l]!);
      }
      let worst = 0;
      for (const l of labels) {
        for (let i = 0; i < probs[l]!.length; i++) {
          const xs = draws[l]!.map((d) => d[i]!);
          const mean = xs.reduce((a, b) => a + b, 0) / K;
          const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (K - 1));
          const se = sd / Math.sqrt(K);
          const z = Math.abs(mean - exact[l]![i]!) / se;
          worst = Math.max(worst, z);
          expect(z, `${l}[${i}]: mean ${mean}, exact ${exact[l]![i]}, se ${se}`).toBeLessThan(4);
        }
      }
      // the exact gradient is not trivially zero
      expect(Math.max(...labels.flatMap((l) => exact[l]!.map(Math.abs)))).toBeGreaterThan(0.05);
      // α is untouched by estimate()
      expect(strategy.probabilities()).toEqual(probs);
      tf.dispose([batch.x, batch.y]);
      strategy.dispose();
      disposeNetwork(network);
    });
  }
});
