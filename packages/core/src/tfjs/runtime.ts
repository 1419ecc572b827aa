import * as tf from '@tensorflow/tfjs-core';

let registered: Promise<void> | undefined;

/**
 * Makes sure the tfjs-core that this process imported can differentiate: registers every gradient
 * config and the chained tensor ops (`x.sum()` …) when they are missing. Node's entry of
 * `@tensorflow/tfjs-core` (its CommonJS bundle) registers neither, so any `tf.grad` over a conv
 * would otherwise throw "gradient function not found". Idempotent; safe to call from every entry
 * point (library, CLI, workers, tests).
 */
export function ensureGradients(): Promise<void> {
  if (!registered) {
    registered = (async () => {
      if (tf.getGradient('Conv2D') && tf.getGradient('DepthwiseConv2dNative') && tf.getGradient('FusedBatchNorm')) return;
      try {
        // @ts-ignore -- generated plain-JS module (npm run build), typed by vendor/tfjs-gradients.d.ts
        await import('../../vendor/tfjs-gradients.js');
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
        throw new Error("proxyless: @proxyless/core's vendor/tfjs-gradients.js is missing: it is generated from the installed @tensorflow/tfjs-core by `npm run build` (in a checkout of this repository); run that first");
      }
      if (!tf.getGradient('Conv2D')) {
        throw new Error('proxyless: failed to register TensorFlow.js gradients (Conv2D still has none); is more than one version of @tensorflow/tfjs-core installed? Run `npm ls @tensorflow/tfjs-core`.');
      }
    })();
  }
  return registered;
}

/** Whether gradients are registered for the kernels that a convolutional search needs. */
export function gradientsRegistered(): boolean {
  return ['Conv2D', 'DepthwiseConv2dNative', 'Relu6', 'Mean', 'Softmax'].every((k) => tf.getGradient(k) !== undefined);
}

/**
 * Resolves after pending I/O and timers had a turn. Training loops await it between steps: every
 * other await in a step resolves at once, so without it a SIGINT handler or a progress bar's redraw
 * would not run until the loop ended.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
