import * as tf from '@tensorflow/tfjs-core';
import type { NamedVariable } from '../nn/module.js';

/**
 * The collective operations a data-parallel `trainNetwork` needs: every rank trains on its slice of
 * each batch, and all ranks apply the same averaged gradient, so their weights stay identical.
 * Batch-norm running statistics drift apart (each rank sees its own slice: "ghost" batch norm over
 * batch/size examples) and are averaged at every epoch end.
 */
export interface TrainCollective {
  /** This process's index, 0 ≤ rank < size (rank 0 reports progress and keeps the result). */
  readonly rank: number;
  readonly size: number;
  /**
   * Combines the flat gradients of all ranks, weighted by their example counts (the mean over the
   * whole batch), and the step's loss sum and correct count.
   */
  allReduceGradients(step: StepShare): Promise<StepShare>;
  /** Averages the flat non-trainable state (batch-norm running statistics) over the ranks. */
  averageState(state: Float32Array): Promise<Float32Array>;
}

/** One rank's share of a step: gradients averaged over its `count` examples, its loss sum and correct count. */
export interface StepShare {
  readonly gradients: Float32Array;
  readonly count: number;
  readonly lossSum: number;
  readonly correct: number;
}

/** Rows [lo, hi) of a batch of n examples that `rank` of `size` trains on. */
export function shardRange(n: number, rank: number, size: number): [number, number] {
  return [Math.floor((rank * n) / size), Math.floor(((rank + 1) * n) / size)];
}

/** Σ count_k · g_k / Σ count_k and the summed statistics (shares with no examples count for nothing). */
export function combineShares(shares: readonly StepShare[]): StepShare {
  const length = shares[0]!.gradients.length;
  const total = shares.reduce((n, s) => n + s.count, 0);
  const gradients = new Float32Array(length);
  for (const s of shares) {
    if (s.gradients.length !== length) throw new Error(`data-parallel: gradient sizes differ between ranks (${s.gradients.length} vs ${length})`);
    if (s.count === 0) continue;
    const w = s.count / total;
    for (let i = 0; i < length; i++) gradients[i]! += w * s.gradients[i]!;
  }
  return {
    gradients,
    count: total,
    lossSum: shares.reduce((a, s) => a + s.lossSum, 0),
    correct: shares.reduce((a, s) => a + s.correct, 0),
  };
}

/** Where each variable's values sit in a flat array of all of them (in order), and the total size. */
function layout(vars: readonly NamedVariable[]): { slots: { v: NamedVariable; at: number; size: number }[]; total: number } {
  let at = 0;
  const slots = vars.map((v) => {
    const slot = { v, at, size: v.variable.size };
    at += slot.size;
    return slot;
  });
  return { slots, total: at };
}

/** The values of `vars` concatenated (in order) into one array. */
export function flattenVariables(vars: readonly NamedVariable[]): Float32Array {
  return flatten(vars, (v) => v.variable);
}

/** Assigns consecutive slices of `flat` to `vars` (the inverse of `flattenVariables`). */
export function assignFlat(vars: readonly NamedVariable[], flat: Float32Array): void {
  const grads = gradientsFromFlat(vars, flat);
  for (const v of vars) v.variable.assign(grads[v.variable.name]!);
  tf.dispose(Object.values(grads));
}

/** Gradients keyed by tfjs variable name (as `tf.variableGrads` returns them) as one flat array in `vars` order; a missing one is zeros. */
export function flattenGradients(vars: readonly NamedVariable[], grads: Readonly<Record<string, tf.Tensor>>): Float32Array {
  return flatten(vars, (v) => grads[v.variable.name]);
}

/** One tensor per variable (or none: zeros), concatenated in `vars` order. */
function flatten(vars: readonly NamedVariable[], tensorOf: (v: NamedVariable) => tf.Tensor | undefined): Float32Array {
  const { slots, total } = layout(vars);
  const out = new Float32Array(total);
  for (const { v, at } of slots) {
    const t = tensorOf(v);
    if (t) out.set(t.dataSync() as Float32Array, at);
  }
  return out;
}

/** A flat array in `vars` order as tensors keyed by tfjs variable name (the inverse of `flattenGradients`). */
export function gradientsFromFlat(vars: readonly NamedVariable[], flat: Float32Array): Record<string, tf.Tensor> {
  const { slots, total } = layout(vars);
  if (flat.length !== total) throw new Error(`data-parallel: ${flat.length} values for variables of ${total}`);
  return Object.fromEntries(slots.map(({ v, at, size }) => [v.variable.name, tf.tensor(flat.subarray(at, at + size), v.variable.shape, 'float32')]));
}

/** Optimizer slots (by stable variable name) as plain arrays, what a worker thread can be sent. */
export type HostSlots = Readonly<Record<string, { readonly shape: number[]; readonly values: Float32Array }>>;

/** Copies slot tensors into plain arrays (rank 0 → a worker's start data). */
export function slotsToHost(slots: Readonly<Record<string, tf.Tensor>>): HostSlots {
  return Object.fromEntries(Object.entries(slots).map(([k, t]) => [k, { shape: [...t.shape], values: Float32Array.from(t.dataSync() as Float32Array) }]));
}

/** Slot tensors from plain arrays (the inverse of `slotsToHost`); the caller disposes them. */
export function slotsFromHost(slots: HostSlots): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(slots).map(([k, s]) => [k, tf.tensor(s.values, s.shape, 'float32')]));
}
