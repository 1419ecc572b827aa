import type * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/dataset.js';
import type { ExpectedLatency } from '../latency/latency-provider.js';
import type { GateGradients } from '../estimators/binary-connect.js';
import type { GateSample } from '../nn/gates.js';
import type { ForwardContext } from '../nn/module.js';
import type { Architecture } from '../spaces/architecture.js';
import type { Network, SearchSpace } from '../spaces/search-space.js';

export const ArchitectureStrategy = Symbol.for('proxyless.ArchitectureStrategy');

/** What `deriveChecked` found: the architecture and, when it measured it, its whole-network latency against the budget. */
export interface CheckedDerive {
  readonly architecture: Architecture;
  /** Latency of the architecture's compact network as measured (the latency provider's unit). */
  readonly measuredLatency?: number;
  /** The latency budget T it was checked against. */
  readonly budget?: number;
}

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
  /**
   * Measured latencies of several architectures, each timed in `rounds` interleaved rounds between
   * two timings of a reference network and priced by its median ratio to it (`relativeTimer`): robust
   * to a machine whose speed changes in phases. Present with `measureLatency`.
   */
  readonly measureLatencies?: MeasureLatencies;
}

/** See `StrategySetup.measureLatencies`. */
export type MeasureLatencies = (architectures: readonly Architecture[], rounds?: number) => Promise<number[]>;

/**
 * One architecture update on a validation batch (weights frozen).
 *
 * Ownership: the trainer owns `batch`. It disposes both tensors once the promise `archStep`
 * returned has settled (resolved or rejected); a strategy must neither dispose them nor keep them
 * past that point (clone what it needs to keep).
 */
export interface ArchStepInput {
  readonly batch: Batch;
  /**
   * Index of the epoch, from 0 — as every `epoch` field of the hooks, the checkpoints and
   * `metrics.jsonl`. Human-facing text (the CLI's progress, logs) prints it from 1: `epoch
   * ${epoch + 1}/${epochs}`.
   */
  readonly epoch: number;
  /** Global weight-step counter at the time of the update (weight steps done so far). */
  readonly step: number;
  /** Forward context the trainer wants (training-mode BN). Strategies add their own gates. */
  readonly forward: Pick<ForwardContext, 'training' | 'rng'>;
  /**
   * Passes over `batch` that the trainer runs for the strategy — data-parallel over the search's
   * worker threads when it has several (`trainer.options.workers`), in this thread otherwise. A
   * strategy that computes through them uses every core; one that runs the network on `batch` itself
   * is correct too, on one core. Absent when a caller builds the input by hand (tests); then
   * `localArchCompute` gives the same on this thread.
   */
  readonly compute?: ArchCompute;
}

/** Loss and accuracy of one set of single-path gates on a whole validation batch. */
export interface GateEvaluation {
  readonly loss: number;
  readonly accuracy: number;
}

/**
 * What a strategy may ask the trainer to compute on the arch step's validation batch. Results are
 * over the whole batch (means over its examples), whichever threads computed them; the loss is the
 * setup's `loss`.
 */
export interface ArchCompute {
  /**
   * ∂L/∂g of every mixed op and L, from one forward/backward pass through the binarized supernet
   * with the gates of `sample` and the input's forward context (`recompute`: only the chosen path
   * runs forward, the others' gate gradients are recomputed in the backward pass).
   */
  gateGradients(sample: GateSample, options?: { readonly recompute?: boolean }): Promise<GateGradients>;
  /** Loss and accuracy of single-path gates: inference mode with batch-norm batch statistics, no gradient. */
  evaluate(gates: GateSample): Promise<GateEvaluation>;
  /**
   * Optional: `evaluate` of several gate samples at once, result i for sample i, sharing the
   * computation of the layers the samples have in common (the network's `applyEach`). A strategy
   * that evaluates many architectures per step (REINFORCE) uses it when present.
   */
  evaluateEach?(samples: readonly GateSample[]): Promise<GateEvaluation[]>;
}

/** What `onEpochEnd` is told. `epoch` counts from 0, as in `ArchStepInput`. */
export interface StrategyEpochEnd {
  readonly epoch: number;
  readonly epochs: number;
  readonly phase: 'warmup' | 'search';
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
 *
 * Lifecycle (what the search trainer guarantees, in this order):
 * 1. The factory (`create` of its plugin descriptor) constructs it with its options and an Rng.
 * 2. Resuming only: the network's variables (α included) are restored from the checkpoint.
 * 3. `setup(ctx)` — once, before anything else is called (also when resuming, and before `derive`
 *    in `proxyless derive`).
 * 4. Resuming only: `setState(state)` with what `getState()` returned when the checkpoint was
 *    written — always after `setup`.
 * 5. For every epoch (`epoch` from 0; warm-up epochs first):
 *    - per training batch, `sampleGates(phase)`: `'warmup'` during the warm-up epochs, `'search'`
 *      after; then (search epochs) every k weight steps, m times `archStep(input)`;
 *    - `onEpochEnd({ epoch, epochs, phase })`, if defined, once the epoch's steps are done and before
 *      its summary (`derive`, `probabilities`) and its checkpoint — so what it changes is saved;
 *    - `getState()` whenever a checkpoint is written (periodically, at epoch ends, on SIGINT).
 * 6. `derive()` and `probabilities()` for the result; `dispose()` when the session ends.
 *
 * Tensors: `ArchStepInput.batch` belongs to the trainer (see there). Tensors a strategy creates are
 * its own; `getState().tensors` may be its live variables (the session clones what it saves), and
 * `setState` must copy what it keeps (the trainer disposes the checkpoint's tensors afterwards).
 */
export interface ArchitectureStrategy {
  readonly name: string;
  setup(ctx: StrategySetup): void | Promise<void>;
  /**
   * Gates for one weight step (α frozen). `'warmup'` during the warm-up epochs (no arch step has run
   * yet; the built-in strategies draw uniformly), `'search'` after.
   */
  sampleGates(phase: 'warmup' | 'search'): GateSample;
  /** Updates α from one validation batch; returns metrics for logs. */
  archStep(input: ArchStepInput): Promise<StrategyMetrics>;
  /** Optional: called at the end of every epoch (warm-up ones too), before the epoch's summary and checkpoint. */
  onEpochEnd?(info: StrategyEpochEnd): void | Promise<void>;
  /** The final architecture (e.g. argmax p per mixed op). */
  derive(): Architecture;
  /**
   * Optional: the final derive checked on the hardware, e.g. the derived network measured whole and
   * re-derived under a corrected budget until it measures within it. When present, the search's
   * result and `proxyless derive` take their architecture from it (epoch summaries still use `derive`).
   */
  deriveChecked?(): Promise<CheckedDerive>;
  /** p per mixed-op label, for logging. */
  probabilities(): Record<string, number[]>;
  getState(): StrategyState;
  /** Restores what `getState` returned; called after `setup` (see the lifecycle above). */
  setState(state: StrategyState): void;
  dispose?(): void;
}
