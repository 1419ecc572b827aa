import type * as tf from '@tensorflow/tfjs-core';
import type { SearchResult } from '../session/hooks.js';
import type { SearchSession, SessionSnapshot } from '../session/search-session.js';

export const Trainer = Symbol.for('proxyless.Trainer');

/** Drives a search: warm-up, alternating weight and architecture steps, checkpoints, derive. */
export interface Trainer {
  run(session: SearchSession, resume?: SessionSnapshot): Promise<SearchResult>;
  /** Loop position, optimizer slots and RNG state, for checkpoints. */
  getState(): { json: unknown; tensors: Record<string, tf.Tensor> };
}
