import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { FieldError, InputError } from '../config/config-error.js';
import { disposeBatch, type Batch, type Dataset, type Split } from '../data/dataset.js';
import { definePlugin } from '../di/plugin.js';
import type { ExpectedLatency } from '../latency/latency-provider.js';
import { disposeGates, gatesForArchitecture, toGateTensors } from '../nn/gate-sampling.js';
import { softmaxCrossEntropy } from '../nn/loss.js';
import { Rng, type RngState } from '../random/rng.js';
import type { Architecture } from '../spaces/architecture.js';
import type { Network } from '../spaces/search-space.js';
import { derivedInfo } from '../strategies/derived-info.js';
import type { ArchitectureStrategy } from '../strategies/strategy.js';
import type { EpochSummary, SearchHooks, SearchResult, StepInfo } from '../session/hooks.js';
import { pick, type SearchSession, type SessionSnapshot } from '../session/search-session.js';
import { yieldToEventLoop } from '../tfjs/runtime.js';
import { localArchCompute } from './arch-compute.js';
import { flattenVariables, slotsToHost } from './collective.js';
import { autoWorkers } from './data-parallel.js';
import { PathWeights, trainBatches, ValidationStream } from './search-data.js';
import { SearchWorkerFailed, SearchWorkers } from './search-workers.js';
import { evaluateNetwork } from './train-network.js';
import type { Trainer } from '../session/search-session.js';
import { learningRateAt, NonFiniteLoss, weightStepOptionFields, WeightStep } from './weight-step.js';

export const searchTrainerOptions = z
  .object({
    ...weightStepOptionFields({ lr: 0.025 }),
    warmupEpochs: z.number().int().min(0).default(0).describe('epochs that train weights only (gates from the strategy\'s `sampleGates(\'warmup\')`), before any architecture step'),
    archUpdateEvery: z.number().int().min(1).default(5).describe('k: an architecture update every k weight steps'),
    archStepsPerUpdate: z.number().int().min(1).default(1).describe('m: architecture steps per update'),
    validationBatchSize: z.number().int().min(1).optional().describe('batch size of arch steps (default: batchSize)'),
    checkpointEvery: z.number().int().min(0).default(50).describe('weight steps between checkpoints (0: only at epoch ends)'),
    evaluateEachEpoch: z.boolean().default(true).describe('validate the argmax architecture after every epoch'),
    workers: z
      .union([z.number().int().min(1).max(64), z.literal('auto')])
      .default(1)
      .describe('data-parallel worker threads for weight and arch steps, or "auto" (one per core, at most 4); deterministic for a given seed and count'),
  })
  .strict()
  .refine((o) => o.warmupEpochs <= o.epochs, { message: 'warmupEpochs must not exceed epochs', path: ['warmupEpochs'] });

export type SearchTrainerOptions = z.output<typeof searchTrainerOptions>;

interface Position {
  epoch: number;
  batch: number;
  step: number;
  /** Validation stream position for arch steps: pass number and batch index in that pass. */
  validPass: number;
  validBatch: number;
  rng: RngState;
  metricsSeconds: number;
  /** Threads the search ran on (data-parallel results depend on the count; a resumed search keeps it). */
  workers?: number;
  /** The running sums of the epoch in progress, so that a mid-epoch resume reports the whole epoch. */
  tally?: EpochTally;
  /** Validation accuracy of the last finished epoch (what result.json reports, also after a resume at the very end). */
  lastValidationAccuracy?: number;
}

/** What one run of the loop works with, fixed once it has begun. */
interface Run {
  readonly session: SearchSession;
  readonly network: Network;
  readonly strategy: ArchitectureStrategy;
  readonly hooks: SearchHooks;
  readonly dataset: Dataset;
  readonly latency: ExpectedLatency | undefined;
  readonly seed: number;
  readonly paths: PathWeights;
  readonly batchesPerEpoch: number;
  readonly totalSteps: number;
  readonly valid: ValidationStream;
  readonly t0: number;
}

