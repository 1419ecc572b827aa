import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { definePlugin, describeDevice, ensureGradients, z, type Backend, type DeviceDescription } from '@proxyless/core';

import { registerTrainingKernels } from './kernels/register-all-kernels.js';

export const WASM_BACKEND_PLUGIN = 'wasm';

export const WasmBackendOptionsSchema = z.object({
  /**
   * Folder (or URL prefix) holding the `tfjs-backend-wasm*.wasm` binaries. Not needed in Node: the
   * backend loads them from the installed `@tensorflow/tfjs-backend-wasm/dist`.
   */
  wasmPaths: z.string().optional(),
  /** Threads for the threaded-SIMD binary (browsers with cross-origin isolation only; Node runs single-threaded). */
  threads: z.number().int().positive().optional(),
}).strict();
export type WasmBackendOptions = z.output<typeof WasmBackendOptionsSchema>;

/** The `wasm` backend of a search: registers the training kernels and gradients, then activates wasm. */
export class WasmBackendImpl implements Backend {
  readonly name = 'wasm';

  constructor(private readonly options: WasmBackendOptions = {}) {}

  async init(): Promise<void> {
    if (this.options.wasmPaths) setWasmPaths(this.options.wasmPaths);
    if (this.options.threads) setThreadsCount(this.options.threads);
    registerTrainingKernels();
    await ensureGradients();
    if (!(await tf.setBackend('wasm'))) throw new Error('proxyless: failed to initialize the TensorFlow.js wasm backend');
    await tf.ready();
    // Evaluate the async feature flags now so that describe() can report them synchronously.
    await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  }

  describe(): DeviceDescription {
    return describeDevice('wasm');
  }
}

export const wasmBackendPlugin = definePlugin({
  kind: 'backend',
  name: WASM_BACKEND_PLUGIN,
  description: 'TensorFlow.js wasm backend (XNNPACK, SIMD) with training kernels for conv nets',
  options: WasmBackendOptionsSchema,
  create: (options): Backend => new WasmBackendImpl(options),
});
