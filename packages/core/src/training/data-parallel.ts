import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PluginRef } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import type { Network } from '../spaces/search-space.js';
import { combineShares, flattenVariables, slotsToHost, type HostSlots, type StepShare, type TrainCollective } from './collective.js';
import { trainNetwork, type TrainCheckpointState, type TrainEpochInfo, type TrainNetworkOptions, type TrainResume, type TrainStepInfo } from './train-network.js';

/** How the worker threads rebuild the network and the data: the same architecture file and overrides as the caller. */
export interface WorkerCompose {
  readonly architectureFile: string;
  readonly backend?: PluginRef;
  readonly data?: PluginRef;
}

/** What a worker thread is started with. */
export interface TrainWorkerData {
  readonly compose: WorkerCompose;
  readonly options: TrainNetworkOptions;
  readonly seed: number;
  readonly rank: number;
  readonly size: number;
  /** Every variable of the caller's network (trainable and not), in `network.variables()` order. */
  readonly initial: Float32Array;
  /** A resumed training: epochs done and the optimizer's velocities (by stable variable name). */
  readonly resume?: { readonly epochsDone: number; readonly slots: HostSlots };
}

/** Messages between rank 0 (this thread) and a worker. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'share'; readonly share: StepShare }
  | { readonly type: 'state'; readonly state: Float32Array }
  | { readonly type: 'done'; readonly checksum: number }
  | { readonly type: 'failed'; readonly message: string };
export type RankZeroMessage = { readonly type: 'reduced'; readonly share: StepShare } | { readonly type: 'averaged'; readonly state: Float32Array };

/** The number of workers `workers: 'auto'` means: one per core, at most 4. */
export function autoWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** A compiled worker entry of this folder (dist/training/<name>.js), also when this module runs from its TypeScript source. */
export function workerEntry(name = 'train-worker'): URL {
  const here = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const dist = fileURLToPath(here).replace(/[\\/]src[\\/]training[\\/][^\\/]+\.js$/, `/dist/training/${name}.js`);
  if (!existsSync(dist)) throw new Error(`data-parallel training needs the compiled worker ${dist}: build @proxyless/core first (npx tsc -b)`);
  return pathToFileURL(dist);
}

/**
 * The parent's Node flags minus a `source` export condition (this repository's tests resolve
 * workspace packages to their TypeScript sources that way; the compiled worker cannot load them).
 */
