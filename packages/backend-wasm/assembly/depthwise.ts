import { endCol, firstCol, ldf, stf, zero } from './common';

/** What `depthwise` computes (src/fused/fused-module.ts names them `DEPTHWISE`). */
const GATHER: i32 = 0; // the forward: y[n, r, q, c] = Σ_{i,j} x[n, r·sh + i·dh − pt, q·sw + j·dw − pl, c] · f[i, j, c]
const SCATTER: i32 = 1; // ∂L/∂x: dx[n, r·sh + i·dh − pt, q·sw + j·dw − pl, c] += dy[n, r, q, c] · f[i, j, c]
const REDUCE: i32 = 2; // ∂L/∂f: dW[i, j, c] = Σ_{n, r, q} x[n, r·sh + i·dh − pt, q·sw + j·dw − pl, c] · dy[n, r, q, c]

/**
 * The depthwise convolution's forward and its two gradients (NHWC, channel multiplier 1), one loop
 * nest: for each image b, output row r and tap (i, j) whose input row ih = r·sh + i·dh − pt lies in
 * [0, h), the output columns q whose input column q·sw + j·dw − pl lies in [0, w) go through `op` in
 * one pass, the tap's 4/8 channels in registers (both rows stay in L1). `out` [n, oh, ow, c] is y or dy; `inp` [n, h, w, c] is x or dx;
 * `tap` [kh, kw, c] is the filter or dW. What `op` writes (y, dx or dW) is zeroed first.
 */
export function depthwise(
  op: i32, out: usize, inp: usize, tap: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, pt: i32, pl: i32,
): void {
  if (op == GATHER) zero(out, n * oh * ow * c);
  else if (op == SCATTER) zero(inp, n * h * w * c);
  else zero(tap, kh * kw * c);
  const cb = <usize>c << 2;
  const inStep = <usize>sw * cb;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const outRow = out + (<usize>(b * oh + r) * <usize>ow) * cb;
      for (let i = 0; i < kh; i++) {
        const ih = r * sh + i * dh - pt;
        if (ih < 0 || ih >= h) continue;
        const inRow = inp + (<usize>(b * h + ih) * <usize>w) * cb;
        for (let j = 0; j < kw; j++) {
          const off = j * dw - pl;
          const q0 = firstCol(off, sw);
          const q1 = endCol(off, sw, w, ow); // exclusive
          if (q0 >= q1) continue;
          const tp = tap + (<usize>(i * kw + j)) * cb;
          const outP = outRow + <usize>q0 * cb;
          const inP = inRow + <usize>(q0 * sw + off) * cb;
          if (op == REDUCE) reduceTap(inP, inStep, outP, cb, tp, c, q1 - q0);
          else if (op == GATHER) accumulateTap(outP, cb, inP, inStep, tp, c, q1 - q0);
          else accumulateTap(inP, inStep, outP, cb, tp, c, q1 - q0);
        }
      }
    }
  }
}

/** dst[k] += src[k] · f[k] over `count` columns; dst and src advance by their steps (bytes). */
function accumulateTap(dst: usize, dstStep: usize, src: usize, srcStep: usize, f: usize, c: i32, count: i32): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k + 8 <= c; k += 8) {
      const o = <usize>k << 2;
      const f0 = v128.load(f + o);
      const f1 = v128.load(f + o, 16);
      let dp = dst + o;
      let sp = src + o;
      for (let q = 0; q < count; q++) {
        v128.store(dp, f32x4.add(v128.load(dp), f32x4.mul(v128.load(sp), f0)));
        v128.store(dp, f32x4.add(v128.load(dp, 16), f32x4.mul(v128.load(sp, 16), f1)), 16);
        dp += dstStep;
        sp += srcStep;
      }
    }
    for (; k + 4 <= c; k += 4) {
      const o = <usize>k << 2;
      const f0 = v128.load(f + o);
      let dp = dst + o;
      let sp = src + o;
      for (let q = 0; q < count; q++) {
        v128.store(dp, f32x4.add(v128.load(dp), f32x4.mul(v128.load(sp), f0)));
        dp += dstStep;
        sp += srcStep;
      }
    }
  }
  for (; k < c; k++) {
    const fv = ldf(f, k);
    let dp = dst + (<usize>k << 2);
    let sp = src + (<usize>k << 2);
    for (let q = 0; q < count; q++) {
      store<f32>(dp, load<f32>(dp) + load<f32>(sp) * fv);
      dp += dstStep;
      sp += srcStep;
    }
  }
}

/** acc[k] += Σ_q a[k] · b[k] over `count` columns (the sum in registers); a and b advance by their steps (bytes). */
function reduceTap(a: usize, aStep: usize, b: usize, bStep: usize, acc: usize, c: i32, count: i32): void {
  let k = 0;
  if (ASC_FEATURE_SIMD) {
    for (; k + 8 <= c; k += 8) {
      const o = <usize>k << 2;
      let a0 = f32x4.splat(0);
      let a1 = f32x4.splat(0);
      let ap = a + o;
      let bp = b + o;
      for (let q = 0; q < count; q++) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load(ap), v128.load(bp)));
        a1 = f32x4.add(a1, f32x4.mul(v128.load(ap, 16), v128.load(bp, 16)));
        ap += aStep;
        bp += bStep;
      }
      v128.store(acc + o, f32x4.add(v128.load(acc + o), a0));
      v128.store(acc + o, f32x4.add(v128.load(acc + o, 16), a1), 16);
    }
    for (; k + 4 <= c; k += 4) {
      const o = <usize>k << 2;
      let a0 = f32x4.splat(0);
      let ap = a + o;
      let bp = b + o;
      for (let q = 0; q < count; q++) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load(ap), v128.load(bp)));
        ap += aStep;
        bp += bStep;
      }
      v128.store(acc + o, f32x4.add(v128.load(acc + o), a0));
    }
  }
  for (; k < c; k++) {
    let s: f32 = 0;
    let ap = a + (<usize>k << 2);
    let bp = b + (<usize>k << 2);
    for (let q = 0; q < count; q++) {
      s += load<f32>(ap) * load<f32>(bp);
      ap += aStep;
      bp += bStep;
    }
    stf(acc, k, ldf(acc, k) + s);
  }
}
