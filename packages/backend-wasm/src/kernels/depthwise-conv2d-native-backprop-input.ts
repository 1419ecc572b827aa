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

function depthwiseConv2dNativeBackpropInput(args: {
  inputs: DepthwiseConv2dNativeBackpropInputInputs;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
  backend: unknown;
}): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } = args.attrs;
  const g = convGeometry(DepthwiseConv2dNativeBackpropInput, inputShape, filter.shape, strides, dilations ?? 1, pad, dimRoundingMode, true);
  return composite(args.backend, 'wasm', (k) => depthwiseInputGrad(k, dy, filter, g));
}

/** ∂L/∂x of DepthwiseConv2dNative on wasm: one (polyphase) depthwise conv over dY. */
export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
};
