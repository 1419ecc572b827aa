import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../tfjs/runtime.js';
import { BatchNorm, relu6Op } from './layers.js';

/** Batch norm composed of plain ops (the textbook form), as the reference. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

describe('BatchNorm', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await ensureGradients();
  });

  it('training output and gradients of x, γ and β equal the composed textbook form', () => {
    const bn = new BatchNorm('bn', 6, { momentum: 0.2, eps: 1e-3 });
    bn.gamma.assign(tf.randomNormal([6], 1, 0.3, 'float32', 4));
    const x = tf.randomNormal([3, 5, 5, 6], 0.5, 2, 'float32', 8);
    const w = tf.randomNormal([3, 5, 5, 6], 0, 1, 'float32', 9);
    const g0 = bn.gamma.clone();
    const b0 = tf.zeros([6]);
    const [dxRef, dgRef, dbRef] = tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(reference(xi, g, b, 1e-3), w)))([x, g0, b0]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(x, { training: true }), w)) as tf.Scalar, [bn.gamma, bn.beta]);
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(bn.apply(xi, { training: true }), w)))(x);
    const close = (a: tf.Tensor, b: tf.Tensor, what: string) => expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0], what).toBeLessThan(2e-4);
    close(bn.apply(x, { training: true }), reference(x, g0, b0, 1e-3), 'output');
    close(dx, dxRef!, 'dx');
    close(grads[bn.gamma.name]!, dgRef!, 'dγ');
    close(grads[bn.beta.name]!, dbRef!, 'dβ');
  });

  it('updates running statistics with momentum and the unbiased variance, and uses them in eval mode', () => {
    const bn = new BatchNorm('bn', 2, { momentum: 0.1, eps: 1e-5 });
    const x = tf.tensor4d([1, 10, 3, 20, 5, 30, 7, 40], [2, 2, 1, 2]);
    bn.apply(x, { training: true }).dispose();
    // channel 0: mean 4, unbiased var 20/3; channel 1: mean 25, unbiased var 500/3
    expect(Array.from(bn.movingMean.dataSync())).toEqual([0.4, 2.5].map((v) => expect.closeTo(v, 5)));
    expect(Array.from(bn.movingVariance.dataSync())).toEqual([0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (500 / 3)].map((v) => expect.closeTo(v, 4)));
    const y = bn.apply(x, { training: false });
    const expected = tf.batchNorm(x, bn.movingMean, bn.movingVariance, bn.beta, bn.gamma, 1e-5);
    expect(tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]).toBeLessThan(1e-6);
  });

  it('keeps one activation-sized tensor (the centred input) for backprop: fewer tensors alive during the backward pass than the composed form', () => {
    const x = tf.randomNormal([4, 8, 8, 16], 0, 1, 'float32', 1);
    const bn = new BatchNorm('bn', 16);
    const peak = (f: () => tf.Scalar) => tf.tidy(() => {
      const before = tf.memory().numBytes;
      let top = 0;
      const { value, grads } = tf.variableGrads(() => {
        const l = f();
        top = tf.memory().numBytes - before;
        return l;
      }, [bn.gamma]);
      tf.dispose([value, ...Object.values(grads)]);
      return top;
    });
    const lean = peak(() => tf.sum(tf.square(bn.apply(x, { training: true }))) as tf.Scalar);
    const composed = peak(() => tf.sum(tf.square(reference(x, bn.gamma, bn.beta, bn.eps))) as tf.Scalar);
    expect(lean).toBeLessThan(composed * 0.7);
  });

  it('with batchStatistics (inference) normalizes by the batch and leaves the running averages alone', () => {
    const bn = new BatchNorm('bn', 6, { eps: 1e-3 });
    const x = tf.randomNormal([3, 5, 5, 6], 2, 3, 'float32', 11);
    const before = [Array.from(bn.movingMean.dataSync()), Array.from(bn.movingVariance.dataSync())];
    const y = bn.apply(x, { training: false, batchStatistics: true });
    const ref = reference(x, bn.gamma, bn.beta, 1e-3);
    expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-4);
    expect([Array.from(bn.movingMean.dataSync()), Array.from(bn.movingVariance.dataSync())]).toEqual(before);
    // without the flag, inference uses the (untrained) running averages: a different output
    expect(tf.max(tf.abs(tf.sub(bn.apply(x, { training: false }), ref))).dataSync()[0]).toBeGreaterThan(0.1);
  });
});

describe('relu6Op', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await ensureGradients();
  });

  it('has the value and the gradient of tf.relu6, kinks included (dy where 0 < x ≤ 6)', () => {
    const x = tf.tensor1d([-3, -1e-3, 0, 1e-3, 2.5, 6 - 1e-3, 6, 6 + 1e-3, 9]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const ours = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(relu6Op(xi), dy)))(x);
    const ref = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.relu6(xi), dy)))(x);
    expect(Array.from(relu6Op(x).dataSync())).toEqual(Array.from(tf.relu6(x).dataSync()));
    expect(Array.from(ours.dataSync())).toEqual(Array.from(ref.dataSync()));
    expect(Array.from(ours.dataSync())).toEqual([0, 0, 0, 4, 5, 6, 7, 0, 0]);
  });
});