/** Running sums of one epoch's weight steps. */
interface EpochTally {
  lossSum: number;
  correct: number;
  seen: number;
}

/**
 * The alternating loop of ProxylessNAS: warm-up epochs (weights only), then per training batch a
 * weight step with sampled binary gates and α frozen, and every k batches m architecture steps on
 * the held-out validation split with weights frozen. Cosine LR per step, SGD with Nesterov momentum,
 * L2 weight decay, label smoothing (the weight step of `weight-step.ts`, shared with `trainNetwork`).
 * Checkpoints are requested through the `checkpoint` hook. The strategy's lifecycle is the one
 * `ArchitectureStrategy` documents.
 */
export class SearchTrainer implements Trainer {
  private readonly weightStep: WeightStep;
  /** The worker threads of a data-parallel search (`workers` > 1), while it runs. */
  private pool: SearchWorkers | undefined;
  /** `useWorkers`' count, over the checkpoint's and the options'. */
  private workersOverride: number | 'auto' | undefined;
  private pos: Position;
  private rng: Rng;
  private startedAt = Date.now();
  /** Search time spent before this process (resumed runs). */
  private secondsBefore = 0;

  constructor(readonly options: SearchTrainerOptions, rng: Rng) {
    this.weightStep = new WeightStep(options, true);
    this.rng = rng;
    this.pos = { epoch: 0, batch: 0, step: 0, validPass: 0, validBatch: 0, rng: rng.state(), metricsSeconds: 0 };
  }

  getState(): { json: unknown; tensors: Record<string, tf.Tensor> } {
    return { json: { ...this.pos, ...(this.pos.tally ? { tally: { ...this.pos.tally } } : {}), rng: this.rng.state() }, tensors: this.weightStep.sgd.slots() };
  }

  /**
   * Before the run directory is created and before any step: the splits the options need are there,
   * and a checkpoint to resume from fits this run as a whole (loop position within the schedule,
   * every tensor's shape against the network) — so nothing is restored from a checkpoint that does
   * not fit.
   */
  check(session: SearchSession, resume?: SessionSnapshot): void {
    const o = this.options;
    const { dataset, network } = session.components;
    const batchesPerEpoch = Math.min(dataset.train.numBatches(o.batchSize), o.maxBatchesPerEpoch ?? Infinity);
    if (batchesPerEpoch < 1) {
      throw new Error(`data: the training split holds ${dataset.train.size} examples; expected at least one batch (trainer.options.batchSize ${o.batchSize})`);
    }
    const needs = [
      ...(o.epochs > o.warmupEpochs ? [`the architecture steps (trainer.options.epochs ${o.epochs} > warmupEpochs ${o.warmupEpochs})`] : []),
      ...(o.evaluateEachEpoch ? ['the validation after each epoch (trainer.options.evaluateEachEpoch)'] : []),
    ];
    if (needs.length && dataset.validation.size === 0) {
      throw new FieldError('data.options.validation', (session.components.config as { data?: { options?: { validation?: unknown } } } | undefined)?.data?.options?.validation ?? 0, `held-out examples (validation > 0): the validation split is empty, and ${needs.join(' and ')} need it`);
    }
    if (resume) checkResume(resume, network, { epochs: o.epochs, batchesPerEpoch });
  }

  async run(session: SearchSession, resume?: SessionSnapshot): Promise<SearchResult> {
    try {
      const run = await this.begin(session, resume);
      let last: EpochSummary | undefined;
      for (let epoch = this.pos.epoch; epoch < this.options.epochs; epoch++) last = await this.runEpoch(run, epoch);
      return await this.finish(run, last);
    } finally {
      await this.pool?.close();
      this.pool = undefined;
    }
  }

