import { endCol, firstCol, ldf, stf, zero } from './common';

/**
 * ∂L/∂W of a k×k convolution, NHWC, for few input channels (the stem conv):
 * dW[i, j, ci, co] = Σ_{n, oh, ow} x[n, oh·sh + i·dh − pt, ow·sw + j·dw − pl, ci] · dy[n, oh, ow, co].
 * Per output row, tap and input channel, the sum over the row's valid columns runs in registers
 * for 16/4 output channels at a time. x [n, h, w, c], dy [n, oh, ow, o], dW [kh, kw, c, o].
 */
export function convFilterGrad(
  x: usize, dy: usize, dW: usize, n: i32, h: i32, w: i32, c: i32, o: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  zero(dW, kh * kw * c * o);
  const xPix = <usize>c << 2;
  const dPix = <usize>o << 2;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const dyRow = dy + (<usize>(b * oh + r) * <usize>ow) * dPix;
      for (let i = 0; i < kh; i++) {
        const ih = r * sh + i * dh - pt;
        if (ih < 0 || ih >= h) continue;
        const xRow = x + (<usize>(b * h + ih) * <usize>w) * xPix;
        for (let j = 0; j < kw; j++) {
          const off = j * dw - pl;
          const q0 = firstCol(off, sw);
          const q1 = endCol(off, sw, w, ow); // exclusive
          if (q0 >= q1) continue;
          const xStep = <usize>sw * xPix;
          for (let ci = 0; ci < c; ci++) {
            const acc = dW + (<usize>(((i * kw + j) * c + ci) * o) << 2);
            const xBase = xRow + <usize>(q0 * sw + off) * xPix + (<usize>ci << 2);
            const dBase = dyRow + <usize>q0 * dPix;
            let co = 0;
            if (ASC_FEATURE_SIMD) {
              for (; co + 16 <= o; co += 16) {
                const oo = <usize>co << 2;
                let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
                let xp = xBase;
                let dp = dBase + oo;
                for (let q = q0; q < q1; q++) {
                  const xv = f32x4.splat(load<f32>(xp));
                  a0 = f32x4.add(a0, f32x4.mul(xv, v128.load(dp)));
                  a1 = f32x4.add(a1, f32x4.mul(xv, v128.load(dp, 16)));
                  a2 = f32x4.add(a2, f32x4.mul(xv, v128.load(dp, 32)));
                  a3 = f32x4.add(a3, f32x4.mul(xv, v128.load(dp, 48)));
                  xp += xStep;
                  dp += dPix;
                }
                const p = acc + oo;
                v128.store(p, f32x4.add(v128.load(p), a0));
                v128.store(p, f32x4.add(v128.load(p, 16), a1), 16);
                v128.store(p, f32x4.add(v128.load(p, 32), a2), 32);
                v128.store(p, f32x4.add(v128.load(p, 48), a3), 48);
              }
              for (; co + 4 <= o; co += 4) {
                const oo = <usize>co << 2;
                let a0 = f32x4.splat(0);
                let xp = xBase;
                let dp = dBase + oo;
                for (let q = q0; q < q1; q++) {
                  a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xp)), v128.load(dp)));
                  xp += xStep;
                  dp += dPix;
                }
                v128.store(acc + oo, f32x4.add(v128.load(acc + oo), a0));
              }
            }
            for (; co < o; co++) {
              let a: f32 = 0;
              for (let q = q0; q < q1; q++) a += ldf(xRow, (q * sw + off) * c + ci) * ldf(dyRow, q * o + co);
              stf(acc, co, ldf(acc, co) + a);
            }
          }
        }
      }
    }
  }
}
