import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeNetwork, randomBatch, setupOf, stepInput, strategyOn, tinySpace, useWasm } from '../test/helpers.js';
import { reinforceStrategyOptions } from './options.js';
import { reinforceHooksOf } from './reward.js';

beforeAll(useWasm);

describe('ReinforceStrategy', () => {
  it('converges to the best architecture when each candidate has a known reward', async () => {
    const space = tinySpace();
    const { network, strategy } = await strategyOn(space, { samples: 10, lr: 0.1, reward: { use: 'score', options: { scale: 1 } } }, 5);
    // best: b0 = 3x3_conv (0.9), b1 = zero (0.6); the 1×1 of b1 is a close second
    const score: Record<string, Record<string, number>> = {
      b0: { '1x1_conv': 0.2, '3x3_conv': 0.9, zero: 0.5 },
      b1: { '1x1_conv': 0.5, '3x3_conv': 0.1, zero: 0.6 },
    };
    reinforceHooksOf(strategy)!.rewards.for('score').tap('test', (ctx) => {
      expect(ctx.options).toEqual({ scale: 1 });
      return Object.entries(ctx.architecture).reduce((s, [l, c]) => s + score[l]![c]!, 0);
    });
    strategy.setup(setupOf(space, network));
    const batch = randomBatch(space, 4, 2);
    let last: Record<string, number> = {};
    for (let i = 0; i < 150; i++) last = await strategy.archStep(stepInput(batch, i));
    expect(strategy.derive()).toEqual({ b0: '3x3_conv', b1: 'zero' });
    const p = strategy.probabilities();
    expect(p.b0![1]).toBeGreaterThan(0.9);
    expect(p.b1![2]).toBeGreaterThan(0.8);
    // the metrics say so too
    expect(last['p/b0/3x3_conv']).toBeCloseTo(p.b0![1]!, 6);
    expect(last['reward/mean']).toBeGreaterThan(1.3);
    for (const k of ['reward/min', 'reward/max', 'baseline', 'advantage/mean', 'advantage/std', 'samples/distinct']) expect(Number.isFinite(last[k])).toBe(true);
    tf.dispose([batch.x, batch.y]);
    strategy.dispose();
    disposeNetwork(network);
  });

  it('initializes the baseline to the first mean reward, computes advantages before the EMA update', async () => {
    const space = tinySpace();
    const { network, strategy } = await strategyOn(space, { samples: 4, reward: { use: 'constant' }, baseline: { decay: 0.9 } }, 6);
    // every sample of step s gets reward c[s]
    const c = [1, 3, 2];
    strategy.hooks.rewards.for('constant').tap('test', (ctx) => c[ctx.step]!);
    strategy.setup(setupOf(space, network));
    const batch = randomBatch(space, 2, 3);
    const alpha0 = strategy.probabilities();
    const m0 = await strategy.archStep(stepInput(batch, 0));
    // step 0: b := mean R = 1 (first-mean), A = R − b = 0, then b ← 0.9·1 + 0.1·1 = 1
    expect(m0.baseline).toBe(1);
    expect(m0['advantage/mean']).toBe(0);
    expect(m0['advantage/std']).toBe(0);
    expect(m0['baseline/next']).toBeCloseTo(1, 12);
    // zero advantages: α does not move
    expect(strategy.probabilities()).toEqual(alpha0);
    const m1 = await strategy.archStep(stepInput(batch, 1));
    // step 1: A = 3 − 1 = 2 with the old baseline, then b ← 0.9·1 + 0.1·3 = 1.2
    expect(m1.baseline).toBeCloseTo(1, 12);
    expect(m1['advantage/mean']).toBeCloseTo(2, 12);
    expect(m1['baseline/next']).toBeCloseTo(1.2, 12);
    const m2 = await strategy.archStep(stepInput(batch, 2));
    expect(m2.baseline).toBeCloseTo(1.2, 12);
    expect(m2['advantage/mean']).toBeCloseTo(0.8, 12);
    expect(m2['baseline/next']).toBeCloseTo(0.9 * 1.2 + 0.1 * 2, 12);
    expect(strategy.currentBaseline).toBeCloseTo(1.28, 12);
    tf.dispose([batch.x, batch.y]);
    strategy.dispose();
    disposeNetwork(network);
  });

  it('a numeric initial baseline is used from the first step', async () => {
    const space = tinySpace();
    const { network, strategy } = await strategyOn(space, { samples: 3, reward: { use: 'constant' }, baseline: { decay: 0.5, initial: 0.25 } }, 6);
    strategy.hooks.rewards.for('constant').tap('test', () => 1);
    strategy.setup(setupOf(space, network));
    const batch = randomBatch(space, 2, 3);
    const m = await strategy.archStep(stepInput(batch, 0));
    expect(m.baseline).toBe(0.25);
    expect(m['advantage/mean']).toBe(0.75);
    expect(m['baseline/next']).toBeCloseTo(0.625, 12);
    tf.dispose([batch.x, batch.y]);
    strategy.dispose();
    disposeNetwork(network);
  });

  it('the accuracy reward runs each distinct architecture once per step in inference mode, leaking no tensors', async () => {
    const space = tinySpace();
    const { network, strategy } = await strategyOn(space, { samples: 10 }, 7);
    strategy.setup(setupOf(space, network));
    let evaluated = 0;
    let shaped = 0;
    strategy.hooks.reward.tap('count', (r) => {
      shaped++;
      return r;
    });
    const batch = randomBatch(space, 8, 4);
    // running statistics must not change (inference mode): snapshot them
    const stats = () => network.variables().filter((v) => !v.trainable).map((v) => Array.from(v.variable.dataSync()));
    const before = stats();
    const apply = network.apply.bind(network);
    (network as { apply: typeof network.apply }).apply = (x, ctx) => {
      evaluated++;
      expect(ctx.training).toBe(false);
      return apply(x, ctx);
    };
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await strategy.archStep(stepInput(batch, i, true));
      expect(m['accuracy/mean']).toBeGreaterThanOrEqual(0);
      expect(m['accuracy/mean']).toBeLessThanOrEqual(1);
      expect(m['reward/max']).toBeLessThanOrEqual(1);
      counts.push(tf.memory().numTensors);
      expect(evaluated).toBeLessThanOrEqual(10 * (i + 1));
    }
    expect(shaped).toBe(40);
    expect(evaluated).toBeLessThan(40); // 9 architectures: repeats within a step are not re-run
    expect(stats()).toEqual(before);
    expect(new Set(counts.slice(1)).size).toBe(1);
    tf.dispose([batch.x, batch.y]);
    strategy.dispose();
    disposeNetwork(network);
  });

  /**
   * A strategy with the given options whose latency is a fixed per-op table (0.5 + {1, 3, 0} + {2, 5, 0}:
   * 0.5 … 8.5 ms over the tiny space's architectures), recording each reward with its accuracy and LAT.
   */
  async function onTable(options: Parameters<typeof strategyOn>[1], seed: number) {
    const space = tinySpace();
    const { network, strategy } = await strategyOn(space, options, seed);
    const table: Record<string, number[]> = { b0: [1, 3, 0], b1: [2, 5, 0] };
    const ofArchitecture = (a: Record<string, string>) =>
      0.5 + network.mixedOps.reduce((s, op) => s + table[op.label]![op.indexOf(a[op.label]!)]!, 0);
    const latency = { ofArchitecture, fixed: 0.5, table, unit: 'ms', target: 'test', expected: () => tf.scalar(0) };
    strategy.setup({ ...setupOf(space, network), latency });
    const seen: { reward: number; accuracy: number; lat: number }[] = [];
    strategy.hooks.reward.tapPromise('check', async (reward, ctx) => {
      seen.push({ reward, accuracy: (await ctx.evaluate()).accuracy, lat: ofArchitecture(ctx.architecture) });
      return reward;
    });
    const batch = randomBatch(space, 8, 5);
    const dispose = () => {
      tf.dispose([batch.x, batch.y]);
      strategy.dispose();
      disposeNetwork(network);
    };
    return { strategy, seen, batch, dispose };
  }

  it('with wUnder the reward takes that exponent where LAT ≤ T (hard constraint: ACC alone under T)', async () => {
    // T = 4 splits the table's architectures
    const { strategy, seen, batch, dispose } = await onTable({ samples: 12, reward: { use: 'latency', budget: 4, w: -1, wUnder: 0, latencySource: 'table' } }, 8);
    for (let i = 0; i < 3; i++) await strategy.archStep(stepInput(batch, i));
    const under = seen.filter((s) => s.lat <= 4);
    const over = seen.filter((s) => s.lat > 4);
    expect(under.length).toBeGreaterThan(0);
    expect(over.length).toBeGreaterThan(0);
    for (const s of under) expect(s.reward).toBeCloseTo(s.accuracy, 12);
    for (const s of over) expect(s.reward).toBeCloseTo(s.accuracy * (s.lat / 4) ** -1, 12);
    dispose();
  });

  it('derive "within-budget": the most probable architecture within [0.95·T, T] by the latency model, where argmax takes the fastest', async () => {
    const { strategy, dispose } = await onTable({ reward: { use: 'latency', budget: 6, latencySource: 'table' }, derive: 'within-budget' }, 8);
    // p: zero leads in both blocks (argmax: 0.5 ms); by the table (fixed 0.5, b0 1/3/0, b1 2/5/0) nothing
    // lies in [5.7, 6], and the window twice as wide, [5.4, 6], holds 3x3 + 1x1 and zero + 3x3 at 5.5
    const probs = { b0: [0.1, 0.3, 0.6], b1: [0.25, 0.15, 0.6] };
    for (const op of strategy['ops']) op.alpha.assign(tf.log(tf.tensor1d(probs[op.label as 'b0' | 'b1'])));
    expect(strategy.options.derive).toBe('within-budget');
    // zero + 3x3 (0.6 · 0.15 = 0.09) is more probable than 3x3 + 1x1 (0.3 · 0.25 = 0.075)
    expect(strategy.derive()).toEqual({ b0: 'zero', b1: '3x3_conv' });
    const argmax = await onTable({ reward: { use: 'latency', budget: 6, latencySource: 'table' } }, 8);
    for (const op of argmax.strategy['ops']) op.alpha.assign(tf.log(tf.tensor1d(probs[op.label as 'b0' | 'b1'])));
    expect(argmax.strategy.derive()).toEqual({ b0: 'zero', b1: 'zero' });
    argmax.dispose();
    dispose();
    // the budget comes from the latency reward: another reward has none
    const bad = reinforceStrategyOptions.safeParse({ reward: { use: 'accuracy' }, derive: 'within-budget' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]).toMatchObject({ path: ['derive'] });
    expect(bad.error!.issues[0]!.message).toMatch(/within-budget.*latency reward.*"accuracy"/);
  });

  it('the latency reward is ACC × (LAT/T)^w with LAT from the latency table (latencySource: table)', async () => {
    const { strategy, seen, batch, dispose } = await onTable({ samples: 6, reward: { use: 'latency', budget: 2, w: -0.5, latencySource: 'table' } }, 8);
    const m = await strategy.archStep(stepInput(batch));
    expect(seen).toHaveLength(6);
    for (const s of seen) expect(s.reward).toBeCloseTo(s.accuracy * (s.lat / 2) ** -0.5, 12);
    expect(m['latency/mean']).toBeGreaterThan(0.5);
    dispose();
  });

  it('measured LAT is timed once per distinct architecture, against the session\'s reference network when it offers one', async () => {
    const space = tinySpace();
    const { network, strategy } = await strategyOn(space, { samples: 6, reward: { use: 'latency', budget: 2, w: -0.5, latencySource: 'measured' } }, 8);
    // a device on which every absolute timing reads 30% high (load); the reference-relative price does not
    const truth = (a: Record<string, string>) => 1 + network.mixedOps.reduce((s, op) => s + op.indexOf(a[op.label]!), 0);
    const absolute: string[] = [];
    const relative: string[] = [];
    const measureLatency = async (a: Record<string, string>) => (absolute.push(JSON.stringify(a)), truth(a) * 1.3);
    const measureLatencies = async (archs: readonly Record<string, string>[], rounds?: number) => {
      expect(rounds).toBe(1);
      relative.push(...archs.map((a) => JSON.stringify(a)));
      return archs.map(truth);
    };
    strategy.setup({ ...setupOf(space, network), measureLatency, measureLatencies });
    const seen: { reward: number; accuracy: number; lat: number }[] = [];
    strategy.hooks.reward.tapPromise('check', async (reward, ctx) => {
      seen.push({ reward, accuracy: (await ctx.evaluate()).accuracy, lat: truth(ctx.architecture) });
      return reward;
    });
    const batch = randomBatch(space, 8, 5);
    await strategy.archStep(stepInput(batch));
    await strategy.archStep(stepInput(batch));
    expect(seen).toHaveLength(12);
    for (const s of seen) expect(s.reward).toBeCloseTo(s.accuracy * (s.lat / 2) ** -0.5, 12);
    expect(absolute).toEqual([]);
    expect(relative.length).toBe(new Set(relative).size); // each distinct architecture once, across steps
    expect(relative.length).toBeGreaterThan(1);
    tf.dispose([batch.x, batch.y]);
    strategy.dispose();
    disposeNetwork(network);
  });

  it('rejects unknown rewards and latency rewards without a provider at the first arch step, naming what is missing; derive still works', async () => {
    const space = tinySpace();
    const batch = randomBatch(space, 2, 3);
    const cases: [Parameters<typeof strategyOn>[1], RegExp][] = [
      [{ reward: { use: 'nope' } }, /no reward called "nope".*hooks\.rewards\.for\("nope"\)/],
      [{ reward: { use: 'latency', budget: 1, latencySource: 'measured' } }, /measures whole networks/],
      [{ reward: { use: 'latency', budget: 1 } }, /needs a latency provider/],
    ];
    for (const [options, message] of cases) {
      const { network, strategy } = await strategyOn(space, options);
      strategy.setup(setupOf(space, network)); // what `proxyless derive` does: no measureLatency, no plugins
      expect(Object.keys(strategy.derive())).toEqual(['b0', 'b1']);
      await expect(strategy.archStep(stepInput(batch))).rejects.toThrow(message);
      disposeNetwork(network);
    }
    tf.dispose([batch.x, batch.y]);
  });

  it('validates options: w ≤ 0, built-in reward names take their own options', () => {
    expect(reinforceStrategyOptions.safeParse({ reward: { use: 'latency', budget: 2, w: 0.1 } }).success).toBe(false);
    expect(reinforceStrategyOptions.safeParse({ reward: { use: 'latency' } }).success).toBe(false);
    expect(reinforceStrategyOptions.safeParse({ reward: { use: 'latency', options: {} } }).success).toBe(false);
    expect(reinforceStrategyOptions.safeParse({ samples: 0 }).success).toBe(false);
    expect(reinforceStrategyOptions.safeParse({ bogus: 1 }).success).toBe(false);
    const o = reinforceStrategyOptions.parse({});
    expect(o).toMatchObject({ mode: 'reinforce', samples: 10, lr: 0.01, beta1: 0, reward: { use: 'accuracy' }, baseline: { decay: 0.9, initial: 'first-mean' } });
    expect(reinforceStrategyOptions.parse({ reward: { use: 'latency', target: 2 } }).reward).toEqual({ use: 'latency', budget: 2, w: -0.07, latencySource: 'auto' });
  });
});
