import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import type { Batch } from '../data/dataset.js';
import type { GateSample } from '../nn/gates.js';
import type { ForwardContext, NamedVariable } from '../nn/module.js';
import type { RngState } from '../random/rng.js';
import type { Network } from '../spaces/search-space.js';
import type { ArchCompute } from '../strategies/strategy.js';
import type { StepInfo } from '../session/hooks.js';
import {
  combineEvaluations,
  combineGateGradients,
  evaluationShare,
  evaluationShares,
  gateGradientShare,
  type EvaluationShare,
  type GateGradientShare,
} from './arch-compute.js';
import { assignFlat, combineShares, flattenVariables, shardRange, type HostSlots, type StepShare, type TrainCollective } from './collective.js';
import { checksum, Inbox, workerEntry, workerExecArgv } from './data-parallel.js';
import type { WeightStepOptions } from './weight-step.js';

/** What a search worker thread is started with. */
export interface SearchWorkerData {
  /** The search's resolved config (the run directory's `config.json`): the worker composes backend, data and space from it. */
  readonly config: unknown;
  readonly rank: number;
  readonly size: number;
  readonly seed: number;
  readonly options: WeightStepOptions & { readonly batchSize: number; readonly validationBatchSize?: number };
  /** Every variable of rank 0's supernet, in `network.variables()` order. */
  readonly initial: Float32Array;
  /** Rank 0's momentum slots (resumed searches), by stable variable name. */
  readonly slots: HostSlots;
}

/** Commands from rank 0; a worker runs them in order. */
export type SearchCommand =
  | { readonly type: 'weight'; readonly epoch: number; readonly batch: number; readonly step: number; readonly sample: GateSample; readonly lr: number; readonly rng: RngState }
  | { readonly type: 'reduced'; readonly share: StepShare }
  | { readonly type: 'gateGradients'; readonly pass: number; readonly index: number; readonly step: number; readonly sample: GateSample; readonly recompute: boolean; readonly training: boolean; readonly rng: RngState }
  | { readonly type: 'evaluate'; readonly pass: number; readonly index: number; readonly gates: GateSample }
  | { readonly type: 'evaluateEach'; readonly pass: number; readonly index: number; readonly samples: readonly GateSample[] }
  | { readonly type: 'average' }
  | { readonly type: 'averaged'; readonly state: Float32Array }
  | { readonly type: 'checksum' };

/** Replies of a worker. */
export type SearchWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'share'; readonly share: StepShare }
  | { readonly type: 'gateShare'; readonly share: GateGradientShare }
  | { readonly type: 'evalShare'; readonly share: EvaluationShare }
  | { readonly type: 'evalShares'; readonly shares: readonly EvaluationShare[] }
  | { readonly type: 'state'; readonly state: Float32Array }
  | { readonly type: 'checksum'; readonly checksum: number }
  | { readonly type: 'failed'; readonly message: string };

/** A worker of a data-parallel search failed or exited; the search stops without writing a checkpoint after it. */
export class SearchWorkerFailed extends Error {
  where?: StepInfo;
  constructor(readonly what: string) {
    super(`data-parallel search: ${what}`);
    this.name = 'SearchWorkerFailed';
  }

  at(info: StepInfo): this {
    this.where ??= info;
    this.message = `data-parallel search: ${this.what} at epoch ${this.where.epoch + 1}, batch ${this.where.batch + 1} (step ${this.where.step}); the search stopped and its last checkpoint is kept — continue with \`proxyless search --resume <run-dir>\``;
    return this;
  }
}

/** The variables that every rank keeps identical: all but α (only rank 0's strategy reads and moves α). */
export function replicatedVariables(network: Network): NamedVariable[] {
  const alphas = new Set(network.mixedOps.map((op) => `${op.label}/alpha`));
  return network.variables().filter((v) => !alphas.has(v.name));
}

/**
 * Rank 0's side of a data-parallel search: worker threads that each rebuild the supernet from the
 * config, start from rank 0's weights and momentum, and then only run what rank 0 asks — the weight
 * step on their slice of each batch (gates drawn once by rank 0's strategy and sent), gate gradients
 * and evaluations on their slice of an arch step's validation batch, and the averaging of batch-norm
 * statistics. Every rank applies the same combined SGD update, so the weights stay identical; the
 * strategy (α, its optimizer, μ, rewards) lives on rank 0 alone and sees whole-batch results.
 */
export class SearchWorkers {
  private readonly inboxes: Inbox<SearchWorkerMessage>[] = [];
  private closed = false;

  private constructor(
    readonly size: number,
    private readonly workers: Worker[],
    inboxes: Inbox<SearchWorkerMessage>[],
  ) {
    this.inboxes = inboxes;
  }

