import type * as tf from '@tensorflow/tfjs-core';

/**
 * Binary gates of one mixed op for one step. `values` has one entry per candidate (1 for the path
 * whose output is used, 0 otherwise); `active` lists the candidates that are actually computed
 * (one in a plain weight step, two in the two-path arch step). The mixed op's output is
 * Σ_{j∈active} values[j]·o_j(x), so ∂L/∂values[j] = Σ(∇_y L ∘ o_j(x)) is available to strategies
 * for every computed path.
 */
export interface Gates {
  readonly active: readonly number[];
  readonly values: tf.Tensor1D;
  /**
   * The path whose gate is 1 when `values` is known to be one-hot there (set by the estimators).
   * Every other active path then enters the output only as 0·o_j(x): its output is kept for
   * ∂L/∂g_j, but no gradient is propagated through it (it would be multiplied by 0), which saves
   * that path's backward pass.
   */
  readonly chosen?: number;
}

/** Gates for every mixed op, by label. */
export type GateAssignment = Readonly<Record<string, Gates>>;

/** Plain-number form of a gate sample (for logs, hooks and checkpoints). */
export type GateSample = Readonly<Record<string, { readonly active: readonly number[]; readonly chosen: number }>>;
