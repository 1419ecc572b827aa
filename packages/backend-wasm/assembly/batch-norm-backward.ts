import { addInto, affine4, batchNormScaleShift, BLOCK, ldf, stf, zero } from './common';

/**
 * Gradient of y = (x − mean)·r·γ + β with batch statistics (r = 1/√(var + eps)), x and dy [m, c]:
 * dβ = Σdy, dγ = r·Σdy·(x − mean), dx = γr·(dy − dβ/m − (x − mean)·r·dγ/m) — one reduction pass over
 * (dy, x) and one element-wise pass dx = A·dy + B·x + K per channel. `scratch` holds 7c floats.
 *
 * `relu6` ≠ 0: the gradient of relu6(y) instead (the forward's `relu6` attribute): dy counts only
 * where 0 < y ≤ 6, y recomputed from x in both passes (`beta` is read then), as tf.relu6's gradient
 * masks it — so no separate ReLU6 gradient pass and no stored pre-activation.
 */
export function batchNormBackward(
  dy: usize, x: usize, dx: usize, m: i32, c: i32, mean: usize, variance: usize, gamma: usize, beta: usize, eps: f32,
  relu6: i32, dGamma: usize, dBeta: usize, scratch: usize,
): void {
  const cb = <usize>c << 2;
  const pBeta = scratch;
  const pProd = scratch + cb;
  const sProd = scratch + 2 * cb; // Σdy·(x − mean), then A
  const coefB = scratch + 3 * cb;
  const coefK = scratch + 4 * cb;
  const scale = scratch + 5 * cb; // γr, for the mask's y
  const shift = scratch + 6 * cb; // β − mean·γr
  const row = cb;
  zero(dBeta, c);
  zero(sProd, c);
  if (relu6) batchNormScaleShift(gamma, beta, mean, variance, eps, c, scale, shift);
  for (let r0 = 0; r0 < m; r0 += BLOCK) {
    const r1 = min(m, r0 + BLOCK);
    zero(pBeta, c);
    zero(pProd, c);
    for (let r = r0; r < r1; r++) {
      const dp = dy + <usize>r * row;
      const xp = x + <usize>r * row;
      let k = 0;
      if (ASC_FEATURE_SIMD) {
        for (; k + 4 <= c; k += 4) {
          const o = <usize>k << 2;
          const xv = v128.load(xp + o);
          let d = v128.load(dp + o);
          if (relu6) d = v128.and(d, mask6(affine4(xv, scale, shift, o)));
          const xc = f32x4.sub(xv, v128.load(mean + o));
          v128.store(pBeta + o, f32x4.add(v128.load(pBeta + o), d));
          v128.store(pProd + o, f32x4.add(v128.load(pProd + o), f32x4.mul(d, xc)));
        }
      }
      for (; k < c; k++) {
        const d = relu6 ? masked(ldf(dp, k), ldf(xp, k) * ldf(scale, k) + ldf(shift, k)) : ldf(dp, k);
        stf(pBeta, k, ldf(pBeta, k) + d);
        stf(pProd, k, ldf(pProd, k) + d * (ldf(xp, k) - ldf(mean, k)));
      }
    }
    addInto(dBeta, pBeta, c);
    addInto(sProd, pProd, c);
  }
  const invM = <f32>1 / <f32>m;
  const coefA = sProd;
  for (let k = 0; k < c; k++) {
    const r = <f32>1 / Mathf.sqrt(ldf(variance, k) + eps);
    const dg = ldf(sProd, k) * r;
    const db = ldf(dBeta, k);
    stf(dGamma, k, dg);
    const a = ldf(gamma, k) * r;
    const b = -a * r * dg * invM;
    stf(coefA, k, a);
    stf(coefB, k, b);
    stf(coefK, k, -a * db * invM - b * ldf(mean, k));
  }
  for (let r = 0; r < m; r++) {
    const dp = dy + <usize>r * row;
    const xp = x + <usize>r * row;
    const op = dx + <usize>r * row;
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      for (; k + 4 <= c; k += 4) {
        const o = <usize>k << 2;
        const xv = v128.load(xp + o);
        let d = v128.load(dp + o);
        if (relu6) d = v128.and(d, mask6(affine4(xv, scale, shift, o)));
        const v = f32x4.add(f32x4.add(f32x4.mul(d, v128.load(coefA + o)), f32x4.mul(xv, v128.load(coefB + o))), v128.load(coefK + o));
        v128.store(op + o, v);
      }
    }
    for (; k < c; k++) {
      const xv = ldf(xp, k);
      const d = relu6 ? masked(ldf(dp, k), xv * ldf(scale, k) + ldf(shift, k)) : ldf(dp, k);
      stf(op, k, d * ldf(coefA, k) + xv * ldf(coefB, k) + ldf(coefK, k));
    }
  }
}

/** All-ones lanes where 0 < y ≤ 6 (tf.relu6's gradient mask), zeros elsewhere. */
@inline function mask6(y: v128): v128 {
  return v128.and(f32x4.gt(y, f32x4.splat(0)), f32x4.le(y, f32x4.splat(6)));
}

/** d where 0 < y ≤ 6, else 0. */
@inline function masked(d: f32, y: f32): f32 {
  return y > 0 && y <= 6 ? d : 0;
}
