import { endCol, firstCol, ldf, stf, zero } from './common';

/**
 * A depthwise convolution (channel multiplier 1), NHWC, for training steps:
 * y[n, r, q, c] = Σ_{i,j} x[n, r·sh + i·dh − pt, q·sw + j·dw − pl, c] · f[i, j, c].
 * The loop order of depthwiseInputGrad with the roles of x and y swapped: for each output row and
 * tap (i, j) the filter's 4/8 channels stay in registers while the row's valid columns stream
 * through (the x and y rows stay in L1). x [n, h, w, c], f [kh, kw, c], y [n, oh, ow, c].
 */
export function depthwiseForward(
  x: usize, f: usize, y: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  zero(y, n * oh * ow * c);
  const cb = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const yRow = y + (<usize>(b * oh + r) * <usize>ow) * cb;
      for (let i = 0; i < kh; i++) {
        const ih = r * sh + i * dh - pt;
        if (ih < 0 || ih >= h) continue;
        const xRow = x + (<usize>(b * h + ih) * <usize>w) * cb;
        for (let j = 0; j < kw; j++) {
          const off = j * dw - pl;
          const q0 = firstCol(off, sw);
          const q1 = endCol(off, sw, w, ow); // exclusive
          if (q0 >= q1) continue;
          const fp = f + (<usize>(i * kw + j)) * cb;
          const xStep = <usize>sw * cb;
          let k = 0;
          if (ASC_FEATURE_SIMD) {
            for (; k + 8 <= c; k += 8) {
              const o = <usize>k << 2;
              const f0 = v128.load(fp + o);
              const f1 = v128.load(fp + o, 16);
              let xp = xRow + <usize>(q0 * sw + off) * cb + o;
              let yp = yRow + <usize>q0 * cb + o;
              for (let q = q0; q < q1; q++) {
                v128.store(yp, f32x4.add(v128.load(yp), f32x4.mul(v128.load(xp), f0)));
                v128.store(yp, f32x4.add(v128.load(yp, 16), f32x4.mul(v128.load(xp, 16), f1)), 16);
                xp += xStep;
                yp += cb;
              }
            }
            for (; k + 4 <= c; k += 4) {
              const o = <usize>k << 2;
              const f0 = v128.load(fp + o);
              let xp = xRow + <usize>(q0 * sw + off) * cb + o;
              let yp = yRow + <usize>q0 * cb + o;
              for (let q = q0; q < q1; q++) {
                v128.store(yp, f32x4.add(v128.load(yp), f32x4.mul(v128.load(xp), f0)));
                xp += xStep;
                yp += cb;
              }
            }
          }
          for (; k < c; k++) {
            const fv = ldf(fp, k);
            for (let q = q0; q < q1; q++) {
              const idx = q * c + k;
              stf(yRow, idx, ldf(yRow, idx) + ldf(xRow, (q * sw + off) * c + k) * fv);
            }
          }
        }
      }
    }
  }
}
