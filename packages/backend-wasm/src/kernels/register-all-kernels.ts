import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseConv2dNativeBackpropFilterConfig } from './depthwise-conv2d-native-backprop-filter.js';
import { depthwiseConv2dNativeBackpropInputConfig } from './depthwise-conv2d-native-backprop-input.js';
import { identityConfig } from './identity.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { axesRunReductionConfig } from './reduce-axes-run.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';
import { fusedKernelConfigs, fusedKernelsAvailable } from '../fused/index.js';
import { setFusedEnabled } from '../fused/fused-module.js';

/**
 * The training kernels this package adds to tfjs-backend-wasm 4.22.0. Conv2DBackpropFilter and the
 * two depthwise gradients are missing there (any conv net's gradient throws); Conv2DBackpropInput
 * exists but is a scalar loop, and MaxPoolGrad loses the gradient of border-overhanging windows, so
 * ours replace them. UnsortedSegmentSum (the gradient of `tf.gather`) is missing too.
 */
export const trainingKernelConfigs: readonly KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  maxPoolGradConfig,
  unsortedSegmentSumConfig,
];

/**
 * Kernels of tfjs-backend-wasm that `registerTrainingKernels` replaces rather than adds (Identity: with
 * the fused kernels, by one that shares the buffer instead of copying it, see identity.ts). Sum and Mean
 * are wrapped: reductions over a run of non-innermost axes (batch-norm statistics, per-channel
 * gradients, global average pooling) run as one average pooling, the rest through tfjs's own kernel.
 */
export const replacedKernels: readonly string[] = [tf.Conv2DBackpropInput, tf.MaxPoolGrad, tf.Identity, tf.Sum, tf.Mean];

const wrappedKernels = [tf.Sum, tf.Mean] as const;

/** tfjs-backend-wasm's own Identity (a copy), restored by `registerTrainingKernels({ fused: false })`. */
let tfjsIdentity: KernelConfig | undefined;

const REGISTERED = Symbol.for('proxyless.backend-wasm.trainingKernels');

/**
 * Registers the training kernels for `wasm` (idempotent; replaces tfjs's own where listed), and the
 * fused kernels (`fusedKernelConfigs`, the fused paths of the depthwise and 1×1 conv gradients, and
 * the copy-free Identity) when their wasm modules are built (`fused: false` leaves them out, and
 * undoes an earlier call's: core then composes tfjs ops, as before issue 12).
 */
export function registerTrainingKernels(options: { fused?: boolean } = {}): void {
  const g = globalThis as { [REGISTERED]?: Set<KernelConfig> };
  const done = (g[REGISTERED] ??= new Set());
  const fused = (options.fused ?? true) && fusedKernelsAvailable();
  setFusedEnabled(fused);
  const identityNow = tf.getKernel(tf.Identity, 'wasm');
  if (identityNow && identityNow !== identityConfig) tfjsIdentity = identityNow;
  if (identityNow && tfjsIdentity && identityNow !== (fused ? identityConfig : tfjsIdentity)) {
    tf.unregisterKernel(tf.Identity, 'wasm');
    tf.registerKernel(fused ? identityConfig : tfjsIdentity);
  }
  for (const config of fusedKernelConfigs) {
    const existing = tf.getKernel(config.kernelName, config.backendName);
    if (!fused) {
      if (existing) tf.unregisterKernel(config.kernelName, config.backendName);
      continue;
    }
    if (!existing) tf.registerKernel(config);
  }
  for (const config of trainingKernelConfigs) {
    const existing = tf.getKernel(config.kernelName, config.backendName);
    if (existing === config || done.has(existing as KernelConfig)) continue;
    if (existing) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
    done.add(config);
  }
  for (const name of wrappedKernels) {
    const existing = tf.getKernel(name, 'wasm');
    if (!existing || done.has(existing)) continue;
    const config = axesRunReductionConfig(name, existing);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
    done.add(config);
  }
}
