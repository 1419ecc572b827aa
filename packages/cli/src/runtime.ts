import * as tf from '@tensorflow/tfjs-core';
import { ensureGradients } from '@proxyless/core';

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
