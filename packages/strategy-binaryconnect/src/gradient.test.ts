import * as tf from '@tensorflow/tfjs-core';
import { createExpectedLatency, Rng, softmaxCrossEntropy, type Batch, type Network } from '@proxyless/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fashionMnist, FixtureSpace, kernelLatency, useWasm } from '../test/fixtures.js';
import { BinaryConnectStrategy, binaryConnectOptions, softmaxOver, type ArchSample, type BinaryConnectOptionsInput, type GradientMode } from './index.js';

const all = (n: number) => [...Array(n).keys()];
let batch: Batch;

beforeAll(async () => {
  await useWasm();
  const data = await fashionMnist();
  batch = data.validation.batches(16)[Symbol.iterator]().next().value!;
});
afterAll(() => tf.dispose([batch.x, batch.y]));

function strategyFor(network: Network, space: FixtureSpace, options: BinaryConnectOptionsInput, loss = (l: tf.Tensor, y: tf.Tensor1D) => softmaxCrossEntropy(l, y)) {
  const s = new BinaryConnectStrategy(binaryConnectOptions.parse(options), new Rng(1));
  const withLatency = options.latencyLoss !== undefined && options.latencyLoss !== 'none';
  s.setup({ network, space, loss, ...(withLatency ? { latency: createExpectedLatency(network, kernelLatency) } : {}) });
  return s;
}

/** The same sample for every op: `chosen` gate 1, computed paths per mode, Eq. 4 over `paths`. */
function sampleOf(network: Network, chosen: Record<string, number>, mode: GradientMode, pair?: Record<string, [number, number]>): ArchSample {
  return Object.fromEntries(
    network.mixedOps.map((op) => {
      const c = chosen[op.label]!;
      if (mode === 'two') return [op.label, { active: pair![op.label]!, chosen: c, paths: pair![op.label]! }];
      return [op.label, { active: mode === 'full' ? all(op.size) : [c], chosen: c, paths: all(op.size) }];
    }),
  );
}

const forward = { training: false };

