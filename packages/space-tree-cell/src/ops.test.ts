import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@proxyless/backend-wasm';
import { ensureGradients, Rng } from '@proxyless/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { avgPoolSame, buildEdgeOp, convSymmetric, DEFAULT_EDGE_OPS, depthwiseConvDilated, GroupedRootConv, parseEdgeOp, shuffleTwo } from './index.js';

beforeAll(async () => {
  await ensureGradients();
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/**
 * Central finite differences of L(x) = Σ f(x)·r at a few coordinates of x, against tf.grad. For the
 * linear ops here (convs, average pool) the difference quotient is exact up to float rounding.
 */
function checkGradient(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, seed: number, eps = 1e-2): void {
  const r = tf.randomNormal(f(x).shape, 0, 1, 'float32', seed);
  const loss = (t: tf.Tensor) => tf.sum(tf.mul(f(t), r));
  const g = tf.grad(loss)(x);
  const gv = g.dataSync();
  const xv = x.dataSync();
  const rng = new Rng(seed);
  let checked = 0;
  for (let n = 0; n < 12; n++) {
    const i = rng.int(xv.length);
    const plus = Float32Array.from(xv);
    const minus = Float32Array.from(xv);
    plus[i]! += eps;
    minus[i]! -= eps;
    const fd = tf.tidy(() => (loss(tf.tensor(plus, x.shape)).dataSync()[0]! - loss(tf.tensor(minus, x.shape)).dataSync()[0]!) / (2 * eps));
    expect(Math.abs(fd - gv[i]!)).toBeLessThan(2e-2 * Math.max(1, Math.abs(fd)));
    checked++;
  }
  expect(checked).toBe(12);
  expect(Math.max(...Array.from(gv).map(Math.abs))).toBeGreaterThan(1e-3);
  tf.dispose([r, g]);
}

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`ops on ${backend}`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      expect(tf.getBackend()).toBe(backend);
    });

    it('dilated depthwise conv: the trainable space-to-batch form equals the native dilated kernel, and its gradients match finite differences', () => {
      for (const [h, w] of [[8, 8], [7, 9]] as const) {
        const x = tf.randomNormal([2, h, w, 3], 0, 1, 'float32', 1);
        const f = tf.randomNormal([3, 3, 3, 1], 0, 1, 'float32', 2);
        const native = depthwiseConvDilated(x as tf.Tensor4D, f as tf.Tensor4D, 2, false);
        const trained = depthwiseConvDilated(x as tf.Tensor4D, f as tf.Tensor4D, 2, true);
        expect(trained.shape).toEqual([2, h, w, 3]);
        expect(maxAbs(native, trained)).toBeLessThan(1e-4);
        checkGradient((t) => depthwiseConvDilated(t as tf.Tensor4D, f as tf.Tensor4D, 2, true), x, 3);
        checkGradient((t) => depthwiseConvDilated(x as tf.Tensor4D, t as tf.Tensor4D, 2, true), f, 4);
        tf.dispose([x, f, native, trained]);
      }
    });

    it('3×3 average pool excluding the padding: training form equals tf.avgPool `same`, gradient matches finite differences (borders included)', () => {
      const x = tf.randomNormal([2, 6, 5, 2], 0, 1, 'float32', 5);
      const a = avgPoolSame(x as tf.Tensor4D, 3, false);
      const b = avgPoolSame(x as tf.Tensor4D, 3, true);
      expect(maxAbs(a, b)).toBeLessThan(1e-5);
      // the corner averages 4 cells, not 9
      const corner = tf.tidy(() => tf.mean(tf.slice(x, [0, 0, 0, 0], [1, 2, 2, 1])).dataSync()[0]!);
      expect(b.dataSync()[0]).toBeCloseTo(corner, 5);
      checkGradient((t) => avgPoolSame(t as tf.Tensor4D, 3, true), x, 6);
      tf.dispose([x, a, b]);
    });

    it('stride-2 conv pads symmetrically (PyTorch padding 1) and its gradient matches finite differences', () => {
      const x = tf.randomNormal([1, 8, 8, 2], 0, 1, 'float32', 7);
      const f = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 8);
      const y = convSymmetric(x as tf.Tensor4D, f as tf.Tensor4D, 2);
      expect(y.shape).toEqual([1, 4, 4, 4]);
      const ref = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
      expect(maxAbs(y, ref)).toBeLessThan(1e-4);
      checkGradient((t) => convSymmetric(t as tf.Tensor4D, f as tf.Tensor4D, 2), x, 9);
      tf.dispose([x, f, y, ref]);
    });

    it('channel shuffle of two groups: output channel 2j + g is group g channel j', () => {
      const a = tf.tensor4d([1, 2, 3], [1, 1, 1, 3]);
      const b = tf.tensor4d([10, 20, 30], [1, 1, 1, 3]);
      expect(Array.from(shuffleTwo(a, b).dataSync())).toEqual([1, 10, 2, 20, 3, 30]);
    });

    it('the grouped root conv: BN → ReLU → 2-group 3×3 conv (w → 2w, stride) → shuffle, gradients reach both groups', () => {
      const root = new GroupedRootConv('root', 6, 2, { momentum: 0.1, eps: 1e-5 }, new Rng(1));
      const x = tf.randomNormal([2, 8, 8, 6], 0, 1, 'float32', 10);
      const y = root.apply(x, { training: true });
      expect(y.shape).toEqual([2, 4, 4, 12]);
      // group 0 sees only the first 3 input channels: channel 2j of the output ignores channels 3..5
      const bumped = tf.tidy(() => tf.concat([tf.slice(x, [0, 0, 0, 0], [2, 8, 8, 3]), tf.add(tf.slice(x, [0, 0, 0, 3], [2, 8, 8, 3]), 5)], 3));
      const y0 = root.apply(x, { training: false });
      const y1 = root.apply(bumped, { training: false });
      const even = (t: tf.Tensor) => tf.gather(t, [0, 2, 4, 6, 8, 10], 3);
      const odd = (t: tf.Tensor) => tf.gather(t, [1, 3, 5, 7, 9, 11], 3);
      expect(maxAbs(even(y0), even(y1))).toBe(0);
      expect(maxAbs(odd(y0), odd(y1))).toBeGreaterThan(1e-3);
      const vars = root.variables().filter((v) => v.trainable);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(root.apply(x, { training: true }))) as tf.Scalar, vars.map((v) => v.variable));
      for (const v of vars) expect(tf.max(tf.abs(grads[v.variable.name]!)).dataSync()[0]).toBeGreaterThan(0);
      tf.dispose([x, y, bumped, y0, y1, ...Object.values(grads)]);
      tf.dispose(root.variables().map((v) => v.variable));
    });

    it('every candidate op: shape kept, gradients for the input and every weight, training and inference agree (batch statistics aside)', () => {
      const w = 6;
      const x = tf.randomNormal([2, 8, 8, w], 0, 1, 'float32', 11);
      for (const name of DEFAULT_EDGE_OPS) {
        const m = buildEdgeOp(`e/${name}`, parseEdgeOp(name)!, w, { momentum: 0.1, eps: 1e-5 }, new Rng(name));
        const y = m.apply(x, { training: true });
        expect(y.shape, name).toEqual([2, 8, 8, w]);
        const vars = m.variables().filter((v) => v.trainable).map((v) => v.variable);
        const gx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(m.apply(t, { training: true }), tf.range(0, 2 * 8 * 8 * w).reshape([2, 8, 8, w]).div(100))))(x);
        expect(Number.isFinite(tf.sum(gx).dataSync()[0]!), name).toBe(true);
        expect(tf.max(tf.abs(gx)).dataSync()[0], name).toBeGreaterThan(0);
        if (vars.length) {
          const { grads } = tf.variableGrads(() => tf.sum(tf.square(m.apply(x, { training: true }))) as tf.Scalar, vars);
          for (const v of vars) expect(tf.max(tf.abs(grads[v.name]!)).dataSync()[0], `${name} ${v.name}`).toBeGreaterThan(0);
          tf.dispose(Object.values(grads));
        } else {
          // parameter-free ops compute the same thing in both modes
          expect(maxAbs(y, m.apply(x, { training: false })), name).toBeLessThan(1e-5);
        }
        tf.dispose([y, gx]);
        tf.dispose(m.variables().map((v) => v.variable));
      }
      x.dispose();
    });
  });
}
