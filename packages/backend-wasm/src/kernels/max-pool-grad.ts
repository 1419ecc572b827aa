import {
  backend_util,
  Add,
  Cast,
  Equal,
  MaxPoolGrad,
  PadV2,
  Sub,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type MaxPoolGradInputs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { composite, type KernelScope } from './kernel-scope.js';

/**
 * ∂L/∂x of MaxPool on wasm. tfjs-backend-wasm 4.22's own MaxPoolGrad drops the gradient of windows
 * that overhang the bottom/right border (stride 2, `same`, odd sizes). This one is composed of wasm
 * kernels: for every window offset (i, j), the strided view of the −∞-padded input that offset sees
 * is compared with the pooled output; the first match in scan order (the position tfjs's cpu
 * backend picks) takes dy, which is then spread back (stride dilation + offset padding) and summed.
 */
function maxPoolGrad(args: { inputs: MaxPoolGradInputs; attrs: MaxPoolGradAttrs; backend: unknown }): TensorInfo {
  const { dy, input, output } = args.inputs as { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs;
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  return composite(args.backend, 'wasm', (k) => maxPoolGradIn(k, dy, input, output, info));
}

function maxPoolGradIn(k: KernelScope, dy: TensorInfo, x: TensorInfo, y: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const { outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const hp = Math.max((ho - 1) * sh + kh, h + top);
  const wp = Math.max((wo - 1) * sw + kw, w + left);
  const xPad = k.run(PadV2, { x }, { paddings: [[0, 0], [top, hp - h - top], [left, wp - w - left], [0, 0]], constantValue: -Infinity });
  const ones = k.fill([n, ho, wo, c], 1);
  let taken: TensorInfo | undefined;
  let dxPad: TensorInfo | undefined;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const view = k.stridedSlice(xPad, [0, i, j, 0], [n, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, c], [1, sh, sw, 1]);
      const hit = k.run(Cast, { x: k.run(Equal, { a: view, b: y }) }, { dtype: 'float32' });
      k.release(view);
      // first maximum in scan order wins: mask out windows an earlier offset already took
      const mask = taken ? k.mul(hit, k.run(Sub, { a: ones, b: taken })) : hit;
      taken = taken ? k.run(Add, { a: taken, b: mask }) : mask;
      const contribution = spread(k, k.mul(dy, mask), i, j, sh, sw, hp, wp);
      dxPad = dxPad ? k.run(Add, { a: dxPad, b: contribution }) : contribution;
    }
  }
  return k.stridedSlice(dxPad!, [0, top, left, 0], [n, top + h, left + w, c], [1, 1, 1, 1]);
}

/** Places v[n, a, b, c] at [n, i + a·sh, j + b·sw, c] of a zero [n, hp, wp, c] tensor. */
function spread(k: KernelScope, v: TensorInfo, i: number, j: number, sh: number, sw: number, hp: number, wp: number): TensorInfo {
  const [n, ho, wo, c] = v.shape as [number, number, number, number];
  let d = v;
  if (sh > 1 || sw > 1) {
    const six = k.reshape(v, [n, ho, 1, wo, 1, c]);
    const padded = k.pad(six, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    const flat = k.reshape(padded, [n, ho * sh, wo * sw, c]);
    d = k.stridedSlice(flat, [0, 0, 0, 0], [n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, c], [1, 1, 1, 1]);
  }
  const dh = d.shape[1]!;
  const dw = d.shape[2]!;
  return k.pad(d, [[0, 0], [i, hp - i - dh], [j, wp - j - dw], [0, 0]]);
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
