import { addInto, BLOCK, ldf, stf, zero } from './common';

/**
 * Batch statistics of x [m, c] per channel: mean = Σx/m and the biased variance Σ(x − mean)²/m
 * (two passes, the second over the centred input, as core's batchNormTraining computes them).
 * `scratch` holds c floats (blocked partial sums).
 */
export function batchNormStats(x: usize, m: i32, c: i32, mean: usize, variance: usize, scratch: usize): void {
  const row = <usize>c << 2;
  zero(mean, c);
  for (let r0 = 0; r0 < m; r0 += BLOCK) {
    const r1 = min(m, r0 + BLOCK);
    zero(scratch, c);
    for (let r = r0; r < r1; r++) addInto(scratch, x + <usize>r * row, c);
    addInto(mean, scratch, c);
  }
  const inv = <f32>1 / <f32>m;
  for (let k = 0; k < c; k++) stf(mean, k, ldf(mean, k) * inv);

  zero(variance, c);
  for (let r0 = 0; r0 < m; r0 += BLOCK) {
    const r1 = min(m, r0 + BLOCK);
    zero(scratch, c);
    for (let r = r0; r < r1; r++) {
      const xp = x + <usize>r * row;
      let k = 0;
      if (ASC_FEATURE_SIMD) {
        for (; k + 4 <= c; k += 4) {
          const o = <usize>k << 2;
          const d = f32x4.sub(v128.load(xp + o), v128.load(mean + o));
          v128.store(scratch + o, f32x4.add(v128.load(scratch + o), f32x4.mul(d, d)));
        }
      }
      for (; k < c; k++) {
        const d = ldf(xp, k) - ldf(mean, k);
        stf(scratch, k, ldf(scratch, k) + d * d);
      }
    }
    addInto(variance, scratch, c);
  }
  for (let k = 0; k < c; k++) stf(variance, k, ldf(variance, k) * inv);
}
