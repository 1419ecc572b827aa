import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES } from '@proxyless/core';
import { addressOf, fusedFor, sizeOf, type WasmBackendInternals } from './fused-module.js';

/** Kernel name: dx = dy where 0 < x ≤ 6, else 0 (the gradient of ReLU6), one pass. */
export const PROXYLESS_RELU6_GRAD = FUSED_KERNEL_NAMES.relu6Grad;

function relu6Grad(args: { inputs: Record<string, TensorInfo>; backend: unknown }): TensorInfo {
  const be = args.backend as WasmBackendInternals;
  const { dy, x } = args.inputs as { dy: TensorInfo; x: TensorInfo };
  const n = sizeOf(x.shape);
  if (sizeOf(dy.shape) !== n) throw new Error(`proxyless: ${PROXYLESS_RELU6_GRAD}: dy [${dy.shape}] and x [${x.shape}] differ`);
  const dx = be.makeOutput([...x.shape], 'float32');
  if (n > 0) fusedFor(be).relu6Grad(addressOf(be, dy, 'dy'), addressOf(be, x, 'x'), addressOf(be, dx, 'dx'), n);
  return dx;
}

export const relu6GradConfig: KernelConfig = {
  kernelName: PROXYLESS_RELU6_GRAD,
  backendName: 'wasm',
  kernelFunc: relu6Grad as unknown as KernelFunc,
};
