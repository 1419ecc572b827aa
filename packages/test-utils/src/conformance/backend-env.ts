import * as tf from '@tensorflow/tfjs-core';

const KEY = Symbol.for('proxyless.conformance.backend');

/** What a backend project's setup file records for the suite. */
export interface ConformanceBackend {
  /** TensorFlow.js backend name under test (`cpu`, `wasm`, `tensorflow`). */
  readonly name: string;
  /** Set when the backend cannot run here (e.g. `@tensorflow/tfjs-node` is not installed): the suite skips with this reason. */
  readonly unavailable?: string;
}

/**
 * Called by a vitest project's setup file: activates `name` (unless `unavailable`) and records it
 * for `describeWithBackends`. Gradients must already be registered (`ensureGradients()`).
 */
export async function useConformanceBackend(name: string, unavailable?: string): Promise<void> {
  (globalThis as Record<symbol, unknown>)[KEY] = { name, unavailable } satisfies ConformanceBackend;
  if (unavailable) return;
  if (!(await tf.setBackend(name))) throw new Error(`conformance: backend '${name}' failed to initialize`);
  await tf.ready();
}

/** The backend of the running project (`cpu` when no setup file recorded one). */
export function conformanceBackend(): ConformanceBackend {
  return ((globalThis as Record<symbol, unknown>)[KEY] as ConformanceBackend | undefined) ?? { name: tf.getBackend() ?? 'cpu' };
}

/** Runs `fn` with `backend` active, then restores the previous backend. */
export async function onBackend<T>(backend: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (previous !== backend) await tf.setBackend(backend);
  try {
    return await fn();
  } finally {
    if (previous !== backend) await tf.setBackend(previous);
  }
}
