import type { KernelConfig } from '@tensorflow/tfjs-core';
import { batchNormBackwardConfig } from './batch-norm-backward.js';
import { batchNormForwardConfig } from './batch-norm-forward.js';
import { depthwiseForwardConfig } from './depthwise-forward.js';
import { relu6GradConfig } from './relu6-grad.js';

export * from './batch-norm-forward.js';
export * from './batch-norm-backward.js';
export * from './relu6-grad.js';
export * from './depthwise-forward.js';
export { fusedKernelsAvailable, fusedVariantFor, type FusedVariant } from './fused-module.js';

/**
 * The fused kernels (AssemblyScript, wasm SIMD, on tfjs-backend-wasm's heap). Core dispatches to
 * them by name when they are registered for the active backend (`registerTrainingKernels` does so
 * when their modules are built), and composes tfjs ops otherwise.
 */
export const fusedKernelConfigs: readonly KernelConfig[] = [batchNormForwardConfig, batchNormBackwardConfig, relu6GradConfig, depthwiseForwardConfig];
