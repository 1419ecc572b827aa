import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { softmaxCrossEntropy } from '../nn/loss.js';
import { Dense } from '../nn/layers.js';
import type { ForwardContext } from '../nn/module.js';
import { Rng } from '../random/rng.js';
import { ensureGradients } from '../tfjs/runtime.js';
import { combineShares, type StepShare, type TrainCollective } from './collective.js';
import { isDecayedWeight, NonFiniteLoss, weightStepOptionFields, WeightStep } from './weight-step.js';
import { z } from 'zod';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ensureGradients();
});

const options = z.object(weightStepOptionFields({ lr: 0.1 })).parse({ momentum: 0, nesterov: false, weightDecay: 0.01, labelSmoothing: 0.1 });

/** A real dense classifier on flattened 2×2×1 images, and a batch of 6. */
function setup(seed = 1) {
  const dense = new Dense('fc', 4, 3, new Rng(seed));
  const apply = (x: tf.Tensor4D, ctx: ForwardContext) => dense.apply(tf.reshape(x, [x.shape[0], 4]), ctx);
  const rng = new Rng(seed + 1);
  const batch = () => ({
    x: tf.tensor4d(Float32Array.from({ length: 24 }, () => rng.normal()), [6, 2, 2, 1]),
    y: tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'),
  });
  return { dense, apply, batch };
}

const values = (d: Dense) => d.variables().map((v) => Array.from(v.variable.dataSync()));

