import * as tf from '@tensorflow/tfjs-core';
import { CpuBackend, ensureGradients } from '@proxyless/core';

let prepared: Promise<void> | undefined;

/**
 * Gets TensorFlow.js ready for the CLI: registers the gradients (Node's tfjs-core entry ships
 * none) and, unless `PROXYLESS_DEBUG=1`, turns on tfjs production mode. Production mode only
 * silences tfjs's console warnings — among them the "Hi, looks like you are running TensorFlow.js
 * in Node.js" banner that tfjs-backend-cpu prints on its first tensor — and changes no results.
 * Idempotent.
 */
export function prepareRuntime(env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  prepared ??= (async () => {
    if (env['PROXYLESS_DEBUG'] !== '1') tf.enableProdMode();
    await ensureGradients();
  })();
  return prepared;
}

/** Resolves after pending I/O and timers had a turn (signal handlers, progress redraws). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Workaround: `composeSearch({ resume })` (and so `deriveFromRun`) loads the checkpoint's tensors
 * before it initializes the configured backend, and tfjs throws "No backend found in registry"
 * when no backend exists yet. Initializing the reference cpu backend first gives those tensors a
 * home; the configured backend then takes over in `composeSearch` (tfjs moves tensors on use).
 * Harmless once core loads the checkpoint after `backend.init()`.
 */
export async function ensureBackendForCheckpoint(): Promise<void> {
  if (Object.keys(tf.engine().registryFactory).length === 0) await new CpuBackend().init();
}
