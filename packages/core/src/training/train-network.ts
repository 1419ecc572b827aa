import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { disposeBatch, type Dataset, type Split } from '../data/dataset.js';
import type { ForwardContext } from '../nn/module.js';
import { countCorrect, softmaxCrossEntropy } from '../nn/loss.js';
import { Rng } from '../random/rng.js';
import type { Network } from '../spaces/search-space.js';
import { yieldToEventLoop } from '../tfjs/runtime.js';
import { assignFlat, flattenVariables, type TrainCollective } from './collective.js';
import { isDecayedWeight, learningRateAt, weightStepOptionFields, WeightStep } from './weight-step.js';

/** Options for training a compact (derived) network from scratch: the weight-step fields and nothing else. */
export const trainNetworkOptions = z.object(weightStepOptionFields({ lr: 0.05 })).strict();
export type TrainNetworkOptions = z.output<typeof trainNetworkOptions>;

export interface TrainStepInfo {
  readonly epoch: number;
  readonly batch: number;
  readonly batchesPerEpoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly lr: number;
}

export interface TrainEpochInfo {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly validationLoss: number;
  readonly validationAccuracy: number;
  readonly seconds: number;
}

/** Where a resumed training continues: after `epochsDone` whole epochs, with the optimizer's velocities (by stable variable name). */
export interface TrainResume {
  readonly epochsDone: number;
  readonly slots: Readonly<Record<string, tf.Tensor>>;
  /** The last finished epoch's figures (what a resume with nothing left to train returns). */
  readonly last?: TrainEpochInfo;
}

/** What a checkpoint after an epoch holds besides the network's variables (rank 0 only). */
export interface TrainCheckpointState {
  readonly epochsDone: number;
  readonly last: TrainEpochInfo;
  /** The optimizer's velocities by stable variable name (the optimizer's own tensors: read them, do not dispose them). */
  slots(): Record<string, tf.Tensor>;
}

export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly count: number;
}

/**
 * Loss and accuracy of a network (inference mode) on a split. `forward` adds to the forward context
 * (e.g. the gates that select one architecture through a supernet); `loss` defaults to plain
 * cross-entropy.
 */
export function evaluateNetwork(
  network: Network,
  split: Split,
  batchSize = 256,
  forward: Omit<ForwardContext, 'training'> = {},
  loss: (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar = (l, y) => softmaxCrossEntropy(l, y),
): Evaluation {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (const b of split.batches(batchSize)) {
    const n = b.y.shape[0];
    tf.tidy(() => {
      const logits = network.apply(b.x, { ...forward, training: false });
      lossSum += loss(logits, b.y).dataSync()[0]! * n;
      correct += countCorrect(logits, b.y);
    });
    count += n;
    disposeBatch(b);
  }
  return { loss: count ? lossSum / count : NaN, accuracy: count ? correct / count : NaN, count };
}

/**
 * Trains every weight of a network (a compact one: it has no mixed ops) on the training split with
 * SGD + Nesterov momentum, cosine LR, L2 on kernels and label smoothing; evaluates on the
 * validation split after each epoch. The data order is seeded.
 */
export async function trainNetwork(
  network: Network,
  dataset: Dataset,
  options: TrainNetworkOptions,
  hooks: {
    seed: number;
    onStep?: (s: TrainStepInfo) => void | Promise<void>;
    onEpoch?: (e: TrainEpochInfo) => void | Promise<void>;
    /** Data-parallel training: this process trains on its slice of every batch (see `trainNetworkInWorkers`). */
    collective?: TrainCollective;
    /** Continue a training: the network already holds the checkpoint's weights; this restores the rest. */
    resume?: TrainResume;
    /**
     * After every epoch (its batch-norm statistics averaged over the ranks, after `onEpoch`), on rank 0:
     * where to save a checkpoint that `resume` continues exactly (the data order and the forward
     * randomness are seeded per epoch and step).
     */
    onCheckpoint?: (state: TrainCheckpointState) => void | Promise<void>;
  },
): Promise<TrainEpochInfo> {
  if (network.mixedOps.length > 0) throw new Error('trainNetwork: expected a compact network (it has mixed ops); derive an architecture first');
  const train = network.variables().filter((v) => v.trainable);
  const weights = { train, decayed: train.filter(isDecayedWeight) };
  const collective = hooks.collective;
  const resume = hooks.resume;
  const first = resume?.epochsDone ?? 0;
  if (!Number.isInteger(first) || first < 0 || first > options.epochs) throw new Error(`trainNetwork: resume.epochsDone must be an integer in [0, ${options.epochs}] (the epochs asked for), got ${first}`);
  const weightStep = new WeightStep(options);
  const state = network.variables().filter((v) => !v.trainable);
  const batchesPerEpoch = Math.min(dataset.train.numBatches(options.batchSize), options.maxBatchesPerEpoch ?? Infinity);
  const total = batchesPerEpoch * options.epochs;
  let step = first * batchesPerEpoch;
  let last: TrainEpochInfo | undefined = resume?.last;
  if (first === options.epochs && !last) throw new Error('trainNetwork: resume says every epoch is done but has no last epoch figures');
  try {
    if (resume) weightStep.sgd.loadSlots(resume.slots);
    for (let epoch = first; epoch < options.epochs; epoch++) {
      const t0 = Date.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let b = 0;
      for (const batch of dataset.train.batches(options.batchSize, { rng: new Rng(`${hooks.seed}:retrain-order:${epoch}`) })) {
        if (b >= batchesPerEpoch) {
          disposeBatch(batch);
          break;
        }
        const lr = learningRateAt(options, step, total);
        let r;
        try {
          r = await weightStep.run({
            weights,
            apply: (x, ctx) => network.apply(x, ctx),
            batch,
            forward: { rng: new Rng(`${hooks.seed}:retrain-forward:${step}:${collective?.rank ?? 0}`) },
            lr,
            ...(collective ? { collective } : {}),
          });
        } finally {
          disposeBatch(batch);
        }
        const acc = r.count > 0 ? r.correct / r.count : 0;
        lossSum += r.loss * r.count;
        correct += r.correct;
        seen += r.count;
        await hooks.onStep?.({ epoch, batch: b, batchesPerEpoch, loss: r.loss, accuracy: acc, lr });
        await yieldToEventLoop();
        b++;
        step++;
      }
      // ranks' running statistics saw different slices: average them before evaluating or finishing
      if (collective && state.length) assignFlat(state, await collective.averageState(flattenVariables(state)));
      const v = dataset.validation.size > 0 ? evaluateNetwork(network, dataset.validation, options.batchSize) : { loss: NaN, accuracy: NaN };
      last = {
        epoch,
        epochs: options.epochs,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        validationLoss: v.loss,
        validationAccuracy: v.accuracy,
        seconds: (Date.now() - t0) / 1000,
      };
      await hooks.onEpoch?.(last);
      if (hooks.onCheckpoint && (collective?.rank ?? 0) === 0) await hooks.onCheckpoint({ epochsDone: epoch + 1, last, slots: () => weightStep.sgd.slots() });
    }
  } finally {
    weightStep.dispose();
  }
  return last!;
}
