import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES } from '@proxyless/core';
import { addressOf, fusedFor, sizeOf, withScratch, type WasmBackendInternals } from './fused-module.js';

/** Kernel name: batch norm with batch statistics over every axis but the last, forward. */
export const PROXYLESS_BATCH_NORM_FORWARD = FUSED_KERNEL_NAMES.batchNormForward;

/**
 * Inputs `x` [..., C], `gamma`, `beta` [C]; attrs `eps`, `relu6` (clamp the output to [0, 6]).
 * Outputs [y, mean, variance (biased)]: two passes for the statistics, one for y.
 */
function batchNormForward(args: { inputs: Record<string, TensorInfo>; attrs: NamedAttrMap; backend: unknown }): TensorInfo[] {
  const be = args.backend as WasmBackendInternals;
  const { x, gamma, beta } = args.inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const eps = Number(args.attrs.eps);
  const relu6 = args.attrs.relu6 ? 1 : 0;
  const c = x.shape[x.shape.length - 1]!;
  const m = sizeOf(x.shape) / c;
  if (gamma.shape.length !== 1 || gamma.shape[0] !== c || beta.shape.length !== 1 || beta.shape[0] !== c) {
    throw new Error(`proxyless: ${PROXYLESS_BATCH_NORM_FORWARD}: gamma and beta must be [${c}], got [${gamma.shape}] and [${beta.shape}]`);
  }
  const y = be.makeOutput([...x.shape], 'float32');
  const mean = be.makeOutput([c], 'float32');
  const variance = be.makeOutput([c], 'float32');
  if (m > 0 && c > 0) {
    const k = fusedFor(be);
    withScratch(be, 8 * c, (scratch) => {
      const px = addressOf(be, x, 'x');
      k.batchNormStats(px, m, c, addressOf(be, mean, 'mean'), addressOf(be, variance, 'variance'), scratch);
      k.batchNormApply(px, addressOf(be, y, 'y'), m, c, addressOf(be, mean, 'mean'), addressOf(be, variance, 'variance'),
        addressOf(be, gamma, 'gamma'), addressOf(be, beta, 'beta'), eps, relu6, scratch);
    });
  }
  return [y, mean, variance];
}

export const batchNormForwardConfig: KernelConfig = {
  kernelName: PROXYLESS_BATCH_NORM_FORWARD,
  backendName: 'wasm',
  kernelFunc: batchNormForward as unknown as KernelFunc,
};
