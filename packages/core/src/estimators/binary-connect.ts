import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/dataset.js';
import type { GateAssignment, GateSample } from '../nn/gates.js';
import type { ForwardContext } from '../nn/module.js';
import type { Network } from '../spaces/search-space.js';

/**
 * The BinaryConnect estimator of ProxylessNAS (Eq. 4), over the paths whose gate gradient is known:
 *
 *   ∂L/∂α_i ≈ Σ_j ∂L/∂g_j · p_j · (δ_ij − p_i),   i, j ∈ `paths`
 *
 * where p is the softmax of α over `paths` only (all N paths when every gate gradient is known, the
 * two sampled ones in two-path mode). Computed in float64 on the host: α vectors are a handful of
 * numbers. Returns one entry per candidate; entries outside `paths` are 0.
 */
export function binaryConnectGradient(alpha: ArrayLike<number>, gateGrad: ArrayLike<number>, paths: readonly number[]): Float64Array {
  const n = alpha.length;
  const out = new Float64Array(n);
  const p = softmaxOver(alpha, paths);
  for (const i of paths) {
    let s = 0;
    for (const j of paths) s += gateGrad[j]! * p[j]! * ((i === j ? 1 : 0) - p[i]!);
    out[i] = s;
  }
  return out;
}

/** Softmax of α over `paths` (others 0), in float64. */
export function softmaxOver(alpha: ArrayLike<number>, paths: readonly number[]): Float64Array {
  const p = new Float64Array(alpha.length);
  let max = -Infinity;
  for (const j of paths) max = Math.max(max, alpha[j]!);
  let z = 0;
  for (const j of paths) z += (p[j] = Math.exp(alpha[j]! - max));
  for (const j of paths) p[j]! /= z;
  return p;
}

/** log Σ_{j∈paths} exp(α_j), stable, float64. */
export function logSumExp(alpha: ArrayLike<number>, paths: readonly number[]): number {
  let max = -Infinity;
  for (const j of paths) max = Math.max(max, alpha[j]!);
  let s = 0;
  for (const j of paths) s += Math.exp(alpha[j]! - max);
  return max + Math.log(s);
}

/**
 * After the optimizer has moved α_a and α_b, shift both by one offset so that log Σ exp over the
 * pair is what it was before the update. The softmax normalizer Σ_k exp(α_k) is then unchanged, so
 * every path that was not sampled keeps its p exactly (ProxylessNAS `rescale_updated_arch_param`).
 * Returns the new α (a copy).
 */
export function rescalePair(before: ArrayLike<number>, after: ArrayLike<number>, pair: readonly number[]): Float64Array {
  const offset = logSumExp(after, pair) - logSumExp(before, pair);
  const out = Float64Array.from(before as ArrayLike<number>);
  for (const j of pair) out[j] = after[j]! - offset;
  return out;
}

/** ∂L/∂g of every mixed op (by label) and the loss value of one forward/backward pass. */
export interface GateGradients {
  readonly gates: Record<string, Float32Array>;
  readonly loss: number;
}

/**
 * ∂L/∂g_j = Σ(∇_y L ∘ o_j(x)) of every mixed op from one forward/backward pass through the
 * binarized supernet with the gates of `sample` (one-hot at `chosen`, `active` paths computed).
 * `recompute: true` runs only the chosen path forward and recomputes every other path's gate
 * gradient in the backward pass (`gateGradients: 'recompute'`, paper Appendix D). The gradient
 * of paths that were neither computed nor recomputed is 0.
 */
export function gateGradients(
  network: Network,
  batch: Batch,
  sample: GateSample,
  options: { readonly forward: Pick<ForwardContext, 'training' | 'rng'>; readonly loss: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar; readonly recompute?: boolean },
): GateGradients {
  const ops = network.mixedOps;
  const labels = ops.map((op) => op.label);
  const initial = ops.map((op) => {
    const s = sample[op.label];
    if (!s) throw new Error(`gate sample has no entry for mixed op ${op.label}`);
    const v = new Float32Array(op.size);
    v[s.chosen] = 1;
    return tf.tensor1d(v);
  });
  try {
    const f = (...values: tf.Tensor[]): tf.Scalar => {
      const gates: GateAssignment = Object.fromEntries(labels.map((l, i) => [l, { active: sample[l]!.active, chosen: sample[l]!.chosen, values: values[i] as tf.Tensor1D }]));
      const logits = network.apply(batch.x, {
        training: options.forward.training,
        ...(options.forward.rng ? { rng: options.forward.rng } : {}),
        mode: 'binarized',
        gates,
        ...(options.recompute ? { gateGradients: 'recompute' as const } : {}),
      });
      return options.loss(logits, batch.y);
    };
    const { value, grads } = tf.valueAndGrads(f)(initial);
    const gates = Object.fromEntries(labels.map((l, i) => [l, Float32Array.from(grads[i]!.dataSync() as Float32Array)]));
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...grads]);
    return { gates, loss };
  } finally {
    tf.dispose(initial);
  }
}
