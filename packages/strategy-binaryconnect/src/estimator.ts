import type { Rng } from '@proxyless/core';

/**
 * The BinaryConnect estimator of ProxylessNAS (Eq. 4), over the paths whose gate gradient is known:
 *
 *   ∂L/∂α_i ≈ Σ_j ∂L/∂g_j · p_j · (δ_ij − p_i),   i, j ∈ `paths`
 *
 * where p is the softmax of α over `paths` only (all N paths in `full`/`exact` mode, the two
 * sampled ones in `two` mode). Computed in float64 on the host: α vectors are a handful of numbers.
 * Returns one entry per candidate; entries outside `paths` are 0.
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
 * Two distinct paths drawn by multinomial sampling over p without replacement (as
 * `torch.multinomial(p, 2, replacement=False)` does), then the active one of the two drawn with the
 * renormalized probability softmax(α over the two).
 */
export function sampleTwoPaths(alpha: ArrayLike<number>, rng: Rng): { pair: [number, number]; active: number } {
  const n = alpha.length;
  if (n < 2) throw new Error('two-path sampling needs at least two candidates');
  const all = [...Array(n).keys()];
  const p = softmaxOver(alpha, all);
  const a = rng.categorical(p);
  const rest = Float64Array.from(p, (v, j) => (j === a ? 0 : v));
  const b = rng.categorical(rest);
  const q = softmaxOver(alpha, [a, b]);
  const active = rng.next() * (q[a]! + q[b]!) < q[a]! ? a : b;
  return { pair: [a, b], active };
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