describe('the weight step', () => {
  it('decays conv and dense kernels only', () => {
    expect(['b0/conv/kernel', 'b0/dw/depthwise_kernel', 'fc/kernel'].map((name) => isDecayedWeight({ name }))).toEqual([true, true, true]);
    expect(['fc/bias', 'b0/bn/gamma', 'b0/alpha', 'kernel_size'].map((name) => isDecayedWeight({ name }))).toEqual([false, false, false, false]);
  });

  it('takes one SGD step on CE with label smoothing + weightDecay/2·Σ‖kernel‖², training only the given weights', async () => {
    const { dense, apply, batch } = setup();
    const b = batch();
    const [kernel, bias] = dense.variables();
    // expected: the same loss differentiated by hand through tf.grads, plain SGD with lr 0.1
    const { value, grads } = tf.variableGrads(() => {
      const ce = softmaxCrossEntropy(apply(b.x, { training: true }), b.y, 0.1);
      return tf.add(ce, tf.mul(tf.sum(tf.square(kernel!.variable)), 0.01 / 2)) as tf.Scalar;
    }, [kernel!.variable]);
    const want = Array.from(tf.sub(kernel!.variable, tf.mul(grads[kernel!.variable.name]!, 0.1)).dataSync());
    const biasBefore = Array.from(bias!.variable.dataSync());
    const step = new WeightStep(options);
    const r = await step.run({ weights: { train: [kernel!], decayed: [kernel!] }, apply, batch: b, forward: {}, lr: 0.1 });
    expect(r.loss).toBeCloseTo(value.dataSync()[0]!, 6);
    expect(r.count).toBe(6);
    Array.from(kernel!.variable.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    expect(Array.from(bias!.variable.dataSync())).toEqual(biasBefore); // not in `train`
    step.dispose();
  });

  it('guarded: a non-finite loss throws NonFiniteLoss before any weight moves', async () => {
    const { dense, apply } = setup();
    const before = values(dense);
    const step = new WeightStep(options, true);
    const bad = { x: tf.fill([6, 2, 2, 1], NaN) as tf.Tensor4D, y: tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32') };
    const train = dense.variables();
    await expect(step.run({ weights: { train, decayed: train.filter(isDecayedWeight) }, apply, batch: bad, forward: {}, lr: 0.1 })).rejects.toBeInstanceOf(NonFiniteLoss);
    expect(values(dense)).toEqual(before);
  });

  it('data-parallel: two ranks on their slices take the full-batch step (up to float summation order)', async () => {
    const single = setup(5);
    const rank0 = setup(5);
    const rank1 = setup(5);
    const b = single.batch();
    // two in-process ranks exchanging shares (what the worker threads do through messages)
    const shares: StepShare[] = [];
    let release: (s: StepShare) => void = () => {};
    const reduced = new Promise<StepShare>((resolve) => (release = resolve));
    const collective = (rank: number): TrainCollective => ({
      rank,
      size: 2,
      allReduceGradients: async (share) => {
        shares[rank] = share;
        if (shares.filter(Boolean).length === 2) release(combineShares(shares));
        return reduced;
      },
      averageState: async (s) => s,
    });
    const run = (net: ReturnType<typeof setup>, c?: TrainCollective) => {
      const train = net.dense.variables();
      return new WeightStep(options).run({ weights: { train, decayed: train.filter(isDecayedWeight) }, apply: net.apply, batch: { x: b.x, y: b.y }, forward: {}, lr: 0.1, ...(c ? { collective: c } : {}) });
    };
    const one = await run(single);
    const [r0, r1] = await Promise.all([run(rank0, collective(0)), run(rank1, collective(1))]);
    expect(shares.map((s) => s.count)).toEqual([3, 3]);
    expect(r0).toEqual(r1);
    expect(r0.count).toBe(6);
    expect(r0.loss).toBeCloseTo(one.loss, 6);
    expect(r0.correct).toBe(one.correct);
    expect(values(rank0.dense)).toEqual(values(rank1.dense));
    values(rank0.dense).flat().forEach((v, i) => expect(v).toBeCloseTo(values(single.dense).flat()[i]!, 6));
    expect(values(single.dense)).not.toEqual(values(setup(5).dense)); // the step moved the weights
  });

  it('the update on the host and as tensor ops take the same steps (Nesterov momentum, weight decay, a variable without a gradient)', async () => {
    const nesterov = z.object(weightStepOptionFields({ lr: 0.1 })).parse({ momentum: 0.9, nesterov: true, weightDecay: 0.05, labelSmoothing: 0.1 });
    const forms = (['tensor', 'host'] as const).map((form) => {
      const net = setup(7);
      const unused = new Dense('unused', 2, 2, new Rng(3)); // trained, decayed, but not in the forward pass: no gradient
      const train = [...net.dense.variables(), ...unused.variables()];
      return { form, net, unused, train, step: new WeightStep(nesterov, true, form) };
    });
    const data = setup(7);
    const losses: number[][] = [[], []];
    for (let i = 0; i < 4; i++) {
      const b = data.batch();
      for (const [k, f] of forms.entries()) {
        const r = await f.step.run({ weights: { train: f.train, decayed: f.train.filter(isDecayedWeight) }, apply: f.net.apply, batch: b, forward: {}, lr: 0.1 - 0.02 * i });
        losses[k]!.push(r.loss);
      }
      tf.dispose([b.x, b.y]);
    }
    losses[1]!.forEach((l, i) => expect(l).toBeCloseTo(losses[0]![i]!, 5)); // L2 included in both
    const [t, h] = forms.map((f) => values(f.net.dense).flat());
    h!.forEach((v, i) => expect(v).toBeCloseTo(t![i]!, 5));
    expect(t).not.toEqual(values(setup(7).dense).flat()); // they moved
    // no gradient from the loss: the kernel only decays (as the L2 term's gradient does in the tensor form), the bias stays
    const [kernel0, bias0] = values(new Dense('unused', 2, 2, new Rng(3)));
    for (const f of forms) {
      const [kernel, bias] = values(f.unused);
      expect(bias).toEqual(bias0);
      kernel!.forEach((v, i) => expect(Math.abs(v)).toBeLessThan(Math.abs(kernel0![i]!)));
    }
    values(forms[1]!.unused).flat().forEach((v, i) => expect(v).toBeCloseTo(values(forms[0]!.unused).flat()[i]!, 6));
    const [ts, hs] = forms.map((f) => f.step.sgd.slots());
    expect(Object.keys(hs!).sort()).toEqual(Object.keys(ts!).sort());
    for (const k of Object.keys(ts!)) Array.from(hs![k]!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(ts![k]!.dataSync()[i]!, 5));
    for (const f of forms) f.step.dispose();
  });

  it('host velocities checkpoint through slots() and continue in either form', async () => {
    const nesterov = z.object(weightStepOptionFields({ lr: 0.1 })).parse({ momentum: 0.9, nesterov: true, weightDecay: 0.01, labelSmoothing: 0 });
    const data = setup(11);
    const batches = [data.batch(), data.batch(), data.batch()];
    const run = async (net: ReturnType<typeof setup>, step: WeightStep, b: (typeof batches)[number]) => {
      const train = net.dense.variables();
      await step.run({ weights: { train, decayed: train.filter(isDecayedWeight) }, apply: net.apply, batch: b, forward: {}, lr: 0.05 });
    };
    // reference: three host steps in one optimizer
    const ref = setup(11);
    const refStep = new WeightStep(nesterov, false, 'host');
    for (const b of batches) await run(ref, refStep, b);
    // resumed: two host steps, the slots saved (cloned) and loaded into a fresh optimizer, the third step as tensor ops
    const resumed = setup(11);
    const before = new WeightStep(nesterov, false, 'host');
    await run(resumed, before, batches[0]!);
    await run(resumed, before, batches[1]!);
    const tensors = tf.memory().numTensors;
    const saved = Object.fromEntries(Object.entries(before.sgd.slots()).map(([k, t]) => [k, t.clone()]));
    expect(Object.keys(saved)).toHaveLength(2);
    before.dispose();
    const after = new WeightStep(nesterov, false, 'tensor');
    after.sgd.loadSlots(saved);
    tf.dispose(Object.values(saved));
    await run(resumed, after, batches[2]!);
    values(resumed.dense).flat().forEach((v, i) => expect(v).toBeCloseTo(values(ref.dense).flat()[i]!, 5));
    after.dispose();
    refStep.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(tensors); // slots() and the moves between forms leak nothing
    tf.dispose(batches.flatMap((b) => [b.x, b.y]));
  });
});
