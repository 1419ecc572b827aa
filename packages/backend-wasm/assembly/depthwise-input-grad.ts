import { endCol, firstCol, ldf, stf, zero } from './common';

/**
 * ∂L/∂x of a depthwise convolution (channel multiplier 1), NHWC, by scattering each dy row:
 * dx[n, oh·sh + i·dh − pt, ow·sw + j·dw − pl, c] += dy[n, oh, ow, c] · f[i, j, c].
 * For each output row and tap (i, j) the filter's 4/8 channels stay in registers while the row's
 * valid columns stream through (the dx and dy rows stay in L1). dy [n, oh, ow, c], f [kh, kw, c],
 * dx [n, h, w, c].
 */
export function depthwiseInputGrad(
  dy: usize, f: usize, dx: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  zero(dx, n * h * w * c);
  const cb = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const dyRow = dy + (<usize>(b * oh + r) * <usize>ow) * cb;
      for (let i = 0; i < kh; i++) {
        const ih = r * sh + i * dh - pt;
        if (ih < 0 || ih >= h) continue;
        const dxRow = dx + (<usize>(b * h + ih) * <usize>w) * cb;
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
              let xp = dxRow + <usize>(q0 * sw + off) * cb + o;
              let dp = dyRow + <usize>q0 * cb + o;
              for (let q = q0; q < q1; q++) {
                v128.store(xp, f32x4.add(v128.load(xp), f32x4.mul(v128.load(dp), f0)));
                v128.store(xp, f32x4.add(v128.load(xp, 16), f32x4.mul(v128.load(dp, 16), f1)), 16);
                xp += xStep;
                dp += cb;
              }
            }
            for (; k + 4 <= c; k += 4) {
              const o = <usize>k << 2;
              const f0 = v128.load(fp + o);
              let xp = dxRow + <usize>(q0 * sw + off) * cb + o;
              let dp = dyRow + <usize>q0 * cb + o;
              for (let q = q0; q < q1; q++) {
                v128.store(xp, f32x4.add(v128.load(xp), f32x4.mul(v128.load(dp), f0)));
                xp += xStep;
                dp += cb;
              }
            }
          }
          for (; k < c; k++) {
            const fv = ldf(fp, k);
            for (let q = q0; q < q1; q++) {
              const idx = (q * sw + off) * c + k;
              stf(dxRow, idx, ldf(dxRow, idx) + ldf(dyRow, q * c + k) * fv);
            }
          }
        }
      }
    }
  }
}
