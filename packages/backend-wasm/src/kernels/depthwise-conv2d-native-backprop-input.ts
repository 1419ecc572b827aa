import {
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type DepthwiseConv2dNativeBackpropInputInputs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { depthwiseInputGrad } from './conv-grads.js';
import { convGeometry } from './conv-geometry.js';
import { composite } from './kernel-scope.js';
import { DEPTHWISE, runDepthwise, useFused, type WasmBackendInternals } from '../fused/fused-module.js';

function depthwiseConv2dNativeBackpropInput(args: {
  inputs: DepthwiseConv2dNativeBackpropInputInputs;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
  backend: unknown;
}): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args.attrs;
  const g = convGeometry(DepthwiseConv2dNativeBackpropInput, inputShape, filter.shape, strides, dilations ?? 1, pad, dimRoundingMode, true);
  const be = args.backend as WasmBackendInternals;
  if (filter.shape[3] === 1 && dy.dtype === 'float32' && filter.dtype === 'float32' && useFused(be)) {
    // dY scattered through the filter in one wasm SIMD pass (assembly/depthwise.ts).
    const dx = be.makeOutput([...inputShape], 'float32');
    runDepthwise(be, DEPTHWISE.inputGrad, dy, dx, filter, g);
    return dx;
  }
  return composite(args.backend, 'wasm', (k) => depthwiseInputGrad(k, dy, filter, g));
}

/**
 * ∂L/∂x of DepthwiseConv2dNative on wasm: the fused SIMD kernel (channel multiplier 1, when the fused
 * modules are built; ×1.2–×14 faster), else one (polyphase) depthwise conv over dY.
 */
export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
};
