import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import type { GateAssignment } from './gates.js';

/** How a forward pass runs. Passed down explicitly: there is no global mode flag. */
export interface ForwardContext {
  /** Training mode: batch norm uses batch statistics and updates its running averages. */
  readonly training: boolean;
  /**
   * `binarized` (default): each mixed op runs only the paths its gates mark active.
   * `weighted`: every path runs and the output is Σ p_i·o_i(x) (DARTS-style baseline).
   */
  readonly mode?: 'binarized' | 'weighted';
  /** Binary gates per mixed-op label, required in binarized mode for every mixed op that runs. */
  readonly gates?: GateAssignment;
  /**
   * Binarized mode only. `recompute` (ProxylessNAS Appendix D, exact gradient at compact memory):
   * only the active paths run forward; in the backward pass every other non-zero path's output
   * o_j(x) is recomputed, used for ∂L/∂g_j = Σ(∇_y L ∘ o_j(x)) and released at once. Gradients reach
   * the gates and x, never the recomputed paths' weights (arch steps freeze weights anyway).
   */
  readonly gateGradients?: 'active' | 'recompute';
  /**
   * Inference with batch statistics: batch norm normalizes with the batch's mean and variance and
   * leaves its running averages untouched. How one architecture is validated through a supernet:
   * the running averages of layers after mixed ops were collected over many sampled paths and do
   * not fit any single architecture (ProxylessNAS validates its supernet in train mode for the
   * same reason). Ignored when `training` is set.
   */
  readonly batchStatistics?: boolean;
  /**
   * Randomness of stochastic layers (dropout masks) for this pass. Trainers pass one derived from
   * their checkpointed state and the step, so a resumed run draws the same masks; layers fall back to
   * a generator of their own when it is absent.
   */
  readonly rng?: Rng;
}

/** A variable with a stable, checkpoint-friendly name. */
export interface NamedVariable {
  readonly name: string;
  readonly variable: tf.Variable;
  /** False for running statistics (batch norm mean/variance). */
  readonly trainable: boolean;
}

/** A differentiable building block: owns its variables and maps a tensor to a tensor. */
export interface Module {
  readonly name: string;
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor;
  /** Every variable of this module and its children (mixed ops include their α). */
  variables(): NamedVariable[];
}
