import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Batch } from '../data/dataset.js';
import { countCorrect, softmaxCrossEntropy } from '../nn/loss.js';
import type { ForwardContext, NamedVariable } from '../nn/module.js';
import { flattenGradients, flattenVariables, gradientsFromFlat, shardRange, type TrainCollective } from './collective.js';
import { cosineLr, HOST_MEMORY_BACKENDS, MomentumSgd } from './sgd.js';

/** The weight-decay rule: L2 applies to conv and dense kernels (not to biases, batch norm or α). */
export const DECAYED_WEIGHT = /(kernel|depthwise_kernel)$/;

/** Whether the weight-decay rule applies to a variable (by its stable name). */
export function isDecayedWeight(v: Pick<NamedVariable, 'name'>): boolean {
  return DECAYED_WEIGHT.test(v.name);
}

/** Σ‖w‖² over `vars` (a scalar tensor; 0 when there are none). */
export function sumOfSquares(vars: readonly NamedVariable[]): tf.Scalar {
  return (vars.length ? tf.addN(vars.map((v) => tf.sum(tf.square(v.variable)))) : tf.scalar(0)) as tf.Scalar;
}

/** Σ w² over the variables of `vars` named in `decayed`, read from their flat values (`vars` order). */
function sumOfSquaresOf(vars: readonly NamedVariable[], flat: Float32Array, decayed: ReadonlySet<string>): number {
  let sum = 0;
  let at = 0;
  for (const v of vars) {
    const size = v.variable.size;
    if (decayed.has(v.name)) for (let i = at; i < at + size; i++) sum += flat[i]! * flat[i]!;
    at += size;
  }
  return sum;
}

/**
 * The options of a weight step and its schedule, shared by the search trainer and `trainNetwork`:
 * spread into their schemas (`z.object({ ...weightStepOptionFields({ lr: 0.025 }), … })`). The one
 * home of these nine fields' names, bounds and defaults.
 */
export function weightStepOptionFields(defaults: { readonly lr: number }) {
  return {
    epochs: z.number().int().min(1).default(10).describe('total epochs (a search counts its warm-up epochs too)'),
    batchSize: z.number().int().min(1).default(64),
    lr: z.number().positive().default(defaults.lr).describe('initial weight learning rate'),
    lrSchedule: z.enum(['cosine', 'constant']).default('cosine'),
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(true),
    weightDecay: z.number().min(0).default(4e-5).describe('L2 on conv/dense kernels (not BN, not α)'),
    labelSmoothing: z.number().min(0).max(1).default(0.1),
    maxBatchesPerEpoch: z.number().int().min(1).optional().describe('cap on weight steps per epoch (quick runs)'),
  } as const;
}

/** What a weight step reads of the options (the fields of `weightStepOptionFields`). */
export interface WeightStepOptions {
  readonly lr: number;
  readonly lrSchedule: 'cosine' | 'constant';
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
}

/** The learning rate of weight step `step` of `total` (cosine annealing per step, or constant). */
export function learningRateAt(o: Pick<WeightStepOptions, 'lr' | 'lrSchedule'>, step: number, total: number): number {
  return o.lrSchedule === 'cosine' ? cosineLr(o.lr, step, total) : o.lr;
}

/** The variables a weight step trains, and those of them the weight-decay rule applies to. */
export interface StepWeights {
  readonly train: readonly NamedVariable[];
  readonly decayed: readonly NamedVariable[];
}

/** The outcome of one weight step over the whole batch (all ranks together when data-parallel). */
export interface WeightStepResult {
  /** Mean training loss over the batch (label smoothing and L2 included). */
  readonly loss: number;
  /** Correct argmax predictions in the batch. */
  readonly correct: number;
  /** Examples in the batch. */
  readonly count: number;
}

/** Thrown by a guarded weight step whose loss is not finite; no weight was touched. */
export class NonFiniteLoss extends Error {
  constructor(readonly value: number) {
    super(`the training loss became ${value}`);
    this.name = 'NonFiniteLoss';
  }
}

/**
 * One weight step — the single home of it for the search (sampled paths of the supernet, α frozen)
 * and for retraining a compact network: forward in training mode, softmax cross-entropy with label
 * smoothing plus weightDecay/2·Σ‖w‖² over the decayed weights, backward to `weights.train` only,
 * SGD with (Nesterov) momentum. With a collective, this rank computes its slice of the batch and
 * every rank applies the same combined gradient. `guard` refuses a step whose loss is not finite
 * (throws `NonFiniteLoss` before any weight moves; every rank sees the same combined loss).
 *
 * `update` is where the SGD update runs: `host` reads the weights once, updates them in JavaScript
 * over flat arrays with the weight decay folded into the gradient (`MomentumSgd.applyOnHost`: the
 * same step, without the ≈ 8 kernels per variable of the tensor form nor the L2 term's ops in the
 * tape) and writes each weight back; `tensor` runs it as tensor ops with the L2 term in the loss
 * (any backend). `auto` (the default) is `host` on the backends in host memory (cpu, wasm), judged
 * at each step. Both report the same loss (cross-entropy + weightDecay/2·Σ‖w‖²).
 */
