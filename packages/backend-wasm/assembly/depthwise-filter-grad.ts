import { endCol, firstCol, ldf, stf, zero } from './common';

/**
 * ∂L/∂f of a depthwise convolution (channel multiplier 1), NHWC:
 * dW[i, j, c] = Σ_{n, oh, ow} x[n, oh·sh + i·dh − pt, ow·sw + j·dw − pl, c] · dy[n, oh, ow, c].
 * For each output row and tap (i, j), the sum over the row's valid columns runs in registers per
 * group of 4 channels (both rows stay in L1), then lands in dW. x [n, h, w, c], dy [n, oh, ow, c],
 * dW [kh, kw, c].
 */
export function depthwiseFilterGrad(
  x: usize, dy: usize, dW: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  zero(dW, kh * kw * c);
  const cb = <usize>c << 2;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const dyRow = dy + (<usize>(b * oh + r) * <usize>ow) * cb;
      for (let i = 0; i < kh; i++) {
        const ih = r * sh + i * dh - pt;
        if (ih < 0 || ih >= h) continue;
        const xRow = x + (<usize>(b * h + ih) * <usize>w) * cb;
        for (let j = 0; j < kw; j++) {
          // columns whose input column iw = q·sw + j·dw − pl lies in [0, w)
          const off = j * dw - pl;
          const q0 = firstCol(off, sw);
          const q1 = endCol(off, sw, w, ow); // exclusive
          if (q0 >= q1) continue;
          const acc = dW + (<usize>(i * kw + j)) * cb;
          const xStep = <usize>sw * cb;
          let k = 0;
          if (ASC_FEATURE_SIMD) {
            for (; k + 8 <= c; k += 8) {
              const o = <usize>k << 2;
              let a0 = f32x4.splat(0);
              let a1 = f32x4.splat(0);
              let xp = xRow + <usize>(q0 * sw + off) * cb + o;
              let dp = dyRow + <usize>q0 * cb + o;
              for (let q = q0; q < q1; q++) {
                a0 = f32x4.add(a0, f32x4.mul(v128.load(xp), v128.load(dp)));
                a1 = f32x4.add(a1, f32x4.mul(v128.load(xp, 16), v128.load(dp, 16)));
                xp += xStep;
                dp += cb;
              }
              v128.store(acc + o, f32x4.add(v128.load(acc + o), a0));
              v128.store(acc + o, f32x4.add(v128.load(acc + o, 16), a1), 16);
            }
            for (; k + 4 <= c; k += 4) {
              const o = <usize>k << 2;
              let a0 = f32x4.splat(0);
              let xp = xRow + <usize>(q0 * sw + off) * cb + o;
              let dp = dyRow + <usize>q0 * cb + o;
              for (let q = q0; q < q1; q++) {
                a0 = f32x4.add(a0, f32x4.mul(v128.load(xp), v128.load(dp)));
                xp += xStep;
                dp += cb;
              }
              v128.store(acc + o, f32x4.add(v128.load(acc + o), a0));
            }
          }
          for (; k < c; k++) {
            let a: f32 = 0;
            for (let q = q0; q < q1; q++) a += ldf(xRow, (q * sw + off) * c + k) * ldf(dyRow, q * c + k);
            stf(acc, k, ldf(acc, k) + a);
          }
        }
      }
    }
  }
}
