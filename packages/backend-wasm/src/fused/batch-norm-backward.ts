import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES } from '@proxyless/core';
import { addressOf, fusedFor, sizeOf, withScratch, type WasmBackendInternals } from './fused-module.js';

/** Kernel name: the gradient of PROXYLESS_BATCH_NORM_FORWARD (without relu6). */
export const PROXYLESS_BATCH_NORM_BACKWARD = FUSED_KERNEL_NAMES.batchNormBackward;

/**
 * Inputs `dy`, `x` [..., C], `mean`, `variance` (biased, the forward's outputs), `gamma` [C]; attr
 * `eps`. Outputs [dx, dGamma, dBeta]: one reduction pass over (dy, x), one element-wise pass.
 */
function batchNormBackward(args: { inputs: Record<string, TensorInfo>; attrs: NamedAttrMap; backend: unknown }): TensorInfo[] {
  const be = args.backend as WasmBackendInternals;
  const { dy, x, mean, variance, gamma } = args.inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'gamma', TensorInfo>;
  const eps = Number(args.attrs.eps);
  const c = x.shape[x.shape.length - 1]!;
  const m = sizeOf(x.shape) / c;
  if (sizeOf(dy.shape) !== sizeOf(x.shape)) throw new Error(`proxyless: ${PROXYLESS_BATCH_NORM_BACKWARD}: dy [${dy.shape}] and x [${x.shape}] differ`);
  const dx = be.makeOutput([...x.shape], 'float32');
  const dGamma = be.makeOutput([c], 'float32');
  const dBeta = be.makeOutput([c], 'float32');
  if (m > 0 && c > 0) {
    const k = fusedFor(be);
    withScratch(be, 20 * c, (scratch) => {
      k.batchNormBackward(addressOf(be, dy, 'dy'), addressOf(be, x, 'x'), addressOf(be, dx, 'dx'), m, c,
        addressOf(be, mean, 'mean'), addressOf(be, variance, 'variance'), addressOf(be, gamma, 'gamma'), eps,
        addressOf(be, dGamma, 'dGamma'), addressOf(be, dBeta, 'dBeta'), scratch);
    });
  }
  return [dx, dGamma, dBeta];
}

export const batchNormBackwardConfig: KernelConfig = {
  kernelName: PROXYLESS_BATCH_NORM_BACKWARD,
  backendName: 'wasm',
  kernelFunc: batchNormBackward as unknown as KernelFunc,
};