describe('Eq. 4 against the true gradient of the expected loss (enumerated)', () => {
  it('is exact when the loss is linear in the mixed op’s output: full, exact and two modes, zero path and latency term included', () => {
    const space = new FixtureSpace({ shape: [28, 28, 1], numClasses: 10 }, [{ width: 4, stride: 1, kernels: [1, 3, 5], zero: true }]);
    const network = space.buildSupernet(new Rng(3));
    const op = network.mixedOps[0]!;
    op.alpha.assign(tf.tensor1d([0.4, -0.3, 0.2, -0.1]));
    const c = tf.randomNormal([16, 10], 0, 1, 'float32', 9);
    const linear = (logits: tf.Tensor) => tf.sum(tf.mul(logits, c)) as tf.Scalar;
    const lambda = 0.01;
    for (const latencyLoss of ['none', 'additive'] as const) {
      const s = strategyFor(network, space, { latencyLoss, lambda }, linear);
      const a = Array.from(op.alpha.dataSync());
      const p = softmaxOver(a, all(4));
      // L_k: the loss with path k alone (the expectation is Σ_k p_k·L_k, plus λ2·E[lat] which is deterministic in α)
      const L = all(4).map((k) => s.archGradients(batch, sampleOf(network, { b0: k }, 'exact'), forward).ce);
      const EL = L.reduce((acc, l, k) => acc + p[k]! * l, 0);
      const lat = [1, 9, 25, 0];
      const Elat = lat.reduce((acc, l, k) => acc + p[k]! * l, 0);
      const truth = all(4).map((i) => p[i]! * (L[i]! - EL) + (latencyLoss === 'additive' ? lambda * p[i]! * (lat[i]! - Elat) : 0));
      const scale = Math.max(...truth.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      for (const mode of ['full', 'exact'] as const) {
        for (const k of all(4)) {
          const g = s.archGradients(batch, sampleOf(network, { b0: k }, mode), forward, mode).alpha['b0']!;
          all(4).forEach((i) => expect(Math.abs(g[i]! - truth[i]!) / scale).toBeLessThan(2e-3));
        }
      }
      // two mode: the estimator over a pair S is the gradient of the expectation given S, Σ_{k∈S} q_k·L_k
      for (const [x, y] of [[0, 1], [1, 3], [2, 3]] as const) {
        const q = softmaxOver(a, [x, y]);
        const ESL = q[x]! * L[x]! + q[y]! * L[y]!;
        for (const k of [x, y]) {
          const g = s.archGradients(batch, sampleOf(network, { b0: k }, 'two', { b0: [x, y] }), forward, 'two').alpha['b0']!;
          const want = (i: number) => q[i]! * (L[i]! - ESL);
          const direct = (i: number) => (latencyLoss === 'additive' ? lambda * p[i]! * (lat[i]! - Elat) : 0);
          for (const i of [x, y]) expect(Math.abs(g[i]! - want(i) - direct(i)) / scale).toBeLessThan(2e-3);
          for (const i of all(4).filter((i) => i !== x && i !== y)) expect(g[i]).toBe(0);
        }
      }
    }
    c.dispose();
  });

  it('approximates it closely with cross-entropy through two mixed ops (9 architectures)', () => {
    const space = new FixtureSpace({ shape: [28, 28, 1], numClasses: 10 }, [
      { width: 4, stride: 1, kernels: [1, 3], zero: true },
      { width: 4, stride: 1, kernels: [3, 5], zero: true },
    ]);
    const network = space.buildSupernet(new Rng(4));
    network.mixedOps[0]!.alpha.assign(tf.tensor1d([0.5, -0.2, 0.1]));
    network.mixedOps[1]!.alpha.assign(tf.tensor1d([-0.3, 0.3, 0]));
    const s = strategyFor(network, space, {});
    const p = network.mixedOps.map((op) => softmaxOver(op.alpha.dataSync(), all(3)));
    const truth = [new Float64Array(3), new Float64Array(3)];
    const estimate = [new Float64Array(3), new Float64Array(3)];
    for (const a of all(3)) {
      for (const b of all(3)) {
        const w = p[0]![a]! * p[1]![b]!;
        const r = s.archGradients(batch, sampleOf(network, { b0: a, b1: b }, 'full'), forward, 'full');
        // ∂/∂α of Σ_{a,b} p1_a·p2_b·L(a,b)
        for (const i of all(3)) {
          truth[0]![i]! += p[1]![b]! * r.ce * p[0]![a]! * ((i === a ? 1 : 0) - p[0]![i]!);
          truth[1]![i]! += p[0]![a]! * r.ce * p[1]![b]! * ((i === b ? 1 : 0) - p[1]![i]!);
          estimate[0]![i]! += w * r.alpha['b0']![i]!;
          estimate[1]![i]! += w * r.alpha['b1']![i]!;
        }
      }
    }
    const t = [...truth[0]!, ...truth[1]!];
    const e = [...estimate[0]!, ...estimate[1]!];
    const dot = t.reduce((acc, v, i) => acc + v * e[i]!, 0);
    const cos = dot / Math.hypot(...t) / Math.hypot(...e);
    const relErr = Math.hypot(...t.map((v, i) => v - e[i]!)) / Math.hypot(...t);
    console.log(`E[Eq. 4] vs ∇E[L]: cosine ${cos.toFixed(4)}, relative error ${relErr.toFixed(4)}`, t.map((v) => v.toFixed(5)), e.map((v) => v.toFixed(5)));
    expect(cos).toBeGreaterThan(0.95);
    expect(relErr).toBeLessThan(0.1);
    // the sign of every coordinate that matters agrees
    t.forEach((v, i) => {
      if (Math.abs(v) > 0.2 * Math.max(...t.map(Math.abs))) expect(Math.sign(e[i]!)).toBe(Math.sign(v));
    });
  });
});

describe('exact mode', () => {
  it('gives the α and gate gradients of full mode on the same batch and gates, with half the forward work', async () => {
    const data = await fashionMnist();
    const space = new FixtureSpace(data.input, [
      { width: 8, stride: 2, kernels: [1, 3, 5] },
      { width: 8, stride: 1, kernels: [1, 3, 5], zero: true },
    ]);
    const network = space.buildSupernet(new Rng(6));
    const s = strategyFor(network, space, { latencyLoss: 'additive', lambda: 0.003 });
    const rng = new Rng(7);
    for (let t = 0; t < 4; t++) {
      const chosen = { b0: rng.int(3), b1: rng.int(4) };
      const full = s.archGradients(batch, sampleOf(network, chosen, 'full'), { training: true }, 'full');
      const exact = s.archGradients(batch, sampleOf(network, chosen, 'exact'), { training: true }, 'exact');
      expect(exact.loss).toBeCloseTo(full.loss, 5);
      for (const label of ['b0', 'b1']) {
        const scale = Math.max(...Array.from(full.gates[label]!, Math.abs));
        expect(scale).toBeGreaterThan(0);
        full.gates[label]!.forEach((g, i) => expect(Math.abs(exact.gates[label]![i]! - g) / scale).toBeLessThan(1e-4));
        const ascale = Math.max(...Array.from(full.alpha[label]!, Math.abs));
        full.alpha[label]!.forEach((g, i) => expect(Math.abs(exact.alpha[label]![i]! - g) / ascale).toBeLessThan(1e-4));
      }
    }
  });
});