  /**
   * Overrides `options.workers` (the CLI's `--workers`). Without it a resumed search keeps the count
   * its checkpoint was written with, so that it continues exactly as it would have.
   */
  useWorkers(workers: number | 'auto'): void {
    if (workers !== 'auto' && (!Number.isInteger(workers) || workers < 1)) throw new Error(`workers must be a positive integer or "auto", got ${workers}`);
    this.workersOverride = workers;
  }

  /** The number of threads this search runs on (`auto`: one per core, at most 4). */
  get workerCount(): number {
    const w = this.workersOverride ?? this.pos.workers ?? this.options.workers;
    return w === 'auto' ? autoWorkers() : w;
  }

  /** Starts the worker threads of a data-parallel search from this process's (restored) weights and momentum. */
  private async startWorkers(session: SearchSession): Promise<void> {
    const size = this.workerCount;
    this.pos.workers = size;
    if (size <= 1) return;
    const config = session.components.config as { backend?: unknown; data?: unknown; space?: unknown } | undefined;
    if (!config?.backend || !config.data || !config.space) {
      throw new Error(`trainer.options.workers: ${size} workers rebuild the supernet from the search's config; this session has none (compose it with composeSearch), or use workers: 1`);
    }
    const slots = slotsToHost(this.weightStep.sgd.slots());
    const o = this.options;
    this.pool = await SearchWorkers.start({
      config,
      size,
      seed: session.components.seed,
      options: { lr: o.lr, lrSchedule: o.lrSchedule, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay, labelSmoothing: o.labelSmoothing, batchSize: o.batchSize, ...(o.validationBatchSize ? { validationBatchSize: o.validationBatchSize } : {}) },
      initial: flattenVariables(session.components.network.variables()),
      slots,
    });
  }

  /** Before a checkpoint: the ranks' batch-norm statistics (each saw its slices) averaged, so every rank holds what is saved. */
  private async syncWorkers(run: Run): Promise<void> {
    await this.pool?.averageState(run.network);
  }

  /**
   * Restores a checkpoint (network variables, then the strategy's `setup`, then its `setState`: the
   * lifecycle of `ArchitectureStrategy`), opens the validation stream and announces the search.
   */
  private async begin(session: SearchSession, resume: SessionSnapshot | undefined): Promise<Run> {
    const o = this.options;
    const { network, strategy, dataset, latency, seed } = session.components;
    this.startedAt = Date.now();
    // What `check` could not see (the strategy's own state) still fails naming the checkpoint, never with a bare tfjs message.
    const restoring = async <T>(what: string, fn: () => T | Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (err) {
        if (!resume || err instanceof InputError) throw err;
        throw new InputError(`${resume.file ?? 'checkpoint'}: ${what} cannot be restored: ${(err as Error).message}; expected a checkpoint of this run's config`);
      }
    };
    if (resume) {
      this.check(session, resume);
      await restoring('the network and the trainer state', () => {
        session.restoreNetwork(resume);
        this.weightStep.sgd.loadSlots(pick(resume.tensors, 'trainer/'));
        this.pos = { ...(resume.json.trainer as Position) };
        this.rng = new Rng(this.pos.rng);
      });
    }
    this.secondsBefore = this.pos.metricsSeconds;
    await restoring("the strategy's state", () => session.prepareStrategy((logits, labels) => softmaxCrossEntropy(logits, labels, o.labelSmoothing), resume));
    await this.startWorkers(session);
    const batchesPerEpoch = Math.min(dataset.train.numBatches(o.batchSize), o.maxBatchesPerEpoch ?? Infinity);
    const run: Run = {
      session,
      network,
      strategy,
      hooks: session.hooks,
      dataset,
      latency,
      seed,
      paths: new PathWeights(network),
      batchesPerEpoch,
      totalSteps: batchesPerEpoch * o.epochs,
      valid: new ValidationStream(dataset.validation, o.validationBatchSize ?? o.batchSize, seed, this.pos),
      t0: this.startedAt,
    };
    await session.hooks.beforeSearch.promise({
      epochs: o.epochs,
      batchesPerEpoch,
      workers: this.workerCount,
      ...(resume ? { resumedFrom: { epoch: this.pos.epoch, batch: this.pos.batch, step: this.pos.step } } : {}),
    });
    return run;
  }

