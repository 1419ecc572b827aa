import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES } from '@proxyless/core';
import { convGeometry } from '../kernels/conv-geometry.js';
import { DEPTHWISE, runDepthwise, type WasmBackendInternals } from './fused-module.js';

/** Kernel name: a depthwise convolution (channel multiplier 1) for training steps. */
export const PROXYLESS_DEPTHWISE_FORWARD = FUSED_KERNEL_NAMES.depthwiseForward;

/**
 * Inputs `x` [N, H, W, C], `filter` [kh, kw, C, 1]; attrs `strides`, `pad`, `dilations` (as
 * DepthwiseConv2dNative's, NHWC). Output y [N, oh, ow, C]: one wasm SIMD pass per output row and tap
 * (assembly/depthwise.ts). The inference path keeps tfjs's own kernel (what a deployed model
 * runs, and what measured latency times).
 */
function depthwiseForward(args: { inputs: Record<string, TensorInfo>; attrs: NamedAttrMap; backend: unknown }): TensorInfo {
  const be = args.backend as WasmBackendInternals;
  const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
  const a = args.attrs as unknown as { strides: number | [number, number]; pad: 'same' | 'valid' | number; dilations?: number | [number, number] };
  if (x.shape.length !== 4 || filter.shape.length !== 4 || filter.shape[3] !== 1 || filter.shape[2] !== x.shape[3]) {
    throw new Error(`proxyless: ${PROXYLESS_DEPTHWISE_FORWARD}: expected x [N, H, W, C] and filter [kh, kw, C, 1], got [${x.shape}] and [${filter.shape}]`);
  }
  const g = convGeometry(PROXYLESS_DEPTHWISE_FORWARD, x.shape, filter.shape, a.strides, a.dilations ?? 1, a.pad, undefined, true);
  const y = be.makeOutput([g.batch, g.outHeight, g.outWidth, g.inChannels], 'float32');
  if (g.batch * g.outHeight * g.outWidth * g.inChannels > 0) runDepthwise(be, DEPTHWISE.forward, y, x, filter, g);
  return y;
}

export const depthwiseForwardConfig: KernelConfig = {
  kernelName: PROXYLESS_DEPTHWISE_FORWARD,
  backendName: 'wasm',
  kernelFunc: depthwiseForward as unknown as KernelFunc,
};
