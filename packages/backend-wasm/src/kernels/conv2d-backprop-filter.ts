import { Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type Conv2DBackpropFilterInputs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { conv2dFilterGrad } from './conv-grads.js';
import { convGeometry } from './conv-geometry.js';
import { composite } from './kernel-scope.js';
import { addressOf, fusedFor, useFused, type WasmBackendInternals } from '../fused/fused-module.js';

/** Input channels up to which the direct fused kernel beats the transposed XNNPACK conv (bench/fused-kernels.mjs row 10). */
export const FUSED_FILTER_GRAD_MAX_IN_CHANNELS = 4;

function conv2DBackpropFilter(args: { inputs: Conv2DBackpropFilterInputs; attrs: Conv2DBackpropFilterAttrs; backend: unknown }): TensorInfo {
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
  const g = convGeometry(Conv2DBackpropFilter, x.shape, filterShape, strides, 1, pad, dimRoundingMode, false, dataFormat);
  const be = args.backend as WasmBackendInternals;
  const pointwise = g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 && g.strideWidth === 1 && g.padTop === 0 && g.padLeft === 0 &&
    g.outHeight === g.inHeight && g.outWidth === g.inWidth && (dataFormat ?? 'NHWC') === 'NHWC';
  if (pointwise && x.dtype === 'float32' && dy.dtype === 'float32' && useFused(be)) {
    // dW = Xᵀ·dY straight from the NHWC tensors, one wasm SIMD pass (assembly/conv1x1-filter-grad.ts).
    const dW = be.makeOutput([...filterShape], 'float32');
    fusedFor(be).conv1x1FilterGrad(addressOf(be, x, 'x'), addressOf(be, dy, 'dy'), addressOf(be, dW, 'dW'), g.batch * g.inHeight * g.inWidth, g.inChannels, g.outChannels);
    return dW;
  }
  if (!pointwise && g.inChannels <= FUSED_FILTER_GRAD_MAX_IN_CHANNELS && (dataFormat ?? 'NHWC') === 'NHWC' && x.dtype === 'float32' && dy.dtype === 'float32' && useFused(be)) {
    // Few input channels (the stem conv): direct per-row sums in registers (assembly/conv-filter-grad.ts).
    const dW = be.makeOutput([...filterShape], 'float32');
    fusedFor(be).convFilterGrad(
      addressOf(be, x, 'x'), addressOf(be, dy, 'dy'), addressOf(be, dW, 'dW'), g.batch, g.inHeight, g.inWidth, g.inChannels, g.outChannels, g.outHeight, g.outWidth,
      g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft,
    );
    return dW;
  }
  return composite(args.backend, 'wasm', (k) => conv2dFilterGrad(k, x, dy, g));
}

/**
 * ∂L/∂filter of Conv2D on wasm: 1×1 stride 1, the fused SIMD kernel (when built); otherwise one XNNPACK
 * GEMM or conv (see `conv2dFilterGrad`).
 */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