  /** One epoch from where the position stands: weight steps, arch updates every k of them, checkpoints, the epoch's end. */
  private async runEpoch(run: Run, epoch: number): Promise<EpochSummary> {
    const o = this.options;
    const epochStart = Date.now();
    const phase = epoch < o.warmupEpochs ? 'warmup' : 'search';
    const startBatch = epoch === this.pos.epoch ? this.pos.batch : 0;
    this.pos.epoch = epoch;
    await run.hooks.beforeEpoch.promise({ epoch, epochs: o.epochs, batchesPerEpoch: run.batchesPerEpoch, lr: this.lrAt(epoch * run.batchesPerEpoch + startBatch, run.totalSteps), phase, startBatch });
    // A mid-epoch resume continues the epoch's running sums from the checkpoint.
    const tally: EpochTally = startBatch > 0 && this.pos.tally ? { ...this.pos.tally } : { lossSum: 0, correct: 0, seen: 0 };
    this.pos.tally = tally;
    let b = startBatch;
    for (const batch of trainBatches(run.dataset.train, o.batchSize, run.seed, epoch, startBatch)) {
      if (b >= run.batchesPerEpoch) {
        disposeBatch(batch);
        break;
      }
      const info: StepInfo = { epoch, batch: b, batchesPerEpoch: run.batchesPerEpoch, step: this.pos.step, phase };
      await this.trainStep(run, batch, info, tally);
      b = this.pos.batch;
      if (phase === 'search' && this.pos.step % o.archUpdateEvery === 0) await this.archUpdate(run, info);
      await this.checkpointIfDue(run, info);
    }
    return this.endEpoch(run, epoch, phase, tally, epochStart, b);
  }

  /** One weight step on `batch` (disposed here) with the gates the strategy proposes and the `sampleGates` hook settles. */
  private async trainStep(run: Run, batch: Batch, info: StepInfo, tally: EpochTally): Promise<void> {
    const lr = this.lrAt(this.pos.step, run.totalSteps);
    const sample = run.hooks.sampleGates.call(run.strategy.sampleGates(info.phase), info);
    const n = batch.y.shape[0];
    let r;
    const gates = toGateTensors(run.network.mixedOps, sample);
    try {
      const collective = this.pool?.weightStep({ epoch: info.epoch, batch: info.batch, step: this.pos.step, sample, lr, rng: this.rng.state() });
      r = await this.weightStep.run({
        weights: run.paths.forSample(sample),
        apply: (x, ctx) => run.network.apply(x, ctx),
        batch,
        forward: { mode: 'binarized', gates, rng: this.rng.fork(`forward:${this.pos.step}`) },
        lr,
        ...(collective ? { collective } : {}),
      });
    } catch (err) {
      if (err instanceof NonFiniteLoss) throw new SearchDiverged(err.message).at(info);
      if (err instanceof SearchDiverged || err instanceof SearchWorkerFailed) err.at(info);
      throw err;
    } finally {
      disposeGates(gates);
      disposeBatch(batch);
    }
    const accuracy = r.correct / n;
    tally.lossSum += r.loss * n;
    tally.correct += accuracy * n;
    tally.seen += n;
    this.pos.step++;
    this.pos.batch = info.batch + 1;
    await run.hooks.afterWeightStep.promise({ ...info, loss: r.loss, accuracy, lr, gates: sample });
    await yieldToEventLoop();
  }

