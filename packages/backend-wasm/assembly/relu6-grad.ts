import { ldf, stf } from './common';

/** dx = dy where 0 < x ≤ 6, else 0 (tf.relu6's gradient), over n elements. */
export function relu6Grad(dy: usize, x: usize, dx: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const lo = f32x4.splat(0);
    const hi = f32x4.splat(6);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const xv = v128.load(x + o);
      v128.store(dx + o, v128.and(v128.load(dy + o), v128.and(f32x4.gt(xv, lo), f32x4.le(xv, hi))));
    }
  }
  for (; i < n; i++) {
    const xv = ldf(x, i);
    stf(dx, i, xv > 0 && xv <= 6 ? ldf(dy, i) : 0);
  }
}
