import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@proxyless/core';
import { expect, test } from 'vitest';
import { onBackend } from './backend-env.js';
import { ALL_BACKENDS, describeWithBackends } from './describe-with-backends.js';
import type { InputSpec, OpCase } from './op-cases.js';
import { expectArraysClose, tolerancesFor, type Tolerances } from './tolerances.js';

/** Exclusions by backend, then by case name, each with its reason (tfjs `TEST_FILTERS` style). */
export type Exclusions = Readonly<Record<string, Readonly<Record<string, string>>>>;

export interface ConformanceSuiteOptions {
  readonly cases: readonly OpCase[];
  readonly exclusions?: Exclusions;
  /** Override the per-backend tolerances. */
  readonly tolerances?: Partial<Tolerances>;
  /** Backend whose numbers are the reference (default `cpu`). */
  readonly reference?: string;
  /** Where the numerical check runs (default: only in the reference backend's project). */
  readonly numericOn?: readonly string[];
  /** Coordinates per input checked by finite differences (default 24). */
  readonly numericSamples?: number;
}

interface CaseData {
  readonly inputs: ReadonlyArray<{ readonly values: Float32Array; readonly shape: number[]; readonly spec: InputSpec }>;
  readonly seed: number;
}

/** Seeded values of one input. */
export function makeValues(spec: InputSpec, rng: Rng): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(size);
  switch (spec.kind ?? 'normal') {
    case 'normal':
      for (let i = 0; i < size; i++) v[i] = rng.normal();
      break;
    case 'distinct': {
      const perm = rng.permutation(size);
      for (let i = 0; i < size; i++) v[i] = (perm[i]! - size / 2) * 0.05;
      break;
    }
    case 'awayFromKinks':
      for (let i = 0; i < size; i++) {
        let x = rng.normal(0, 3);
        if (Math.abs(x) < 0.1) x += x < 0 ? -0.2 : 0.2;
        if (Math.abs(x - 6) < 0.1) x += 0.2;
        v[i] = x;
      }
      break;
    case 'oneHot': {
      const cols = spec.shape[spec.shape.length - 1]!;
      for (let r = 0; r < size / cols; r++) v[r * cols + rng.int(cols)] = 1;
      break;
    }
  }
  return v;
}

function caseData(c: OpCase): CaseData {
  const rng = new Rng(`conformance:${c.name}`);
  return { inputs: c.inputs.map((spec) => ({ values: makeValues(spec, rng), shape: [...spec.shape], spec })), seed: rng.nextUint32() };
}

interface Evaluation {
  readonly y: Float32Array;
  readonly grads: Float32Array[];
  readonly leakedTensors: number;
  readonly leakedBuffers: number;
}

/** Value and gradients (w.r.t. every non-constant input, upstream gradient = seeded dy) on the active backend. */
export function evaluateCase(c: OpCase, data: CaseData = caseData(c)): Evaluation {
  const before = tf.memory();
  const outs = tf.tidy(() => {
    const xs = data.inputs.map((d) => tf.tensor(d.values, d.shape, 'float32'));
    const diff = data.inputs.map((d, i) => (d.spec.constant ? -1 : i)).filter((i) => i >= 0);
    const call = (vs: tf.Tensor[]): tf.Tensor => {
      const args = xs.slice();
      diff.forEach((idx, k) => { args[idx] = vs[k]!; });
      return c.fn(...args);
    };
    const y = call(diff.map((i) => xs[i]!));
    const dyRng = new Rng(data.seed);
    const dy = tf.tensor(Float32Array.from({ length: y.size }, () => dyRng.normal()), y.shape, 'float32');
    const grads = tf.grads((...vs: tf.Tensor[]) => call(vs))(diff.map((i) => xs[i]!), dy);
    return [y, ...grads];
  });
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  const after = tf.memory();
  return {
    y: values[0]!,
    grads: values.slice(1),
    leakedTensors: after.numTensors - before.numTensors,
    leakedBuffers: after.numDataBuffers - before.numDataBuffers,
  };
}