  /** m architecture steps, each on the next validation batch (the trainer disposes it once `archStep` settles). */
  private async archUpdate(run: Run, info: StepInfo): Promise<void> {
    for (let m = 0; m < this.options.archStepsPerUpdate; m++) {
      const batch = run.valid.next();
      const forward = { training: true, rng: this.rng.fork(`arch-forward:${this.pos.step}`) };
      const compute = this.pool
        ? this.pool.archCompute({ network: run.network, batch, position: run.valid.last, step: this.pos.step, forward, rng: this.rng.state(), loss: this.loss() })
        : localArchCompute(run.network, batch, forward, this.loss());
      let metrics;
      try {
        metrics = await run.strategy.archStep({ batch, epoch: info.epoch, step: this.pos.step, forward, compute });
      } catch (err) {
        if (err instanceof SearchWorkerFailed) err.at({ ...info, step: this.pos.step });
        throw err;
      } finally {
        disposeBatch(batch);
      }
      if (!run.network.mixedOps.every((op) => op.probsSync().every(Number.isFinite))) {
        throw new SearchDiverged('the architecture parameters α became non-finite in an architecture step').at({ ...info, step: this.pos.step });
      }
      const expectedLatency = expectedLatencyOf(run.latency);
      await run.hooks.afterArchStep.promise({
        ...info,
        step: this.pos.step,
        metrics,
        probabilities: run.strategy.probabilities(),
        ...(expectedLatency !== undefined ? { expectedLatency } : {}),
      });
    }
  }

  /** A checkpoint on a stop request (then `SearchInterrupted`) or every `checkpointEvery` steps within an epoch. */
  private async checkpointIfDue(run: Run, info: StepInfo): Promise<void> {
    const o = this.options;
    const b = this.pos.batch;
    const stop = run.session.stopRequested;
    if (stop) {
      await this.syncWorkers(run);
      this.syncValid(run.valid);
      await run.hooks.checkpoint.promise({ reason: 'signal', epoch: info.epoch, batch: b, step: this.pos.step });
      throw new SearchInterrupted(stop);
    }
    if (o.checkpointEvery > 0 && this.pos.step % o.checkpointEvery === 0 && b < run.batchesPerEpoch) {
      await this.syncWorkers(run);
      assertFiniteState(run.network, info);
      this.syncValid(run.valid);
      await run.hooks.checkpoint.promise({ reason: 'interval', epoch: info.epoch, batch: b, step: this.pos.step });
    }
  }

  /** The strategy's `onEpochEnd`, the epoch's summary (argmax architecture validated), `afterEpoch` and the epoch checkpoint. */
  private async endEpoch(run: Run, epoch: number, phase: 'warmup' | 'search', tally: EpochTally, epochStart: number, b: number): Promise<EpochSummary> {
    const o = this.options;
    await run.strategy.onEpochEnd?.({ epoch, epochs: o.epochs, phase });
    await this.syncWorkers(run);
    const arch = run.strategy.derive();
    const v = o.evaluateEachEpoch ? evaluateArchitecture(run.network, run.dataset.validation, arch, o.validationBatchSize ?? o.batchSize, this.loss()) : { loss: NaN, accuracy: NaN };
    const expectedLatency = expectedLatencyOf(run.latency);
    const summary: EpochSummary = {
      epoch,
      epochs: o.epochs,
      phase,
      trainLoss: tally.seen ? tally.lossSum / tally.seen : NaN,
      trainAccuracy: tally.seen ? tally.correct / tally.seen : NaN,
      validationLoss: v.loss,
      validationAccuracy: v.accuracy,
      probabilities: run.strategy.probabilities(),
      architecture: arch,
      seconds: (Date.now() - epochStart) / 1000,
      ...(expectedLatency !== undefined ? { expectedLatency } : {}),
    };
    assertFiniteState(run.network, { epoch, batch: b - 1, batchesPerEpoch: run.batchesPerEpoch, step: this.pos.step, phase });
    this.pos.epoch = epoch + 1;
    this.pos.batch = 0;
    delete this.pos.tally;
    if (!Number.isNaN(v.accuracy)) this.pos.lastValidationAccuracy = v.accuracy;
    else delete this.pos.lastValidationAccuracy;
    this.syncValid(run.valid);
    await run.hooks.afterEpoch.promise(summary);
    await run.hooks.checkpoint.promise({ reason: 'epoch', epoch: epoch + 1, batch: 0, step: this.pos.step });
    return summary;
  }

