import { Conv2DBackpropInput, type Conv2DBackpropInputAttrs, type Conv2DBackpropInputInputs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dInputGrad } from './conv-grads.js';
import { convGeometry } from './conv-geometry.js';
import { composite } from './kernel-scope.js';

function conv2DBackpropInput(args: { inputs: Conv2DBackpropInputInputs; attrs: Conv2DBackpropInputAttrs; backend: unknown }): TensorInfo {
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs;
  const g = convGeometry(Conv2DBackpropInput, inputShape, filter.shape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  return composite(args.backend, 'wasm', (k) => conv2dInputGrad(k, dy, filter, g));
}

/**
 * ∂L/∂x of Conv2D (and the forward of conv2dTranspose) on wasm as one XNNPACK conv (polyphase, see
 * `conv2dInputGrad`). tfjs-backend-wasm 4.22 registers a Conv2DBackpropInput of its own, a scalar
 * loop 5–15× slower than the forward conv; this config replaces it.
 */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
