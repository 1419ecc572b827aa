import type { TensorInfo } from '@tensorflow/tfjs-core';
import { usedExtent, type ConvGeometry } from './conv-geometry.js';
import type { KernelScope } from './kernel-scope.js';

// The gradient math of 2-D convolutions, written once as compositions of the backend's own forward
// kernels (Conv2D / DepthwiseConv2dNative / BatchMatMul run by XNNPACK on wasm) plus layout kernels
// (Transpose, Reshape, PadV2, StridedSlice). NHWC throughout. Notation: stride s, dilation d, filter
// k, forward pad-top t: y[p] = Σ_i x[p·s + i·d − t] · f[i].

/** Rows/cols of the padded input that the forward conv reads, padded or cropped to exactly that. */
function readWindow(k: KernelScope, x: TensorInfo, g: ConvGeometry): { x: TensorInfo; pads: [[number, number], [number, number]] } {
  const [eh, ew] = usedExtent(g);
  const r = k.cropNegative(x, [[g.padTop, eh - g.inHeight - g.padTop], [g.padLeft, ew - g.inWidth - g.padLeft]]);
  return { x: r.x, pads: [[r.pads[0][0], r.pads[0][1]], [r.pads[1][0], r.pads[1][1]]] };
}

/**
 * ∂L/∂f of Conv2D. 1×1 stride 1: dW = X^T · dY, one XNNPACK GEMM (BatchMatMul's fast path) over
 * K = N·H·W rows; the smaller operand is transposed, the other packed. Otherwise one XNNPACK conv
 * with the roles swapped: input = x as [C, H, W, N] (channels become the batch), filter = dY as
 * [outH, outW, N, O], stride = the forward dilation and dilation = the forward stride, giving
 * [C, k, k, O] (NHWC slices with stride > 1 are slow on wasm; this needs none).
 */
