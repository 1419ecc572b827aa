import { affine4, batchNormScaleShift, ldf, stf } from './common';

/**
 * y = (x − mean)·γ/√(var + eps) + β over x [m, c], as y = x·scale + shift per channel; with
 * `relu6` ≠ 0 the result is clamped to [0, 6] in the same pass. `scratch` holds 2c floats.
 */
export function batchNormApply(
  x: usize, y: usize, m: i32, c: i32, mean: usize, variance: usize, gamma: usize, beta: usize, eps: f32, relu6: i32, scratch: usize,
): void {
  const scale = scratch;
  const shift = scratch + (<usize>c << 2);
  batchNormScaleShift(gamma, beta, mean, variance, eps, c, scale, shift);
  const row = <usize>c << 2;
  for (let r = 0; r < m; r++) {
    const xp = x + <usize>r * row;
    const yp = y + <usize>r * row;
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      const lo = f32x4.splat(0);
      const hi = f32x4.splat(6);
      if (relu6) {
        for (; k + 4 <= c; k += 4) {
          const o = <usize>k << 2;
          v128.store(yp + o, f32x4.min(f32x4.max(affine4(v128.load(xp + o), scale, shift, o), lo), hi));
        }
      } else {
        for (; k + 4 <= c; k += 4) {
          const o = <usize>k << 2;
          v128.store(yp + o, affine4(v128.load(xp + o), scale, shift, o));
        }
      }
    }
    for (; k < c; k++) {
      const v = ldf(xp, k) * ldf(scale, k) + ldf(shift, k);
      stf(yp, k, relu6 ? min(max(v, <f32>0), <f32>6) : v);
    }
  }
}