  /** The derived architecture, `architectureDerived` and `done`. */
  private async finish(run: Run, last: EpochSummary | undefined): Promise<SearchResult> {
    await this.pool?.verify(run.network);
    const derived = await derivedInfo(run.strategy, run.latency);
    await run.hooks.architectureDerived.promise(derived);
    const result: SearchResult = {
      ...derived,
      epochs: this.options.epochs,
      steps: this.pos.step,
      seconds: this.secondsBefore + (Date.now() - run.t0) / 1000,
      ...(last && !Number.isNaN(last.validationAccuracy)
        ? { validationAccuracy: last.validationAccuracy }
        : !last && this.pos.lastValidationAccuracy !== undefined
          ? { validationAccuracy: this.pos.lastValidationAccuracy }
          : {}),
    };
    await run.hooks.done.promise(result);
    return result;
  }

  private loss(): (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar {
    return (logits, labels) => softmaxCrossEntropy(logits, labels, this.options.labelSmoothing);
  }

  private syncValid(valid: ValidationStream): void {
    this.pos.metricsSeconds = this.secondsBefore + (Date.now() - this.startedAt) / 1000;
    this.pos.validPass = valid.pass;
    this.pos.validBatch = valid.batch;
    this.pos.rng = this.rng.state();
  }

  private lrAt(step: number, total: number): number {
    return learningRateAt(this.options, step, total);
  }
}

/** A checkpoint's loop position and tensors against this run: one error naming the file and field. */
function checkResume(resume: SessionSnapshot, network: Network, run: { epochs: number; batchesPerEpoch: number }): void {
  const file = resume.file ?? 'checkpoint';
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new InputError(`${file}: ${field}: got ${JSON.stringify(value) ?? String(value)}; expected ${expected} — the checkpoint does not belong to this run's config`);
  };
  const p = resume.json.trainer as Partial<Position> | undefined;
  if (!p || typeof p !== 'object') bad('trainer', p, 'the trainer\'s loop position (an object)');
  const int = (k: keyof Position, min: number, max: number, what: string) => {
    const v = p![k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(`trainer.${k}`, v, `${what}, an integer in [${min}, ${max}]`);
    return v as number;
  };
  const epoch = int('epoch', 0, run.epochs, `the epoch reached (trainer.options.epochs is ${run.epochs})`);
  const batch = int('batch', 0, epoch === run.epochs ? 0 : run.batchesPerEpoch, `the batches done in the epoch (${run.batchesPerEpoch} batches per epoch)`);
  const step = epoch * run.batchesPerEpoch + batch;
  int('step', step, step, `epoch × batches per epoch + batch`);
  int('validPass', 0, Number.MAX_SAFE_INTEGER, 'the validation pass');
  int('validBatch', 0, Number.MAX_SAFE_INTEGER, 'the validation batch');
  if (!p!.rng || typeof p!.rng !== 'object') bad('trainer.rng', p!.rng, 'the random generator\'s state');
  if (p!.tally !== undefined) {
    const t = p!.tally as Partial<EpochTally>;
    if (![t.lossSum, t.correct, t.seen].every((x) => typeof x === 'number' && Number.isFinite(x))) bad('trainer.tally', t, 'the epoch\'s running sums { lossSum, correct, seen }, finite numbers');
  }
  const shapes = new Map(network.variables().map((v) => [v.name, v.variable.shape]));
  for (const [name, shape] of shapes) {
    const t = resume.tensors[`net/${name}`];
    if (!t) bad(`tensor net/${name}`, undefined, `the network variable ${name} of shape [${shape}]`);
    if (t!.shape.join('x') !== shape.join('x')) bad(`tensor net/${name}.shape`, t!.shape, `[${shape}] (the network's variable)`);
  }
  for (const [key, t] of Object.entries(resume.tensors)) {
    if (key.startsWith('strategy/')) {
      // a strategy's slots are keyed by the variable they belong to, or by a mixed op's label for its α
      // (e.g. strategy/adam/m/b0): they have its shape
      const rest = key.slice('strategy/'.length);
      const owner = [...shapes.keys()].find((v) => rest === v || rest.endsWith(`/${v}`) || (v.endsWith('/alpha') && rest.endsWith(`/${v.slice(0, -'/alpha'.length)}`)));
      if (owner !== undefined && t.shape.join('x') !== shapes.get(owner)!.join('x')) bad(`tensor ${key}.shape`, t.shape, `[${shapes.get(owner)}] (the shape of ${owner})`);
      continue;
    }
    if (!key.startsWith('trainer/')) continue;
    const shape = shapes.get(key.slice('trainer/'.length));
    if (!shape) bad(`tensor ${key}`, t.shape, `a momentum slot of one of the network's variables`);
    if (t.shape.join('x') !== shape!.join('x')) bad(`tensor ${key}.shape`, t.shape, `[${shape}] (the shape of its variable)`);
  }
}

const expectedLatencyOf = (latency: ExpectedLatency | undefined): number | undefined => (latency ? tf.tidy(() => latency.expected().dataSync()[0]!) : undefined);

/**
 * Thrown when the loss (or α) stops being finite. The offending step is not applied and no
 * checkpoint is written after it, so the run directory keeps the last good state.
 */
export class SearchDiverged extends Error {
  where?: StepInfo;
  constructor(readonly what: string) {
    super(`search diverged: ${what}`);
    this.name = 'SearchDiverged';
  }