export class WeightStep {
  readonly sgd: MomentumSgd;

  constructor(
    private readonly options: WeightStepOptions,
    private readonly guard = false,
    private readonly update: 'auto' | 'host' | 'tensor' = 'auto',
  ) {
    this.sgd = new MomentumSgd(options.momentum, options.nesterov);
  }

  async run(args: {
    readonly weights: StepWeights;
    readonly apply: (x: tf.Tensor4D, ctx: ForwardContext) => tf.Tensor;
    readonly batch: Batch;
    readonly forward: Omit<ForwardContext, 'training'>;
    readonly lr: number;
    /** Data-parallel: this rank's part of the step (its slice, the gradients combined over ranks). */
    readonly collective?: TrainCollective;
  }): Promise<WeightStepResult> {
    const { weights, batch } = args;
    const o = this.options;
    const c = args.collective;
    const onHost = this.update === 'host' || (this.update === 'auto' && HOST_MEMORY_BACKENDS.has(tf.getBackend()));
    const decay = o.weightDecay > 0 && weights.decayed.length > 0;
    const n = batch.y.shape[0];
    const [lo, hi] = c ? shardRange(n, c.rank, c.size) : [0, n];
    const m = hi - lo;
    let loss = NaN;
    let correct = 0;
    let count = m;
    let grads: Record<string, tf.Tensor> = {};
    if (m > 0) {
      const x = m === n ? batch.x : tf.slice(batch.x, lo, m);
      const y = m === n ? batch.y : tf.slice(batch.y, lo, m);
      let logits: tf.Tensor | undefined;
      try {
        const { value, grads: g } = tf.variableGrads(() => {
          const out = args.apply(x, { ...args.forward, training: true });
          logits = tf.keep(out);
          let l = softmaxCrossEntropy(out, y, o.labelSmoothing);
          if (decay && !onHost) l = tf.add(l, tf.mul(sumOfSquares(weights.decayed), o.weightDecay / 2));
          return l as tf.Scalar;
        }, weights.train.map((v) => v.variable));
        grads = g;
        loss = value.dataSync()[0]!;
        value.dispose();
        correct = countCorrect(logits!, y);
      } finally {
        logits?.dispose();
        if (x !== batch.x) tf.dispose([x, y]);
      }
    }
    // the decayed weights by stable name (the L2 term's variables)
    const decayed = new Set(decay ? weights.decayed.map((v) => v.name) : []);
    let flat: Float32Array | undefined;
    // variables without a gradient this step, not decayed (none when data-parallel: the flat gradient has zeros there)
    let skip: Set<string> | undefined;
    if (c) {
      const mine = flattenGradients(weights.train, grads);
      tf.dispose(Object.values(grads));
      grads = {};
      const all = await c.allReduceGradients({ gradients: mine, count: m, lossSum: m > 0 ? loss * m : 0, correct });
      flat = all.gradients;
      count = all.count;
      loss = all.lossSum / all.count;
      correct = all.correct;
    } else if (onHost) {
      flat = flattenGradients(weights.train, grads);
      // as in the tensor form, where the L2 term gives every decayed weight a gradient
      skip = new Set(weights.train.filter((v) => !grads[v.variable.name] && !decayed.has(v.name)).map((v) => v.variable.name));
      tf.dispose(Object.values(grads));
      grads = {};
    }
    try {
      if (onHost) {
        const current = flattenVariables(weights.train);
        if (decay) loss += (o.weightDecay / 2) * sumOfSquaresOf(weights.train, current, decayed);
        // Stop before the bad step touches any weight: the last checkpoint stays the last good state.
        if (this.guard && !Number.isFinite(loss)) throw new NonFiniteLoss(loss);
        this.sgd.applyOnHost(weights.train, current, flat!, args.lr, decay ? { rate: o.weightDecay, decayed } : undefined, skip);
      } else {
        if (flat) grads = gradientsFromFlat(weights.train, flat);
        if (this.guard && !Number.isFinite(loss)) throw new NonFiniteLoss(loss);
        this.sgd.apply(weights.train, grads, args.lr);
      }
    } finally {
      tf.dispose(Object.values(grads));
    }
    return { loss, correct, count };
  }

  dispose(): void {
    this.sgd.dispose();
  }
}
