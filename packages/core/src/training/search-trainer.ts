import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { disposeBatch, type Batch, type Split } from '../data/dataset.js';
import { definePlugin } from '../di/plugin.js';
import { disposeGates, gatesForArchitecture, sampleFromProbs, sampleUniform, toGateTensors } from '../nn/gate-sampling.js';
import { countCorrect, softmaxCrossEntropy } from '../nn/loss.js';
import type { NamedVariable } from '../nn/module.js';
import type { GateSample } from '../nn/gates.js';
import { Rng, type RngState } from '../random/rng.js';
import type { Architecture } from '../spaces/architecture.js';
import type { Network } from '../spaces/search-space.js';
import type { EpochSummary, SearchResult, StepInfo } from '../session/hooks.js';
import { pick, type SearchSession, type SessionSnapshot } from '../session/search-session.js';
import { yieldToEventLoop } from '../tfjs/runtime.js';
import { cosineLr, MomentumSgd } from './sgd.js';
import { evaluateNetwork } from './train-network.js';
import type { Trainer } from './trainer.js';

export const searchTrainerOptions = z
  .object({
    epochs: z.number().int().min(1).default(10).describe('total epochs, warm-up included'),
    warmupEpochs: z.number().int().min(0).default(0).describe('epochs that train weights only, before any architecture step'),
    warmupGates: z.enum(['uniform', 'probs']).default('uniform').describe('how warm-up steps sample paths'),
    batchSize: z.number().int().min(1).default(64),
    lr: z.number().positive().default(0.025).describe('initial weight learning rate'),
    lrSchedule: z.enum(['cosine', 'constant']).default('cosine'),
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(true),
    weightDecay: z.number().min(0).default(4e-5).describe('L2 on conv/dense kernels (not BN, not α)'),
    labelSmoothing: z.number().min(0).max(1).default(0.1),
    archUpdateEvery: z.number().int().min(1).default(5).describe('k: an architecture update every k weight steps'),
    archStepsPerUpdate: z.number().int().min(1).default(1).describe('m: architecture steps per update'),
    validationBatchSize: z.number().int().min(1).optional().describe('batch size of arch steps (default: batchSize)'),
    maxBatchesPerEpoch: z.number().int().min(1).optional().describe('cap on weight steps per epoch (quick runs)'),
    checkpointEvery: z.number().int().min(0).default(50).describe('weight steps between checkpoints (0: only at epoch ends)'),
    evaluateEachEpoch: z.boolean().default(true).describe('validate the argmax architecture after every epoch'),
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
}

/**
 * The alternating loop of ProxylessNAS: warm-up epochs (weights only), then per training batch a
 * weight step with sampled binary gates and α frozen, and every k batches m architecture steps on
 * the held-out validation split with weights frozen. Cosine LR per step, SGD with Nesterov momentum,
 * L2 weight decay, label smoothing. Checkpoints are requested through the `checkpoint` hook.
 */
export class SearchTrainer implements Trainer {
  private readonly sgd: MomentumSgd;
  private pos: Position;
  private rng: Rng;
  private startedAt = Date.now();
  /** Search time spent before this process (resumed runs). */
  private secondsBefore = 0;

  constructor(readonly options: SearchTrainerOptions, rng: Rng) {
    this.sgd = new MomentumSgd(options.momentum, options.nesterov);
    this.rng = rng;
    this.pos = { epoch: 0, batch: 0, step: 0, validPass: 0, validBatch: 0, rng: rng.state(), metricsSeconds: 0 };
  }

  getState(): { json: unknown; tensors: Record<string, tf.Tensor> } {
    return { json: { ...this.pos, rng: this.rng.state() }, tensors: this.sgd.slots() };
  }

  async run(session: SearchSession, resume?: SessionSnapshot): Promise<SearchResult> {
    const o = this.options;
    const { network, strategy, dataset, latency, seed } = session.components;
    const hooks = session.hooks;
    const t0 = Date.now();
    this.startedAt = t0;
    if (resume) {
      session.restoreModelState(resume);
      this.sgd.loadSlots(pick(resume.tensors, 'trainer/'));
      this.pos = { ...(resume.json.trainer as Position) };
      this.rng = new Rng(this.pos.rng);
    }
    this.secondsBefore = this.pos.metricsSeconds;
    const alphaNames = new Set(network.mixedOps.map((op) => `${op.label}/alpha`));
    const weights = new PathWeights(network, alphaNames);
    const loss = (logits: tf.Tensor, labels: tf.Tensor1D) => softmaxCrossEntropy(logits, labels, o.labelSmoothing);
    const { measureLatency } = session.components;
    await strategy.setup({ network, space: session.components.space, ...(latency ? { latency } : {}), loss, ...(measureLatency ? { measureLatency } : {}) });

    const batchesPerEpoch = Math.min(dataset.train.numBatches(o.batchSize), o.maxBatchesPerEpoch ?? Infinity);
    const totalSteps = batchesPerEpoch * o.epochs;
    const valid = new ValidationStream(dataset.validation, o.validationBatchSize ?? o.batchSize, seed, this.pos);
    await hooks.beforeSearch.promise({
      epochs: o.epochs,
      batchesPerEpoch,
      ...(resume ? { resumedFrom: { epoch: this.pos.epoch, batch: this.pos.batch, step: this.pos.step } } : {}),
    });

    let lastSummary: EpochSummary | undefined;
    for (let epoch = this.pos.epoch; epoch < o.epochs; epoch++) {
      const epochStart = Date.now();
      const phase = epoch < o.warmupEpochs ? 'warmup' : 'search';
      const startBatch = epoch === this.pos.epoch ? this.pos.batch : 0;
      this.pos.epoch = epoch;
      await hooks.beforeEpoch.promise({ epoch, epochs: o.epochs, batchesPerEpoch, lr: this.lrAt(epoch * batchesPerEpoch + startBatch, totalSteps), phase, startBatch });
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      const order = new Rng(`${seed}:train-order:${epoch}`);
      let b = startBatch;
      for (const batch of dataset.train.batches(o.batchSize, { rng: order, skip: startBatch })) {
        if (b >= batchesPerEpoch) {
          disposeBatch(batch);
          break;
        }
        const info: StepInfo = { epoch, batch: b, batchesPerEpoch, step: this.pos.step, phase };
        const lr = this.lrAt(this.pos.step, totalSteps);
        const proposed =
          phase === 'warmup'
            ? o.warmupGates === 'uniform'
              ? sampleUniform(network.mixedOps, this.rng)
              : sampleFromProbs(network.mixedOps, this.rng)
            : strategy.sampleGates('search');
        const sample = hooks.sampleGates.call(proposed, info);
        let stepResult;
        try {
          stepResult = this.weightStep(network, weights.forSample(sample), batch, sample, lr, loss);
        } catch (err) {
          disposeBatch(batch);
          if (err instanceof SearchDiverged) err.at(info);
          throw err;
        }
        const { lossValue, acc } = stepResult;
        const n = batch.y.shape[0];
        disposeBatch(batch);
        lossSum += lossValue * n;
        correct += acc * n;
        seen += n;
        this.pos.step++;
        b++;
        this.pos.batch = b;
        await hooks.afterWeightStep.promise({ ...info, loss: lossValue, accuracy: acc, lr, gates: sample });
        await yieldToEventLoop();

        if (phase === 'search' && this.pos.step % o.archUpdateEvery === 0) {
          for (let m = 0; m < o.archStepsPerUpdate; m++) {
            const vb = valid.next();
            let metrics;
            try {
              metrics = await strategy.archStep({ batch: vb, epoch, step: this.pos.step, forward: { training: true, rng: this.rng.fork(`arch-forward:${this.pos.step}`) } });
            } finally {
              disposeBatch(vb);
            }
            if (!network.mixedOps.every((op) => op.probsSync().every(Number.isFinite))) {
              throw new SearchDiverged('the architecture parameters α became non-finite in an architecture step').at({ ...info, step: this.pos.step });
            }
            const expectedLatency = latency ? tf.tidy(() => latency.expected().dataSync()[0]!) : undefined;
            await hooks.afterArchStep.promise({
              ...info,
              step: this.pos.step,
              metrics,
              probabilities: strategy.probabilities(),
              ...(expectedLatency !== undefined ? { expectedLatency } : {}),
            });
          }
        }
        const stop = session.stopRequested;
        if (stop) {
          this.syncValid(valid);
          await hooks.checkpoint.promise({ reason: 'signal', epoch, batch: b, step: this.pos.step });
          throw new SearchInterrupted(stop);
        }
        if (o.checkpointEvery > 0 && this.pos.step % o.checkpointEvery === 0 && b < batchesPerEpoch) {
          assertFiniteState(network, info);
          this.syncValid(valid);
          await hooks.checkpoint.promise({ reason: 'interval', epoch, batch: b, step: this.pos.step });
        }
      }
      const arch = strategy.derive();
      const v = o.evaluateEachEpoch ? evaluateArchitecture(network, dataset.validation, arch, o.validationBatchSize ?? o.batchSize, loss) : { loss: NaN, accuracy: NaN };
      const expectedLatency = latency ? tf.tidy(() => latency.expected().dataSync()[0]!) : undefined;
      lastSummary = {
        epoch,
        epochs: o.epochs,
        phase,
        trainLoss: seen ? lossSum / seen : NaN,
        trainAccuracy: seen ? correct / seen : NaN,
        validationLoss: v.loss,
        validationAccuracy: v.accuracy,
        probabilities: strategy.probabilities(),
        architecture: arch,
        seconds: (Date.now() - epochStart) / 1000,
        ...(expectedLatency !== undefined ? { expectedLatency } : {}),
      };
      assertFiniteState(network, { epoch, batch: b - 1, batchesPerEpoch, step: this.pos.step, phase });
      this.pos.epoch = epoch + 1;
      this.pos.batch = 0;
      this.syncValid(valid);
      await hooks.afterEpoch.promise(lastSummary);
      await hooks.checkpoint.promise({ reason: 'epoch', epoch: epoch + 1, batch: 0, step: this.pos.step });
    }

    const architecture = strategy.derive();
    const probabilities = strategy.probabilities();
    const derived = {
      architecture,
      probabilities,
      ...(latency ? { latency: latency.ofArchitecture(architecture), latencyUnit: latency.unit } : {}),
    };
    await hooks.architectureDerived.promise(derived);
    const result: SearchResult = {
      ...derived,
      epochs: o.epochs,
      steps: this.pos.step,
      seconds: this.secondsBefore + (Date.now() - t0) / 1000,
      ...(lastSummary && !Number.isNaN(lastSummary.validationAccuracy) ? { validationAccuracy: lastSummary.validationAccuracy } : {}),
    };
    await hooks.done.promise(result);
    return result;
  }

  private syncValid(valid: ValidationStream): void {
    this.pos.metricsSeconds = this.secondsBefore + (Date.now() - this.startedAt) / 1000;
    this.pos.validPass = valid.pass;
    this.pos.validBatch = valid.batch;
    this.pos.rng = this.rng.state();
  }

  private lrAt(step: number, total: number): number {
    return this.options.lrSchedule === 'cosine' ? cosineLr(this.options.lr, step, total) : this.options.lr;
  }

  /** One weight step with α frozen: only the weights of the computed paths receive gradients. */
  private weightStep(
    network: Network,
    weights: { readonly train: NamedVariable[]; readonly decayed: NamedVariable[] },
    batch: Batch,
    sample: Parameters<typeof toGateTensors>[1],
    lr: number,
    loss: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar,
  ): { lossValue: number; acc: number } {
    const gates = toGateTensors(network.mixedOps, sample);
    let logits: tf.Tensor | undefined;
    try {
      const { value, grads } = tf.variableGrads(() => {
        const out = network.apply(batch.x, { training: true, mode: 'binarized', gates, rng: this.rng.fork(`forward:${this.pos.step}`) });
        logits = tf.keep(out);
        let l = loss(out, batch.y);
        if (this.options.weightDecay > 0 && weights.decayed.length) {
          const l2 = tf.addN(weights.decayed.map((v) => tf.sum(tf.square(v.variable))));
          l = tf.add(l, tf.mul(l2, this.options.weightDecay / 2));
        }
        return l as tf.Scalar;
      }, weights.train.map((v) => v.variable));
      const lossValue = value.dataSync()[0]!;
      if (!Number.isFinite(lossValue)) {
        // Stop before the bad step touches any weight: the last checkpoint stays the last good state.
        value.dispose();
        tf.dispose(grads);
        throw new SearchDiverged(`the training loss became ${lossValue}`);
      }
      this.sgd.apply(weights.train, grads, lr);
      value.dispose();
      tf.dispose(grads);
      const acc = countCorrect(logits!, batch.y) / batch.y.shape[0];
      return { lossValue, acc };
    } finally {
      logits?.dispose();
      disposeGates(gates);
    }
  }
}

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

/** Endless, reproducible stream of validation batches for arch steps: pass p is shuffled by a seed-derived rng. */
class ValidationStream {
  pass: number;
  batch: number;
  private it: Iterator<Batch> | undefined;

  constructor(private readonly split: Split, private readonly batchSize: number, private readonly seed: number, start: { validPass: number; validBatch: number }) {
    this.pass = start.validPass;
    this.batch = start.validBatch;
  }

  next(): Batch {
    if (this.split.size === 0) throw new Error('the validation split is empty: architecture steps need held-out data (set data.options.validation)');
    for (;;) {
      if (!this.it) {
        this.it = this.split.batches(this.batchSize, { rng: new Rng(`${this.seed}:valid-order:${this.pass}`), skip: this.batch })[Symbol.iterator]();
      }
      const r = this.it.next();
      if (!r.done) {
        this.batch++;
        return r.value;
      }
      this.it = undefined;
      this.pass++;
      this.batch = 0;
    }
  }
}

const isDecayed = (v: NamedVariable) => /(kernel|depthwise_kernel)$/.test(v.name);

/**
 * The weights a weight step trains: the fixed layers' plus those of the paths the gates compute.
 * Unsampled paths get no gradient, no weight decay and no momentum step, so a step costs the
 * memory of the compact network, not of the supernet.
 */
class PathWeights {
  private readonly fixed: NamedVariable[];
  private readonly paths = new Map<string, NamedVariable[][]>();

  constructor(network: Network, alphaNames: ReadonlySet<string>) {
    const inPath = new Set<string>();
    for (const op of network.mixedOps) {
      const perCandidate = op.candidates.map((c) => c.module.variables().filter((v) => v.trainable));
      perCandidate.flat().forEach((v) => inPath.add(v.name));
      this.paths.set(op.label, perCandidate);
    }
    this.fixed = network.variables().filter((v) => v.trainable && !alphaNames.has(v.name) && !inPath.has(v.name));
  }

  forSample(sample: GateSample): { train: NamedVariable[]; decayed: NamedVariable[] } {
    const train = [...this.fixed];
    for (const [label, perCandidate] of this.paths) {
      const s = sample[label];
      if (!s) throw new Error(`gate sample has no entry for mixed op ${label}`);
      const seen = new Set<number>();
      for (const j of s.active) {
        if (seen.has(j)) continue;
        seen.add(j);
        // a candidate module shared by several paths (same weights) is trained once
        for (const v of perCandidate[j] ?? []) if (!train.includes(v)) train.push(v);
      }
    }
    return { train, decayed: train.filter(isDecayed) };
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
