import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, adamOptions } from './adam.js';

describe('Adam', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches the textbook update with bias correction (β1 = 0.9) and saves/restores its state', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const opt = new Adam(adamOptions.parse({ lr: 0.1, beta1: 0.9 }));
    const g = tf.tensor1d([0.5, -1]);
    opt.apply({ a: w }, { a: g });
    // t=1: m̂ = g, v̂ = g², step = lr·g/(|g|+ε) = ±0.1
    expect(Array.from(w.dataSync())[0]).toBeCloseTo(0.9, 5);
    expect(Array.from(w.dataSync())[1]).toBeCloseTo(-1.9, 5);
    const saved = opt.slots();
    const copy = new Adam(adamOptions.parse({ lr: 0.1, beta1: 0.9 }));
    copy.loadSlots({ json: saved.json, tensors: Object.fromEntries(Object.entries(saved.tensors).map(([k, t]) => [k, t.clone()])) });
    const w2 = tf.variable(w.clone());
    opt.apply({ a: w }, { a: g });
    copy.apply({ a: w2 }, { a: g });
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));
  });

  it('updates only the parameters that have gradients and defaults to the paper arch settings', () => {
    const o = adamOptions.parse({});
    expect(o).toEqual({ lr: 0.006, beta1: 0, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
    const a = tf.variable(tf.tensor1d([1]));
    const b = tf.variable(tf.tensor1d([1]));
    new Adam(o).apply({ a, b }, { a: tf.tensor1d([1]) });
    expect(a.dataSync()[0]).toBeCloseTo(1 - 0.006, 6);
    expect(b.dataSync()[0]).toBe(1);
  });
});
