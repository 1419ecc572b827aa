import { ldf, stf, zero } from './common';

/** Rows of x and dy per block: the block of both stays in L2 while every dW tile passes over it. */
const KB: i32 = 256;

/**
 * ∂L/∂W of a 1×1 stride-1 convolution: dW[ci, co] = Σ_k x[k, ci] · dy[k, co], with x [k, c] and
 * dy [k, o] as the NHWC tensors lie (no transposes, no packing). Tiles of 4 input × 8 output
 * channels accumulate in registers over a block of rows.
 */
export function conv1x1FilterGrad(x: usize, dy: usize, dW: usize, k: i32, c: i32, o: i32): void {
  zero(dW, c * o);
  const xRow = <usize>c << 2;
  const dRow = <usize>o << 2;
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = min(k, k0 + KB);
    let ci = 0;
    if (ASC_FEATURE_SIMD) {
      for (; ci + 4 <= c; ci += 4) {
        let co = 0;
        for (; co + 8 <= o; co += 8) {
          const w0 = dW + (<usize>(ci * o + co) << 2);
          const w1 = w0 + dRow;
          const w2 = w1 + dRow;
          const w3 = w2 + dRow;
          let a00 = v128.load(w0), a01 = v128.load(w0, 16);
          let a10 = v128.load(w1), a11 = v128.load(w1, 16);
          let a20 = v128.load(w2), a21 = v128.load(w2, 16);
          let a30 = v128.load(w3), a31 = v128.load(w3, 16);
          let xp = x + <usize>k0 * xRow + (<usize>ci << 2);
          let dp = dy + <usize>k0 * dRow + (<usize>co << 2);
          for (let kk = k0; kk < k1; kk++) {
            const d0 = v128.load(dp);
            const d1 = v128.load(dp, 16);
            const x0 = f32x4.splat(load<f32>(xp));
            const x1 = f32x4.splat(load<f32>(xp, 4));
            const x2 = f32x4.splat(load<f32>(xp, 8));
            const x3 = f32x4.splat(load<f32>(xp, 12));
            a00 = f32x4.add(a00, f32x4.mul(x0, d0));
            a01 = f32x4.add(a01, f32x4.mul(x0, d1));
            a10 = f32x4.add(a10, f32x4.mul(x1, d0));
            a11 = f32x4.add(a11, f32x4.mul(x1, d1));
            a20 = f32x4.add(a20, f32x4.mul(x2, d0));
            a21 = f32x4.add(a21, f32x4.mul(x2, d1));
            a30 = f32x4.add(a30, f32x4.mul(x3, d0));
            a31 = f32x4.add(a31, f32x4.mul(x3, d1));
            xp += xRow;
            dp += dRow;
          }
          v128.store(w0, a00); v128.store(w0, a01, 16);
          v128.store(w1, a10); v128.store(w1, a11, 16);
          v128.store(w2, a20); v128.store(w2, a21, 16);
          v128.store(w3, a30); v128.store(w3, a31, 16);
        }
        for (; co + 4 <= o; co += 4) {
          const w0 = dW + (<usize>(ci * o + co) << 2);
          const w1 = w0 + dRow;
          const w2 = w1 + dRow;
          const w3 = w2 + dRow;
          let a0 = v128.load(w0), a1 = v128.load(w1), a2 = v128.load(w2), a3 = v128.load(w3);
          let xp = x + <usize>k0 * xRow + (<usize>ci << 2);
          let dp = dy + <usize>k0 * dRow + (<usize>co << 2);
          for (let kk = k0; kk < k1; kk++) {
            const d0 = v128.load(dp);
            a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xp)), d0));
            a1 = f32x4.add(a1, f32x4.mul(f32x4.splat(load<f32>(xp, 4)), d0));
            a2 = f32x4.add(a2, f32x4.mul(f32x4.splat(load<f32>(xp, 8)), d0));
            a3 = f32x4.add(a3, f32x4.mul(f32x4.splat(load<f32>(xp, 12)), d0));
            xp += xRow;
            dp += dRow;
          }
          v128.store(w0, a0); v128.store(w1, a1); v128.store(w2, a2); v128.store(w3, a3);
        }
        for (; co < o; co++) {
          for (let r = ci; r < ci + 4; r++) {
            let a = ldf(dW, r * o + co);
            for (let kk = k0; kk < k1; kk++) a += ldf(x, kk * c + r) * ldf(dy, kk * o + co);
            stf(dW, r * o + co, a);
          }
        }
      }
    }
    for (; ci < c; ci++) {
      for (let co = 0; co < o; co++) {
        let a = ldf(dW, ci * o + co);
        for (let kk = k0; kk < k1; kk++) a += ldf(x, kk * c + ci) * ldf(dy, kk * o + co);
        stf(dW, ci * o + co, a);
      }
    }
  }
}
