import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import type { Architecture } from '../spaces/architecture.js';
import type { GateAssignment, GateSample } from './gates.js';
import type { MixedOp } from './mixed-op.js';

/** One active path per mixed op, drawn uniformly. */
export function sampleUniform(ops: readonly MixedOp[], rng: Rng): GateSample {
  const out: Record<string, { active: number[]; chosen: number }> = {};
  for (const op of ops) {
    const j = rng.int(op.size);
    out[op.label] = { active: [j], chosen: j };
  }
  return out;
}

/** One active path per mixed op, drawn from p = softmax(α) (paper Eq. 2). */
export function sampleFromProbs(ops: readonly MixedOp[], rng: Rng): GateSample {
  const out: Record<string, { active: number[]; chosen: number }> = {};
  for (const op of ops) {
    const j = rng.categorical(op.probsSync());
    out[op.label] = { active: [j], chosen: j };
  }
  return out;
}

/** Gates that select one named candidate per label (a concrete architecture through the supernet). */
export function gatesForArchitecture(ops: readonly MixedOp[], arch: Architecture): GateSample {
  const out: Record<string, { active: number[]; chosen: number }> = {};
  for (const op of ops) {
    const name = arch[op.label];
    if (name === undefined) throw new Error(`architecture has no choice for mixed op ${op.label}`);
    const j = op.indexOf(name);
    out[op.label] = { active: [j], chosen: j };
  }
  return out;
}

/** p = softmax(α) of every mixed op, by label, as plain numbers (for logs and hooks). */
export function probabilitiesOf(ops: readonly MixedOp[]): Record<string, number[]> {
  return Object.fromEntries(ops.map((op) => [op.label, op.probsSync()]));
}

/** The argmax-p architecture. */
export function argmaxArchitecture(ops: readonly MixedOp[]): Architecture {
  const arch: Architecture = {};
  for (const op of ops) {
    const p = op.probsSync();
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
    arch[op.label] = op.candidates[best]!.name;
  }
  return arch;
}

/**
 * Turns a plain gate sample into gate tensors: one-hot at `chosen`, with `active` listing the paths
 * to compute. The caller disposes them with `disposeGates`.
 */
export function toGateTensors(ops: readonly MixedOp[], sample: GateSample): GateAssignment {
  const out: Record<string, { active: readonly number[]; values: tf.Tensor1D }> = {};
  for (const op of ops) {
    const s = sample[op.label];
    if (!s) throw new Error(`gate sample has no entry for mixed op ${op.label}`);
    const v = new Float32Array(op.size);
    v[s.chosen] = 1;
    out[op.label] = { active: s.active, values: tf.tensor1d(v) };
  }
  return out;
}

export function disposeGates(gates: GateAssignment): void {
  for (const g of Object.values(gates)) g.values.dispose();
}
