import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../tfjs/runtime.js';
import { Rng } from '../random/rng.js';
import { Conv2d } from './layers.js';
import { MixedOp, type Candidate } from './mixed-op.js';
import type { ForwardContext, Module, NamedVariable } from './module.js';
import { Counting } from '../../test/counting-module.js';

const feat = { type: 'conv', input: [6, 6, 2] as const, output: [6, 6, 2] as const };

function makeOp(): { op: MixedOp; paths: Counting[] } {
  const rng = new Rng(3);
  const paths = [3, 5, 1].map((k) => new Counting(new Conv2d(`c${k}`, 2, 2, { kernel: k }, rng)));
  const candidates: Candidate[] = [
    ...paths.map((m, i) => ({ name: `p${i}`, module: m, features: feat })),
    { name: 'zero', module: paths[0]!, features: { ...feat, type: 'zero' }, isZero: true },
  ];
  return { op: new MixedOp('s0_b0', candidates, new Float32Array([0.1, -0.2, 0.3, 0])), paths };
}

const gates = (n: number, chosen: number, active: number[]) => {
  const v = new Float32Array(n);
  v[chosen] = 1;
  return { active, values: tf.tensor1d(v) };
};

describe('MixedOp', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await ensureGradients();
  });

  it('runs only the active path in binarized mode and returns its output', () => {
    const { op, paths } = makeOp();
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 1);
    const g = gates(4, 1, [1]);
    const y = op.apply(x, { training: false, gates: { s0_b0: g } });
    expect(paths.map((p) => p.calls)).toEqual([0, 1, 0]);
    const direct = paths[1]!.inner.apply(x, { training: false });
    expect(tf.max(tf.abs(tf.sub(y, direct))).dataSync()[0]).toBeLessThan(1e-6);
  });

  it('gives ∂L/∂g_j = Σ(∇y ∘ o_j) for every computed path, active or not', () => {
    const { op, paths } = makeOp();
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 2);
    const values = tf.tensor1d([0, 0, 1, 0]);
    const dg = tf.grad((v: tf.Tensor) => {
      const y = op.apply(x, { training: false, gates: { s0_b0: { active: [0, 2], values: v as tf.Tensor1D } } });
      return tf.sum(tf.square(y));
    })(values);
    const o0 = paths[0]!.inner.apply(x, { training: false });
    const o2 = paths[2]!.inner.apply(x, { training: false });
    const dy = tf.mul(o2, 2); // y = o2 since g2 = 1, g0 = 0
    const expected = [tf.sum(tf.mul(dy, o0)).dataSync()[0]!, 0, tf.sum(tf.mul(dy, o2)).dataSync()[0]!, 0];
    const got = Array.from(dg.dataSync());
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 2));
    expect(got[0]).not.toBe(0);
  });

  it('with `chosen` set, gives the same ∂L/∂g and ∂L/∂x but does not back-propagate through the gated-off path', () => {
    const { op, paths } = makeOp();
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 7);
    const values = tf.tensor1d([0, 0, 1, 0]);
    const run = (chosen?: number) => {
      const f = (v: tf.Tensor, xin: tf.Tensor) => {
        const g = { active: [0, 2], values: v as tf.Tensor1D, ...(chosen !== undefined ? { chosen } : {}) };
        return tf.sum(tf.square(op.apply(xin, { training: false, gates: { s0_b0: g } }))) as tf.Scalar;
      };
      const [dg, dx] = tf.grads(f)([values, x]);
      return { dg: Array.from(dg!.dataSync()), dx: Array.from(dx!.dataSync()) };
    };
    const plain = run();
    const detached = run(2);
    plain.dg.forEach((g, i) => expect(detached.dg[i]).toBeCloseTo(g, 3));
    expect(detached.dg[0]).not.toBe(0);
    plain.dx.forEach((g, i) => expect(detached.dx[i]).toBeCloseTo(g, 4));
    // path 0's weights get a (zero) gradient without `chosen`, and no connection at all with it
    const path0 = paths[0]!.variables().map((v) => v.variable);
    const lossWith = (chosen?: number) => () =>
      tf.sum(op.apply(x, { training: false, gates: { s0_b0: { active: [0, 2], values, ...(chosen !== undefined ? { chosen } : {}) } } })) as tf.Scalar;
    const { grads } = tf.variableGrads(lossWith(), path0);
    expect(Object.keys(grads)).toHaveLength(path0.length);
    expect(() => tf.variableGrads(lossWith(2), path0)).toThrow(/connection/);
  });

  it('the zero path outputs zeros and runs no candidate', () => {
    const { op, paths } = makeOp();
    const x = tf.ones([1, 6, 6, 2]);
    const y = op.apply(x, { training: false, gates: { s0_b0: gates(4, 3, [3]) } });
    expect(paths.map((p) => p.calls)).toEqual([0, 0, 0]);
    expect(tf.max(tf.abs(y)).dataSync()[0]).toBe(0);
  });

  it('weighted mode is Σ p_i·o_i over all paths and differentiates α', () => {
    const { op, paths } = makeOp();
    const x = tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 4);
    const y = op.apply(x, { training: false, mode: 'weighted' });
    const p = op.probsSync();
    const ref = paths.map((m, i) => tf.mul(m.inner.apply(x, { training: false }), p[i]!)).reduce((a, b) => tf.add(a, b));
    expect(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0]).toBeLessThan(1e-5);
    const { grads } = tf.variableGrads(() => tf.sum(op.apply(x, { training: false, mode: 'weighted' })) as tf.Scalar, [op.alpha]);
    expect(Math.max(...Array.from(grads[op.alpha.name]!.dataSync()).map(Math.abs))).toBeGreaterThan(0);
  });

  it('rejects missing or malformed gates with the label in the message', () => {
    const { op } = makeOp();
    const x = tf.ones([1, 6, 6, 2]);
    expect(() => op.apply(x, { training: false })).toThrow(/s0_b0: binarized forward without gates/);
    expect(() => op.apply(x, { training: false, gates: { s0_b0: gates(3, 0, [0]) } })).toThrow(/3 values for 4 candidates/);
    expect(() => op.indexOf('7x7')).toThrow(/unknown candidate "7x7"/);
  });
});

