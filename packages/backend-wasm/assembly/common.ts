// Shared helpers of the fused kernels. Every kernel works on raw float32 pointers into
// tfjs-backend-wasm's own heap (the imported `env.memory`): no allocator, no static data (this
// module must never write anything but the buffers it is given). Rows are NHWC pixels ([M, C]).
// `ASC_FEATURE_SIMD` is a compile-time constant: the scalar build (--disable simd) keeps only the
// scalar loops.

/** Rows summed into a partial before it is added to the total (bounds f32 rounding over long sums). */
export const BLOCK: i32 = 64;

@inline export function zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

@inline export function ldf(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

@inline export function stf(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

/**
 * The output columns q of a conv row whose input column q·sw + off lies in [0, w): `firstCol` is the
 * first, `endCol` one past the last (at most ow). Shared by the kernels that walk a row per tap.
 */
@inline export function firstCol(off: i32, sw: i32): i32 {
  return off < 0 ? (-off + sw - 1) / sw : 0;
}

@inline export function endCol(off: i32, sw: i32, w: i32, ow: i32): i32 {
  if (w - 1 - off < 0) return 0;
  const last = (w - 1 - off) / sw + 1; // q ≤ (w − 1 − off)/sw
  return last < ow ? last : ow;
}

/** acc[c] += src[c] for c < n. */
export function addInto(acc: usize, src: usize, n: i32): void {
  let c = 0;
  if (ASC_FEATURE_SIMD) {
    for (; c + 4 <= n; c += 4) {
      const o = <usize>c << 2;
      v128.store(acc + o, f32x4.add(v128.load(acc + o), v128.load(src + o)));
    }
  }
  for (; c < n; c++) stf(acc, c, ldf(acc, c) + ldf(src, c));
}

/**
 * Batch norm as an affine map per channel, y = x·scale + shift: scale = γ/√(var + eps),
 * shift = β − mean·scale, into `scale` and `shift` [c]. The forward (batchNormApply) and the ReLU6
 * mask of the backward (batchNormBackward) share it, so the mask sees the forward's exact y.
 */
export function batchNormScaleShift(gamma: usize, beta: usize, mean: usize, variance: usize, eps: f32, c: i32, scale: usize, shift: usize): void {
  for (let k = 0; k < c; k++) {
    const s = ldf(gamma, k) / Mathf.sqrt(ldf(variance, k) + eps);
    stf(scale, k, s);
    stf(shift, k, ldf(beta, k) - ldf(mean, k) * s);
  }
}

/** x·scale + shift for 4 channels at byte offset o (the batch norm's y, see batchNormScaleShift). */
@inline export function affine4(x: v128, scale: usize, shift: usize, o: usize): v128 {
  return f32x4.add(f32x4.mul(x, v128.load(scale + o)), v128.load(shift + o));
}
