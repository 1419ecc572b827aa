import type * as tf from '@tensorflow/tfjs-core';
import { assignNetworkTensors } from '../artifacts/checkpoint.js';
import type { Backend } from '../backend/backend.js';
import type { Dataset } from '../data/dataset.js';
import type { ExpectedLatency } from '../latency/latency-provider.js';
import type { Rng } from '../random/rng.js';
import type { Architecture } from '../spaces/architecture.js';
import type { Network, SearchSpace } from '../spaces/search-space.js';
import type { ArchitectureStrategy, MeasureLatencies, StrategySetup } from '../strategies/strategy.js';
import { createSearchHooks, type SearchHooks, type SearchResult } from './hooks.js';

export const Trainer = Symbol.for('proxyless.Trainer');

/** Drives a search: warm-up, alternating weight and architecture steps, checkpoints, derive. */
export interface Trainer {
  run(session: SearchSession, resume?: SessionSnapshot): Promise<SearchResult>;
  /** Loop position, optimizer slots and RNG state, for checkpoints. */
  getState(): { json: unknown; tensors: Record<string, tf.Tensor> };
  /**
   * Optional: every requirement checkable from the composed parts (the data's splits, the options)
   * and the checkpoint to resume from, before the run directory is created and before any step.
   * Throws an error naming the field and what was expected.
   */
  check?(session: SearchSession, resume?: SessionSnapshot): void;
}

export const SearchPlugin = Symbol.for('proxyless.SearchPlugin');

/** A plugin taps the session's hooks in `apply` (webpack style); its constructor only keeps options. */
export interface SearchPlugin {
  readonly name: string;
  apply(session: SearchSession): void;
}

/** Everything that a checkpoint holds: tensors by name plus JSON state of each participant. */
export interface SessionSnapshot {
  readonly json: {
    readonly trainer: unknown;
    readonly strategy: unknown;
    readonly [key: string]: unknown;
  };
  /** Network variables under `net/`, strategy tensors under `strategy/`, trainer tensors under `trainer/`. */
  readonly tensors: Record<string, tf.Tensor>;
  /** The checkpoint file it was read from (named in errors). */
  readonly file?: string;
}

export interface SearchComponents {
  readonly seed: number;
  readonly rng: Rng;
  readonly backend: Backend;
  readonly dataset: Dataset;
  readonly space: SearchSpace;
  readonly network: Network;
  readonly strategy: ArchitectureStrategy;
  readonly trainer: Trainer;
  readonly latency?: ExpectedLatency;
  /** Measured latency of an architecture's compact network, when the latency provider can measure. */
  readonly measureLatency?: (architecture: Architecture) => Promise<number>;
  /** The same, several architectures against a reference network (`StrategySetup.measureLatencies`). */
  readonly measureLatencies?: MeasureLatencies;
  readonly plugins: readonly SearchPlugin[];
  /** Run directory for artifacts, when the search writes them. */
  readonly runDir?: string;
  /** Resolved config (what `config.json` in the run directory holds). */
  readonly config: unknown;
}

/**
 * One search: owns the frozen hooks and the composed components. Plugins tap the hooks; the
 * trainer drives the loop and calls them. Domain code never sees the container.
 */
export class SearchSession {
  readonly hooks: SearchHooks = createSearchHooks();
  private stopReason: string | undefined;

  constructor(readonly components: SearchComponents) {
    for (const p of components.plugins) p.apply(this);
  }

  get network(): Network {
    return this.components.network;
  }

  /** Asks the loop to stop after the current step (e.g. on SIGINT); it checkpoints first. */
  requestStop(reason: string): void {
    this.stopReason ??= reason;
  }

  get stopRequested(): string | undefined {
    return this.stopReason;
  }

  /** Runs the search (or resumes it from a snapshot) and returns the derived result. */
  async run(resume?: SessionSnapshot): Promise<SearchResult> {
    try {
      return await this.components.trainer.run(this, resume);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      await this.hooks.failed.promise(e);
      throw e;
    }
  }

  /** Current state of the network, strategy and trainer (tensors are clones the caller disposes). */
  snapshot(): SessionSnapshot {
    const tensors: Record<string, tf.Tensor> = {};
    for (const v of this.components.network.variables()) tensors[`net/${v.name}`] = v.variable.clone();
    const s = this.components.strategy.getState();
    for (const [k, t] of Object.entries(s.tensors)) tensors[`strategy/${k}`] = t.clone();
    const t = this.components.trainer.getState();
    for (const [k, v] of Object.entries(t.tensors)) tensors[`trainer/${k}`] = v.clone();
    return { json: { trainer: t.json, strategy: s.json }, tensors };
  }

  /** Loads the network's variables (α included) from a snapshot. */
  restoreNetwork(snap: SessionSnapshot): void {
    assignNetworkTensors(this.components.network.variables(), snap.tensors, 'checkpoint', 'net/');
  }

  /**
   * The strategy's start, in the order its lifecycle promises: `setup` with this session's network,
   * space and latency, then — when resuming — `setState` from the snapshot. Restore the network
   * (`restoreNetwork`) before calling it.
   */
  async prepareStrategy(loss: StrategySetup['loss'], resume?: SessionSnapshot): Promise<void> {
    const { network, space, latency, measureLatency, measureLatencies, strategy } = this.components;
    await strategy.setup({ network, space, loss, ...(latency ? { latency } : {}), ...(measureLatency ? { measureLatency } : {}), ...(measureLatencies ? { measureLatencies } : {}) });
    if (resume) strategy.setState({ json: resume.json.strategy, tensors: pick(resume.tensors, 'strategy/') });
  }

  /**
   * @deprecated Calls the strategy's `setState` without `setup` first; use `restoreNetwork` then
   * `prepareStrategy(loss, snapshot)`.
   */
  restoreModelState(snap: SessionSnapshot): void {
    this.restoreNetwork(snap);
    this.components.strategy.setState({ json: snap.json.strategy, tensors: pick(snap.tensors, 'strategy/') });
  }
}

export function pick(tensors: Readonly<Record<string, tf.Tensor>>, prefix: string): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(tensors)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = t;
  return out;
}