  at(info: StepInfo): this {
    this.where = info;
    this.message = `search diverged: ${this.what} at epoch ${info.epoch + 1}, batch ${info.batch + 1} (step ${info.step}); the last good checkpoint is kept — lower the learning rate and resume, or start again`;
    return this;
  }
}

/** Thrown when a search stops on request (SIGINT) after writing a checkpoint. */
export class SearchInterrupted extends Error {
  constructor(readonly reason: string) {
    super(`search interrupted (${reason}); a checkpoint was written — continue with --resume`);
    this.name = 'SearchInterrupted';
  }
}

/**
 * Refuses to checkpoint a state with a non-finite variable (e.g. a batch-norm variance that
 * overflowed while the loss still looked fine): the previous checkpoint stays the last good one.
 */
function assertFiniteState(network: Network, info: StepInfo): void {
  const bad = network.variables().find((v) => tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(v.variable))).dataSync()[0] === 1));
  if (bad) throw new SearchDiverged(`${bad.name} became non-finite`).at(info);
}

/**
 * Loss and accuracy of one architecture, run through the supernet in inference mode with batch-norm
 * batch statistics (the supernet's running averages mix every sampled path).
 */
export function evaluateArchitecture(
  network: Network,
  split: Split,
  arch: Architecture,
  batchSize: number,
  loss?: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar,
): { loss: number; accuracy: number } {
  const gates = network.mixedOps.length ? toGateTensors(network.mixedOps, gatesForArchitecture(network.mixedOps, arch)) : {};
  try {
    const e = evaluateNetwork(network, split, batchSize, { mode: 'binarized', gates, batchStatistics: true }, loss);
    return { loss: e.loss, accuracy: e.accuracy };
  } finally {
    disposeGates(gates);
  }
}

export const searchTrainerPlugin = definePlugin({
  kind: 'trainer',
  name: 'search',
  description: 'Alternating weight/architecture steps of ProxylessNAS with warm-up, cosine LR and checkpoints',
  options: searchTrainerOptions,
  create: (options, ctx) => new SearchTrainer(options, ctx.rng),
});