/** Central-difference gradients of L = Σ y ⊙ dy at `samples` seeded coordinates per input, plus the analytic values there. */
export function numericCheck(c: OpCase, eps: number, samples: number, data: CaseData = caseData(c)): Array<{ input: number; numeric: number[]; analytic: number[] }> {
  const analytic = evaluateCase(c, data).grads;
  const loss = (inputs: Float32Array[]): number => tf.tidy(() => {
    const y = c.fn(...inputs.map((v, i) => tf.tensor(v, data.inputs[i]!.shape, 'float32')));
    const r = new Rng(data.seed);
    const dy = tf.tensor(Float32Array.from({ length: y.size }, () => r.normal()), y.shape, 'float32');
    return tf.sum(tf.mul(y, dy)).dataSync()[0]!;
  });
  const pick = new Rng(`numeric:${c.name}`);
  const out: Array<{ input: number; numeric: number[]; analytic: number[] }> = [];
  let g = 0;
  data.inputs.forEach((d, i) => {
    if (d.spec.constant) return;
    const coords = d.values.length <= samples ? [...d.values.keys()] : Array.from(pick.permutation(d.values.length).slice(0, samples));
    const numeric: number[] = [];
    const ana: number[] = [];
    for (const j of coords) {
      const plus = data.inputs.map((e) => Float32Array.from(e.values));
      const minus = data.inputs.map((e) => Float32Array.from(e.values));
      plus[i]![j]! += eps;
      minus[i]![j]! -= eps;
      numeric.push((loss(plus) - loss(minus)) / (2 * eps));
      ana.push(analytic[g]![j]!);
    }
    out.push({ input: i, numeric, analytic: ana });
    g++;
  });
  return out;
}

/**
 * Registers, for the backend of the running vitest project, one test per case: forward values and
 * gradients agree with the reference backend within the backend's tolerance and nothing leaks
 * (`tf.memory().numTensors` and the backend's data buffers are unchanged). In the reference
 * backend's project, finite differences additionally confirm the reference gradients.
 */
export function runConformanceSuite(title: string, options: ConformanceSuiteOptions): void {
  const reference = options.reference ?? 'cpu';
  describeWithBackends(title, ALL_BACKENDS, (backend) => {
    const tol = { ...tolerancesFor(backend), ...options.tolerances };
    const excluded = options.exclusions?.[backend] ?? {};
    for (const c of options.cases) {
      const reason = excluded[c.name];
      if (reason) {
        test.skip(`${c.name} (excluded on ${backend}: ${reason})`, () => {});
        continue;
      }
      test(`${c.name}: value and gradients match ${reference}, no leaks`, async () => {
        const data = caseData(c);
        evaluateCase(c, data); // first run may create backend-lifetime state (compiled operators)
        const got = evaluateCase(c, data);
        expect(got.leakedTensors, 'tensors leaked').toBe(0);
        expect(got.leakedBuffers, 'backend buffers leaked').toBe(0);
        if (backend === reference) return;
        const want = await onBackend(reference, () => evaluateCase(c, data));
        expectArraysClose(got.y, want.y, tol.vsCpu, `${c.name} value`);
        expect(got.grads.length).toBe(want.grads.length);
        got.grads.forEach((gr, i) => expectArraysClose(gr, want.grads[i]!, tol.vsCpu, `${c.name} gradient ${i}`));
      });
      const numericOn = options.numericOn ?? [reference];
      if (!numericOn.includes(backend)) continue;
      if (c.skipNumeric) {
        test.skip(`${c.name}: numerical gradients (skipped: ${c.skipNumeric})`, () => {});
        continue;
      }
      test(`${c.name}: finite differences (eps ${tol.eps}) confirm the analytic gradients`, () => {
        for (const r of numericCheck(c, tol.eps, options.numericSamples ?? 24)) {
          expectArraysClose(r.numeric, r.analytic, tol.numeric, `${c.name} numeric gradient of input ${r.input}`);
        }
      });
    }
  });
}
