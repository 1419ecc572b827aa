import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES } from '@proxyless/core';
import { addressOf, fusedFor, sizeOf, withScratch, type WasmBackendInternals } from './fused-module.js';

/** Kernel name: the gradient of PROXYLESS_BATCH_NORM_FORWARD (with or without its relu6). */
export const PROXYLESS_BATCH_NORM_BACKWARD = FUSED_KERNEL_NAMES.batchNormBackward;

/**
 * Inputs `dy`, `x` [..., C], `mean`, `variance` (biased, the forward's outputs), `gamma` [C], and
 * `beta` [C] when attr `relu6` is set; attr `eps`. Outputs [dx, dGamma, dBeta]: one reduction pass
 * over (dy, x), one element-wise pass. With `relu6`, the gradient of the forward with `relu6` (dy
 * masked where the normalized value, recomputed from x, is outside (0, 6]).
 */
function batchNormBackward(args: { inputs: Record<string, TensorInfo>; attrs: NamedAttrMap; backend: unknown }): TensorInfo[] {
  const be = args.backend as WasmBackendInternals;
  const { dy, x, mean, variance, gamma, beta } = args.inputs as Record<'dy' | 'x' | 'mean' | 'variance' | 'gamma', TensorInfo> & { beta?: TensorInfo };
  const eps = Number(args.attrs.eps);
  const relu6 = args.attrs.relu6 ? 1 : 0;
  if (relu6 && !beta) throw new Error(`proxyless: ${PROXYLESS_BATCH_NORM_BACKWARD}: relu6 needs the input beta`);
  const c = x.shape[x.shape.length - 1]!;
  const m = sizeOf(x.shape) / c;
  if (sizeOf(dy.shape) !== sizeOf(x.shape)) throw new Error(`proxyless: ${PROXYLESS_BATCH_NORM_BACKWARD}: dy [${dy.shape}] and x [${x.shape}] differ`);
  const dx = be.makeOutput([...x.shape], 'float32');
  const dGamma = be.makeOutput([c], 'float32');
  const dBeta = be.makeOutput([c], 'float32');
  if (m > 0 && c > 0) {
    const k = fusedFor(be);
    withScratch(be, 28 * c, (scratch) => {
      k.batchNormBackward(addressOf(be, dy, 'dy'), addressOf(be, x, 'x'), addressOf(be, dx, 'dx'), m, c,
        addressOf(be, mean, 'mean'), addressOf(be, variance, 'variance'), addressOf(be, gamma, 'gamma'), beta ? addressOf(be, beta, 'beta') : 0, eps,
        relu6, addressOf(be, dGamma, 'dGamma'), addressOf(be, dBeta, 'dBeta'), scratch);
    });
  }
  return [dx, dGamma, dBeta];
}

export const batchNormBackwardConfig: KernelConfig = {
  kernelName: PROXYLESS_BATCH_NORM_BACKWARD,
  backendName: 'wasm',
  kernelFunc: batchNormBackward as unknown as KernelFunc,
};
