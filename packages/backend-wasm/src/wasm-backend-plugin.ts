import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { definePlugin, describeDevice, ensureGradients, z, type Backend, type DeviceDescription } from '@proxyless/core';

import { registerTrainingKernels } from './kernels/register-all-kernels.js';
import { initThreadedWasm } from './threads.js';

export const WASM_BACKEND_PLUGIN = 'wasm';

export const WasmBackendOptionsSchema = z.object({
  /**
   * Folder (or URL prefix) holding the `tfjs-backend-wasm*.wasm` binaries. Not needed in Node: the
   * backend loads them from the installed `@tensorflow/tfjs-backend-wasm/dist`.
   */
  wasmPaths: z.string().optional(),
  /**
   * Threads of XNNPACK's pool (the calling thread included) in the threaded-SIMD binary: under Node
   * through `initThreadedWasm` (1–8), in browsers through tfjs's `setThreadsCount` (needs cross-origin
   * isolation). Default 1: the plain SIMD binary. Pays only with a free core per thread
   * (docs/BENCHMARKS.md §6.3); a data-parallel search (`trainer.options.workers`) already uses the cores.
   */
  threads: z.number().int().min(1).max(8).optional(),
}).strict();
export type WasmBackendOptions = z.output<typeof WasmBackendOptionsSchema>;

/** The `wasm` backend of a search: registers the training kernels and gradients, then activates wasm. */
export class WasmBackendImpl implements Backend {
  readonly name = 'wasm';

  constructor(private readonly options: WasmBackendOptions = {}) {}

  async init(): Promise<void> {
    if (this.options.wasmPaths) setWasmPaths(this.options.wasmPaths);
    const threads = this.options.threads ?? 1;
    if (threads > 1) {
      if (typeof process === 'undefined' || !process.versions?.node) setThreadsCount(threads);
      else if (!tf.findBackend('wasm')) await initThreadedWasm(threads);
      else if (getThreadsCount() !== threads) {
        throw new Error(`proxyless: backend.options.threads is ${threads}, but this process already runs the wasm backend with ${getThreadsCount()} thread(s); the thread pool is chosen once per process`);
      }
    }
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