  static async start(data: Omit<SearchWorkerData, 'rank'>): Promise<SearchWorkers> {
    const entry = workerEntry('search-worker');
    const workers: Worker[] = [];
    const inboxes: Inbox<SearchWorkerMessage>[] = [];
    const pool = new SearchWorkers(data.size, workers, inboxes);
    try {
      for (let rank = 1; rank < data.size; rank++) {
        const workerData: SearchWorkerData = { ...data, rank };
        const worker = new Worker(entry, { workerData, execArgv: workerExecArgv() });
        const inbox = new Inbox<SearchWorkerMessage>();
        worker.on('message', (m: SearchWorkerMessage) => inbox.push(m));
        worker.on('error', (e) => inbox.fail(new SearchWorkerFailed(`worker ${rank} failed: ${e.message}`)));
        worker.on('exit', (code) => {
          if (!pool.closed) inbox.fail(new SearchWorkerFailed(`worker ${rank} exited (code ${code})`));
        });
        workers.push(worker);
        inboxes.push(inbox);
      }
      for (const inbox of inboxes) await pool.expect(inbox, 'ready');
      return pool;
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  /** The next message of a type from a worker; a worker's own failure report becomes `SearchWorkerFailed`. */
  private async expect<T extends SearchWorkerMessage['type']>(inbox: Inbox<SearchWorkerMessage>, type: T): Promise<Extract<SearchWorkerMessage, { type: T }>> {
    try {
      return await inbox.next(type);
    } catch (err) {
      throw err instanceof SearchWorkerFailed ? err : new SearchWorkerFailed((err as Error).message);
    }
  }

  private post(m: SearchCommand): void {
    for (const w of this.workers) w.postMessage(m);
  }

  /** Starts a weight step on the workers; returns rank 0's collective for `WeightStep.run`. */
  weightStep(command: Omit<Extract<SearchCommand, { type: 'weight' }>, 'type'>): TrainCollective {
    this.post({ type: 'weight', ...command });
    return {
      rank: 0,
      size: this.size,
      allReduceGradients: async (share) => {
        const others = await Promise.all(this.inboxes.map((i) => this.expect(i, 'share')));
        const reduced = combineShares([share, ...others.map((m) => m.share)]);
        this.post({ type: 'reduced', share: reduced });
        return reduced;
      },
      averageState: (state) => this.averageFlat(state),
    };
  }

  /**
   * The arch step's passes over validation batch (`pass`, `index`), split over the ranks: rank 0
   * computes its slice of `batch` here, the workers theirs of the same batch, and the results are
   * combined into whole-batch means.
   */
  archCompute(args: {
    readonly network: Network;
    readonly batch: Batch;
    readonly position: { readonly pass: number; readonly index: number };
    readonly step: number;
    readonly forward: Pick<ForwardContext, 'training' | 'rng'>;
    readonly rng: RngState;
    readonly loss: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar;
  }): ArchCompute {
    const { network, batch, position, loss } = args;
    const mine = <T>(f: (slice: Batch) => T): T => {
      const n = batch.y.shape[0];
      const [lo, hi] = shardRange(n, 0, this.size);
      const slice: Batch = { x: tf.slice(batch.x, lo, hi - lo), y: tf.slice(batch.y, lo, hi - lo) };
      try {
        return f(slice);
      } finally {
        tf.dispose([slice.x, slice.y]);
      }
    };
    return {
      gateGradients: async (sample, options) => {
        const recompute = options?.recompute ?? false;
        this.post({ type: 'gateGradients', ...position, step: args.step, sample, recompute, training: args.forward.training, rng: args.rng });
        const own = mine((slice) => gateGradientShare(network, slice, sample, args.forward, loss, recompute));
        const others = await Promise.all(this.inboxes.map((i) => this.expect(i, 'gateShare')));
        return combineGateGradients(network, [own, ...others.map((m) => m.share)]);
      },
      evaluate: async (gates) => {
        this.post({ type: 'evaluate', ...position, gates });
        const own = mine((slice) => evaluationShare(network, slice, gates, loss));
        const others = await Promise.all(this.inboxes.map((i) => this.expect(i, 'evalShare')));
        return combineEvaluations([own, ...others.map((m) => m.share)]);
      },
      evaluateEach: async (samples) => {
        this.post({ type: 'evaluateEach', ...position, samples });
        const own = mine((slice) => evaluationShares(network, slice, samples, loss));
        const others = await Promise.all(this.inboxes.map((i) => this.expect(i, 'evalShares')));
        return samples.map((_, k) => combineEvaluations([own[k]!, ...others.map((m) => m.shares[k]!)]));
      },
    };
  }

  /** Averages the non-trainable state (batch-norm running statistics) over the ranks; every rank takes the average. */
  async averageState(network: Network): Promise<void> {
    const state = network.variables().filter((v) => !v.trainable);
    if (!state.length) return;
    this.post({ type: 'average' });
    assignFlat(state, await this.averageFlat(flattenVariables(state)));
  }

  private async averageFlat(state: Float32Array): Promise<Float32Array> {
    const others = await Promise.all(this.inboxes.map((i) => this.expect(i, 'state')));
    const avg = new Float32Array(state.length);
    for (const s of [state, ...others.map((m) => m.state)]) for (let i = 0; i < avg.length; i++) avg[i]! += s[i]! / this.size;
    this.post({ type: 'averaged', state: avg });
    return avg;
  }

  /** Fails when a worker's replicated weights differ from rank 0's (they must be bit-identical). */
  async verify(network: Network): Promise<void> {
    this.post({ type: 'checksum' });
    const mine = checksum(flattenVariables(replicatedVariables(network)));
    for (const [i, inbox] of this.inboxes.entries()) {
      const m = await this.expect(inbox, 'checksum');
      if (m.checksum !== mine) throw new SearchWorkerFailed(`worker ${i + 1} ended with different weights (checksum ${m.checksum} vs ${mine})`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