export function conv2dFilterGrad(k: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const { batch: n, inChannels: c, outChannels: o, outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = g;
  const kk = n * oh * ow;
  const { x: xc, pads } = readWindow(k, x, g);
  const noPad = pads[0][0] + pads[0][1] + pads[1][0] + pads[1][1] === 0;
  if (fh === 1 && fw === 1 && g.strideHeight === 1 && g.strideWidth === 1 && noPad) {
    if (o < c) {
      const dyT = k.transpose(k.reshape(dy, [kk, o]), [1, 0]); // [O, K]
      const dwT = k.matMul(dyT, k.reshape(xc, [kk, c])); // [O, C]
      return k.reshape(k.transpose(dwT, [1, 0]), [1, 1, c, o]);
    }
    const xT = k.transpose(k.reshape(xc, [kk, c]), [1, 0]); // [C, K]
    return k.reshape(k.matMul(xT, k.reshape(dy, [kk, o])), [1, 1, c, o]);
  }
  const xT = k.transpose(xc, [3, 1, 2, 0]); // [C, H', W', N]
  const dyT = k.transpose(dy, [1, 2, 0, 3]); // [outH, outW, N, O]
  const z = k.conv2d(xT, dyT, [g.dilationHeight, g.dilationWidth], [g.strideHeight, g.strideWidth], pads); // [C, fh, fw, O]
  return k.transpose(z, [1, 2, 0, 3]);
}

/**
 * ∂L/∂x of Conv2D as ONE forward conv (a polyphase transposed convolution): output row h with
 * h + t = s·m + r (phase r) receives Σ_u dy[m − u]·f[r + s·u]. All s_h·s_w phases run in a single
 * stride-1 conv over dY whose filter stacks the phases' (flipped, channel-swapped) sub-filters along
 * output channels; a reshape/transpose interleaves the phases and a slice drops the padding rows.
 * With stride 1 this is the textbook correlation with the rotated filter (dilation allowed).
 */
export function conv2dInputGrad(k: KernelScope, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const { batch: n, inHeight: h, inWidth: w, inChannels: c, outChannels: o, outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = g;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = g;
  if (sh === 1 && sw === 1) {
    const rotated = k.reverse(k.transpose(filter, [0, 1, 3, 2]), [0, 1]); // [fh, fw, O, C]
    const top = (fh - 1) * dh - g.padTop;
    const left = (fw - 1) * dw - g.padLeft;
    const r = k.cropNegative(dy, [[top, h - oh - top + (fh - 1) * dh], [left, w - ow - left + (fw - 1) * dw]]);
    return k.conv2d(r.x, rotated, [1, 1], [dh, dw], r.pads);
  }
  if (dh !== 1 || dw !== 1) throw new Error('proxyless wasm: conv input gradient with both stride > 1 and dilation > 1 is not supported');
  const th = Math.ceil(fh / sh);
  const tw = Math.ceil(fw / sw);
  const fp = th * sh === fh && tw * sw === fw ? filter : k.pad(filter, [[0, th * sh - fh], [0, tw * sw - fw], [0, 0], [0, 0]]);
  const phases = k.transpose(k.reshape(fp, [th, sh, tw, sw, c, o]), [0, 2, 5, 1, 3, 4]); // [th, tw, O, sh, sw, C]
  const stacked = k.reverse(k.reshape(phases, [th, tw, o, sh * sw * c]), [0, 1]);
  const m0 = Math.floor(g.padTop / sh);
  const n0 = Math.floor(g.padLeft / sw);
  const rows = Math.ceil((h + g.padTop) / sh) - m0;
  const cols = Math.ceil((w + g.padLeft) / sw) - n0;
  const r = k.cropNegative(dy, [[th - 1 - m0, rows - oh + m0], [tw - 1 - n0, cols - ow + n0]]);
  const z = k.conv2d(r.x, stacked, [1, 1], [1, 1], r.pads); // [N, rows, cols, sh·sw·C]
  return interleavePhases(k, z, [n, rows, cols, c], [sh, sw], [g.padTop - sh * m0, g.padLeft - sw * n0], [h, w]);
}

/** [N, R, S, (sh, sw, C)] phase-major channels → [N, R·sh, S·sw, C], then crop to `size` at `offset`. */
function interleavePhases(
  k: KernelScope,
  z: TensorInfo,
  [n, rows, cols, c]: [number, number, number, number],
  [sh, sw]: [number, number],
  [offH, offW]: [number, number],
  [h, w]: [number, number],
): TensorInfo {
  const spread = k.transpose(k.reshape(z, [n, rows, cols, sh, sw, c]), [0, 1, 3, 2, 4, 5]);
  const full = k.reshape(spread, [n, rows * sh, cols * sw, c]);
  if (offH === 0 && offW === 0 && rows * sh === h && cols * sw === w) return full;
  return k.stridedSlice(full, [0, offH, offW, 0], [n, offH + h, offW + w, c], [1, 1, 1, 1]);
}

/**
 * ∂L/∂x of DepthwiseConv2dNative. Stride 1 (any dilation): a depthwise correlation of dY with the
 * flipped filter, then a sum over the channel multiplier. Stride s (dilation 1): filters of ≤ 25
 * taps spread dY onto the input grid and use the stride-1 form; larger ones use the polyphase form
 * of `conv2dInputGrad`, one depthwise conv over dY whose channel multiplier enumerates the phases.
 */
export function depthwiseInputGrad(k: KernelScope, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const { batch: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = g;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = g;
  const mult = g.outChannels / c;
  if (sh === 1 && sw === 1) {
    const flipped = k.reshape(k.reverse(filter, [0, 1]), [fh, fw, c * mult, 1]);
    const top = (fh - 1) * dh - g.padTop;
    const left = (fw - 1) * dw - g.padLeft;
    const r = k.cropNegative(dy, [[top, h - oh - top + (fh - 1) * dh], [left, w - ow - left + (fw - 1) * dw]]);
    const z = k.depthwiseConv2d(r.x, flipped, [1, 1], [dh, dw], r.pads); // [N, H, W, C·mult]
    return mult === 1 ? z : k.sum(k.reshape(z, [n, h, w, c, mult]), [4]);
  }
  if (dh !== 1 || dw !== 1) throw new Error('proxyless wasm: depthwise input gradient with both stride > 1 and dilation > 1 is not supported');
  if (fh * fw <= 25) {
    // XNNPACK's depthwise microkernels cover ≤ 25 taps but not channel multipliers > 1, so for small
    // filters spreading dY onto the input grid (zero insertion) and running the stride-1 form is faster.
    const spread = k.reshape(k.pad(k.reshape(dy, [n, oh, 1, ow, 1, c * mult]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]), [n, oh * sh, ow * sw, c * mult]);
    return depthwiseInputGrad(k, spread, filter, { ...g, strideHeight: 1, strideWidth: 1, outHeight: oh * sh, outWidth: ow * sw });
  }
  const th = Math.ceil(fh / sh);
  const tw = Math.ceil(fw / sw);
  const fp = th * sh === fh && tw * sw === fw ? filter : k.pad(filter, [[0, th * sh - fh], [0, tw * sw - fw], [0, 0], [0, 0]]);
  const phases = k.transpose(k.reshape(fp, [th, sh, tw, sw, c, mult]), [0, 2, 4, 5, 1, 3]); // [th, tw, C, mult, sh, sw]
  const stacked = k.reverse(k.reshape(phases, [th, tw, c * mult, sh * sw]), [0, 1]);
  const m0 = Math.floor(g.padTop / sh);
  const n0 = Math.floor(g.padLeft / sw);
  const rows = Math.ceil((h + g.padTop) / sh) - m0;
  const cols = Math.ceil((w + g.padLeft) / sw) - n0;
  const r = k.cropNegative(dy, [[th - 1 - m0, rows - oh + m0], [tw - 1 - n0, cols - ow + n0]]);
  let z = k.depthwiseConv2d(r.x, stacked, [1, 1], [1, 1], r.pads); // [N, rows, cols, C·mult·sh·sw]
  if (mult > 1) {
    const q = k.transpose(k.reshape(z, [n * rows * cols, c, mult, sh * sw]), [0, 1, 3, 2]);
    z = k.sum(q, [3]);
  }
  // channels are (C, sh, sw): move C innermost while interleaving.
  const spread = k.transpose(k.reshape(z, [n, rows, cols, c, sh, sw]), [0, 1, 4, 2, 5, 3]);
  const full = k.reshape(spread, [n, rows * sh, cols * sw, c]);
  const offH = g.padTop - sh * m0;
  const offW = g.padLeft - sw * n0;
  if (offH === 0 && offW === 0 && rows * sh === h && cols * sw === w) return full;
  return k.stridedSlice(full, [0, offH, offW, 0], [n, offH + h, offW + w, c], [1, 1, 1, 1]);
}

/**
 * ∂L/∂f of DepthwiseConv2dNative: dW[i, j, c, q] = Σ_{n,p} x[n, p·s + i·d − t, c]·dy[n, p, c·mult + q].
 * Channel multiplier 1, dilation 1: `depthwiseFilterGradByRows`. Otherwise folding the batch into
 * channels turns it into ONE depthwise conv: input x as [1, H, W, N·C], filter dY as
 * [outH, outW, N·C, mult], stride d and dilation s (roles swapped), giving [1, k, k, N·C·mult]; a sum
 * over N finishes it (that filter has outH·outW taps, which XNNPACK runs as a slow grouped GEMM).
 */
export function depthwiseFilterGrad(k: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const mult = g.outChannels / g.inChannels;
  if (mult === 1 && g.dilationHeight === 1 && g.dilationWidth === 1) {
    const plan = planFilterGradByRows(g);
    if (plan) return depthwiseFilterGradByRows(k, x, dy, g, plan);
  }
  return depthwiseFilterGradFolded(k, x, dy, g);
}

export function depthwiseFilterGradFolded(k: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const { batch: n, inChannels: c, outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = g;
  const mult = g.outChannels / c;
  const { x: xc, pads } = readWindow(k, x, g);
  const xt = k.reshape(k.transpose(xc, [1, 2, 0, 3]), [1, xc.shape[1]!, xc.shape[2]!, n * c]);
  const dyt = k.reshape(k.transpose(dy, [1, 2, 0, 3]), [oh, ow, n * c, mult]);
  const z = k.depthwiseConv2d(xt, dyt, [g.dilationHeight, g.dilationWidth], [g.strideHeight, g.strideWidth], pads); // [1, fh, fw, N·C·mult]
  const perSample = k.reshape(z, [fh * fw, n, c * mult]);
  return k.reshape(n === 1 ? perSample : k.sum(perSample, [1]), [fh, fw, c, mult]);
}

/** XNNPACK (tfjs-backend-wasm 4.22) runs a depthwise conv on its fast unipass kernels only for these tap counts. */
const FAST_TAPS = [9, 4, 3] as const;
/** Rough relative time per multiply-add of those kernels (9 taps = 1; 4 and 3 taps measured slower) and a per-call overhead in multiply-adds per channel. */
const TAP_COST: Record<number, number> = { 9: 1, 4: 1.15, 3: 1.25 };
const CALL_COST = 60;

interface RowsPlan {
  /** Taps per call (a fast count) and number of column phases: dY column v = β + phases·b. */
  readonly taps: number;
  readonly phases: number;
}

/** Picks the tap count of `depthwiseFilterGradByRows` by a cost model, or null when it would need too many calls. */
export function planFilterGradByRows(g: ConvGeometry): RowsPlan | null {
  let best: { plan: RowsPlan; cost: number } | null = null;
  for (const taps of FAST_TAPS) {
    const phases = Math.ceil(g.outWidth / taps);
    let macs = 0;
    for (let b = 0; b < phases; b++) macs += g.filterHeight * (Math.max(0, b * g.strideWidth - g.padLeft) + g.filterWidth) * taps;
    const cost = g.outHeight * (macs * TAP_COST[taps]! + phases * CALL_COST);
    if (!best || cost < best.cost) best = { plan: { taps, phases }, cost };
  }
  if (!best || g.outHeight * best.plan.phases > 512) return null;
  return best.plan;
}

/**
 * ∂L/∂f of DepthwiseConv2dNative (multiplier 1, dilation 1) on XNNPACK's fast ≤ 9-tap depthwise
 * kernels, with the batch folded into channels: x as xt = [H, W, N·C] and dY reordered to
 * [outH, phases, taps, N·C] (columns v = β + phases·b, zero-padded), then one small depthwise conv per
 * (output row u, column phase β): input = the k rows of xt that row u reads (a zero-copy view; the
 * zero padding is the conv's explicit padding), filter = dY row u, phase β as 1 × taps with
 * dilation phases·s → [1, kh, ≥ kw, N·C], the k×k correlations of that slice of dY. Sums over u (AddN),
 * the phase's column offset (a slice), β, and N give dW. Exact, and only dY's zero padding and
 * the columns left of phases with β·s > padLeft are extra work.
 */
export function depthwiseFilterGradByRows(k: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, plan: RowsPlan): TensorInfo {
  const { batch: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, filterHeight: fh, filterWidth: fw } = g;
  const { strideHeight: sh, strideWidth: sw, padTop: pt, padLeft: pl } = g;
  const { taps, phases } = plan;
  const nc = n * c;
  const xt = k.transpose(x, [1, 2, 0, 3]); // [H, W, N·C]
  const wPadded = taps * phases;
  let dyt = k.transpose(dy, [1, 2, 0, 3]); // [outH, outW, N·C]
  if (wPadded !== ow) dyt = k.concat([dyt, k.fill([oh, wPadded - ow, n, c], 0)], 1);
  // [outH, phases, taps, N·C]; two 4-D transposes, as tfjs-backend-wasm's 5-D transpose is a slow generic loop
  const dyr = phases === 1 ? dyt : k.transpose(k.reshape(dyt, [oh, taps, phases, nc]), [0, 2, 1, 3]);
  const span = (taps - 1) * phases * sw; // effective filter width - 1
  const perPhase: TensorInfo[] = [];
  for (let b = 0; b < phases; b++) {
    const shift = b * sw - pl; // real column read by output j = 0, tap 0
    const left = Math.max(0, -shift);
    const offset = Math.max(0, shift); // output column holding j = 0 (views start at column 0: no wrap-around)
    const outW = Math.max(offset + fw, left + w - span);
    const right = outW + span - left - w;
    const rows: TensorInfo[] = [];
    for (let u = 0; u < oh; u++) {
      const top = u * sh - pt; // real row read by output row i = 0
      const r0 = Math.max(0, top);
      const r1 = Math.min(h, top + fh);
      if (r1 <= r0) continue;
      const xin = k.view(xt, r0 * w * nc, [1, r1 - r0, w, nc]);
      const filt = k.view(dyr, (u * phases + b) * taps * nc, [1, taps, nc, 1]);
      rows.push(k.depthwiseConv2d(xin, filt, [1, 1], [1, phases * sw], [[r0 - top, top + fh - r1], [left, right]]));
    }
    let acc = k.addN(rows); // [1, fh, outW, N·C]
    if (offset !== 0 || outW !== fw) acc = k.stridedSlice(acc, [0, 0, offset, 0], [1, fh, offset + fw, nc], [1, 1, 1, 1]);
    perPhase.push(acc);
  }
  const total = k.reshape(k.addN(perPhase), [fh * fw, n, c]);
  return k.reshape(n === 1 ? total : k.sum(total, [1]), [fh, fw, c, 1]);
}
