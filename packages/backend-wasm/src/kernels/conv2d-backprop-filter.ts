import { Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type Conv2DBackpropFilterInputs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dFilterGrad } from './conv-grads.js';
import { convGeometry } from './conv-geometry.js';
import { composite } from './kernel-scope.js';

function conv2DBackpropFilter(args: { inputs: Conv2DBackpropFilterInputs; attrs: Conv2DBackpropFilterAttrs; backend: unknown }): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  const g = convGeometry(Conv2DBackpropFilter, x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  return composite(args.backend, 'wasm', (k) => conv2dFilterGrad(k, x, dy, g));
}

/** ∂L/∂filter of Conv2D on wasm: one XNNPACK GEMM per filter tap (see `conv2dFilterGrad`). */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
