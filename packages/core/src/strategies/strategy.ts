import type * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/dataset.js';
import type { ExpectedLatency } from '../latency/latency-provider.js';
import type { GateSample } from '../nn/gates.js';
import type { ForwardContext } from '../nn/module.js';
import type { Architecture } from '../spaces/architecture.js';
import type { Network, SearchSpace } from '../spaces/search-space.js';

export const ArchitectureStrategy = Symbol.for('proxyless.ArchitectureStrategy');

/** What a strategy is given once, before the search starts. */
export interface StrategySetup {
  readonly network: Network;
  readonly space: SearchSpace;
  /** Expected latency of the network, differentiable in α; absent when no latency provider is configured. */
  readonly latency?: ExpectedLatency;
  /** Loss of logits against labels (cross-entropy with the trainer's label smoothing). */
  readonly loss: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar;
  /**
   * Measured latency of a concrete architecture's compact network on the active backend, when the
   * configured latency provider can measure (`LatencyProvider.measureNetwork`).
   */
  readonly measureLatency?: (architecture: Architecture) => Promise<number>;
}

/** One architecture update on a validation batch (weights frozen). */
export interface ArchStepInput {
  readonly batch: Batch;
  readonly epoch: number;
  /** Global weight-step counter at the time of the update. */
  readonly step: number;
  /** Forward context the trainer wants (training-mode BN). Strategies add their own gates. */
  readonly forward: Pick<ForwardContext, 'training' | 'rng'>;
}

/** Scalars a strategy reports after an arch step (loss terms, E[lat], rewards, …). */
export type StrategyMetrics = Record<string, number>;

/** Serializable strategy state (optimizer slots, rng, baselines). α itself lives in the network. */
export interface StrategyState {
  readonly json: unknown;
  readonly tensors: Readonly<Record<string, tf.Tensor>>;
}

/**
 * How architecture parameters are sampled, updated and turned into a final architecture.
 * A strategy never imports a particular space: it sees mixed ops through the `Network`.
 */
export interface ArchitectureStrategy {
  readonly name: string;
  setup(ctx: StrategySetup): void | Promise<void>;
  /** Gates for one weight step (α frozen). `warmup` steps precede the first arch step. */
  sampleGates(phase: 'warmup' | 'search'): GateSample;
  /** Updates α from one validation batch; returns metrics for logs. */
  archStep(input: ArchStepInput): Promise<StrategyMetrics>;
  /** The final architecture (e.g. argmax p per mixed op). */
  derive(): Architecture;
  /** p per mixed-op label, for logging. */
  probabilities(): Record<string, number[]>;
  getState(): StrategyState;
  setState(state: StrategyState): void;
  dispose?(): void;
}