export function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--conditions=source' || a === '-C=source') continue;
    if ((a === '--conditions' || a === '-C') && args[i + 1] === 'source') {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * A FIFO of the messages from one peer (a worker, on rank 0; rank 0, on a worker), failing every
 * waiter once the peer fails or exits early.
 */
export class Inbox<M extends { readonly type: string; readonly message?: string } = WorkerMessage> {
  private readonly queue: M[] = [];
  private waiters: { resolve: (m: M) => void; reject: (e: Error) => void }[] = [];
  private error: Error | undefined;

  /** `from`: the peer, as errors name it. */
  constructor(private readonly from = 'a worker') {}

  push(m: M): void {
    const w = this.waiters.shift();
    if (w) w.resolve(m);
    else this.queue.push(m);
  }

  fail(e: Error): void {
    this.error ??= e;
    for (const w of this.waiters) w.reject(this.error);
    this.waiters = [];
  }

  /** The next message, whatever its type. */
  async take(): Promise<M> {
    const m = this.queue.shift() ?? (this.error ? undefined : await new Promise<M>((resolve, reject) => this.waiters.push({ resolve, reject })));
    if (!m) throw this.error!;
    if (m.type === 'failed') throw new Error(m.message ?? `${this.from} failed`);
    return m;
  }

  /** The next message, which must be of `type`. */
  async next<T extends M['type']>(type: T): Promise<Extract<M, { type: T }>> {
    const m = await this.take();
    if (m.type !== type) throw new Error(`data-parallel: expected '${type}' from ${this.from}, got '${m.type}'`);
    return m as Extract<M, { type: T }>;
  }
}

/**
 * `trainNetwork` on `workers` threads (data parallelism; tfjs backends such as wasm run on one
 * core each): this thread is rank 0 and trains `network` on the first slice of every batch; each
 * worker thread rebuilds the network from `compose` (the same architecture file and overrides),
 * starts from this network's weights and trains on its own slice of the same seeded batch. Every step
 * the gradients are averaged (weighted by slice size) and every rank applies the same SGD update, so
 * the weights stay identical; batch-norm statistics are per slice and their running averages are
 * averaged at each epoch end. Same result as one process up to the batch-norm slices and float
 * summation order. `workers: 1` is plain `trainNetwork`.
 */
export async function trainNetworkInWorkers(
  network: Network,
  dataset: Dataset,
  options: TrainNetworkOptions,
  hooks: {
    seed: number;
    onStep?: (s: TrainStepInfo) => void | Promise<void>;
    onEpoch?: (e: TrainEpochInfo) => void | Promise<void>;
    /** See `trainNetwork`: the network holds the checkpoint's weights, every rank starts from them and these velocities. */
    resume?: TrainResume;
    onCheckpoint?: (state: TrainCheckpointState) => void | Promise<void>;
  },
  parallel: { readonly workers: number; readonly compose: WorkerCompose },
): Promise<TrainEpochInfo> {
  const size = parallel.workers;
  if (!Number.isInteger(size) || size < 1) throw new Error(`trainNetworkInWorkers: workers must be a positive integer, got ${size}`);
  // nothing left to train (a resume after the last epoch): no workers to start
  if (size === 1 || hooks.resume?.epochsDone === options.epochs) return trainNetwork(network, dataset, options, hooks);
  const initial = flattenVariables(network.variables());
  const resume = hooks.resume ? { epochsDone: hooks.resume.epochsDone, slots: slotsToHost(hooks.resume.slots) } : undefined;
  const entry = workerEntry();
  const workers: Worker[] = [];
  const inboxes: Inbox[] = [];
  try {
    for (let rank = 1; rank < size; rank++) {
      const data: TrainWorkerData = { compose: parallel.compose, options, seed: hooks.seed, rank, size, initial, ...(resume ? { resume } : {}) };
      const worker = new Worker(entry, { workerData: data, execArgv: workerExecArgv() });
      const inbox = new Inbox();
      worker.on('message', (m: WorkerMessage) => inbox.push(m));
      worker.on('error', (e) => inbox.fail(new Error(`data-parallel worker ${rank} failed: ${e.message}`)));
      worker.on('exit', (code) => inbox.fail(new Error(`data-parallel worker ${rank} exited (code ${code})`)));
      workers.push(worker);
      inboxes.push(inbox);
    }
    for (const inbox of inboxes) await inbox.next('ready');
    const collective: TrainCollective = {
      rank: 0,
      size,
      async allReduceGradients(share) {
        const others = await Promise.all(inboxes.map((i) => i.next('share')));
        const reduced = combineShares([share, ...others.map((m) => m.share)]);
        for (const w of workers) w.postMessage({ type: 'reduced', share: reduced } satisfies RankZeroMessage);
        return reduced;
      },
      async averageState(state) {
        const others = await Promise.all(inboxes.map((i) => i.next('state')));
        const avg = new Float32Array(state.length);
        for (const s of [state, ...others.map((m) => m.state)]) for (let i = 0; i < avg.length; i++) avg[i]! += s[i]! / size;
        for (const w of workers) w.postMessage({ type: 'averaged', state: avg } satisfies RankZeroMessage);
        return avg;
      },
    };
    const last = await trainNetwork(network, dataset, options, { ...hooks, collective });
    const mine = checksum(flattenVariables(network.variables()));
    for (const [i, inbox] of inboxes.entries()) {
      const done = await inbox.next('done');
      if (done.checksum !== mine) throw new Error(`data-parallel: worker ${i + 1} ended with different weights (checksum ${done.checksum} vs ${mine})`);
    }
    return last;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** An order-sensitive checksum of float values (detects ranks whose weights diverged). */
export function checksum(values: Float32Array): number {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let h = 2166136261;
  for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i]!, 16777619) >>> 0;
  return h;
}
