import {
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type DepthwiseConv2dNativeBackpropFilterInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { depthwiseFilterGrad } from './conv-grads.js';
import { convGeometry } from './conv-geometry.js';
import { composite } from './kernel-scope.js';
import { DEPTHWISE, runDepthwise, useFused, type WasmBackendInternals } from '../fused/fused-module.js';

function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: DepthwiseConv2dNativeBackpropFilterInputs;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
  backend: unknown;
}): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } = args.attrs;
  const g = convGeometry(DepthwiseConv2dNativeBackpropFilter, x.shape, filterShape, strides, dilations ?? 1, pad, dimRoundingMode, true);
  const be = args.backend as WasmBackendInternals;
  if (filterShape[3] === 1 && x.dtype === 'float32' && dy.dtype === 'float32' && useFused(be)) {
    // One pass of wasm SIMD over x and dY (assembly/depthwise.ts).
    const dW = be.makeOutput([...filterShape], 'float32');
    runDepthwise(be, DEPTHWISE.filterGrad, dy, x, dW, g);
    return dW;
  }
  return composite(args.backend, 'wasm', (k) => depthwiseFilterGrad(k, x, dy, g));
}

/**
 * ∂L/∂filter of DepthwiseConv2dNative on wasm: the fused SIMD kernel (channel multiplier 1, when the
 * fused modules are built), else depthwise convs with the batch folded into channels.
 */
export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
};