describe('MixedOp gate gradients by recompute (exact mode)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await ensureGradients();
  });

  it('equals the all-paths gradient on the same gates while running only the active path forward', () => {
    const { op, paths } = makeOp();
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 5);
    const values = tf.tensor1d([0, 1, 0, 0]);
    const lossOf = (active: number[], gateGradients?: 'recompute') =>
      tf.grad((v: tf.Tensor) => tf.sum(tf.square(op.apply(x, { training: false, gates: { s0_b0: { active, values: v as tf.Tensor1D } }, ...(gateGradients ? { gateGradients } : {}) }))))(values);
    const full = Array.from(lossOf([0, 1, 2, 3]).dataSync());
    paths.forEach((p) => (p.calls = 0));
    const before = tf.memory().numTensors;
    const exact = Array.from(lossOf([1], 'recompute').dataSync());
    // forward ran path 1 only; backward recomputed paths 0 and 2 once each
    expect(paths.map((p) => p.calls)).toEqual([1, 1, 1]);
    full.forEach((g, i) => expect(exact[i]).toBeCloseTo(g, 3));
    expect(exact[0]).not.toBe(0);
    expect(exact[3]).toBe(0); // the zero path
    expect(tf.memory().numTensors).toBe(before + 1); // only the returned gradient is left
  });
});

describe('building blocks hold no stray tensors', () => {
  it('a conv, a batch norm and a mixed op leave exactly their variables behind', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const { op } = makeOp();
    // makeOp builds 3 convs (1 kernel each) and one α
    expect(tf.memory().numTensors - before).toBe(4);
    op.variables().forEach((v) => v.variable.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });
});
