import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../data/dataset.js';
import { gateGradients } from '../estimators/binary-connect.js';
import { toGateTensors } from '../nn/gate-sampling.js';
import type { GateSample } from '../nn/gates.js';
import { countCorrect } from '../nn/loss.js';
import type { ForwardContext } from '../nn/module.js';
import type { Network } from '../spaces/search-space.js';
import type { ArchCompute } from '../strategies/strategy.js';

type Loss = (logits: tf.Tensor, labels: tf.Tensor1D) => tf.Scalar;

/** One slice's gate gradients (mean over its `count` examples, flat in mixed-op order) and loss sum. */
export interface GateGradientShare {
  readonly gradients: Float32Array;
  readonly lossSum: number;
  readonly count: number;
}

/** One slice's evaluation of single-path gates: loss sum and correct count over `count` examples. */
export interface EvaluationShare {
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
}

/** Gate gradients of `network` on a (slice of a) batch, as a share to combine with other slices'. */
export function gateGradientShare(network: Network, batch: Batch, sample: GateSample, forward: Pick<ForwardContext, 'training' | 'rng'>, loss: Loss, recompute: boolean): GateGradientShare {
  const n = batch.y.shape[0];
  const sizes = network.mixedOps.map((op) => op.size);
  const gradients = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  if (n === 0) return { gradients, lossSum: 0, count: 0 };
  const g = gateGradients(network, batch, sample, { forward, loss, recompute });
  let at = 0;
  for (const op of network.mixedOps) {
    gradients.set(g.gates[op.label]!, at);
    at += op.size;
  }
  return { gradients, lossSum: g.loss * n, count: n };
}

/**
 * Mean loss and correct count of single-path gate samples on one batch (n > 0): several through the
 * network's `applyEach` when it has one (computing the layers the samples share once), else one
 * forward each. Inference mode with batch statistics, no gradient.
 */
function evaluateSamples(network: Network, batch: Batch, samples: readonly GateSample[], loss: Loss): { loss: number; correct: number }[] {
  return tf.tidy(() => {
    const logits = network.applyEach && samples.length > 1
      ? network.applyEach(batch.x, { training: false, batchStatistics: true }, samples)
      : samples.map((g) => network.apply(batch.x, { training: false, batchStatistics: true, mode: 'binarized', gates: toGateTensors(network.mixedOps, g) }));
    return logits.map((l) => ({ loss: loss(l, batch.y).dataSync()[0]!, correct: countCorrect(l, batch.y) }));
  });
}

/** Loss and accuracy of single-path gates on a (slice of a) batch: inference mode with batch statistics, no gradient. */
export function evaluationShare(network: Network, batch: Batch, gates: GateSample, loss: Loss): EvaluationShare {
  return evaluationShares(network, batch, [gates], loss)[0]!;
}

/** `evaluationShare` of several gate samples on one (slice of a) batch, sharing what they have in common. */
export function evaluationShares(network: Network, batch: Batch, samples: readonly GateSample[], loss: Loss): EvaluationShare[] {
  const n = batch.y.shape[0];
  if (n === 0) return samples.map(() => ({ lossSum: 0, correct: 0, count: 0 }));
  return evaluateSamples(network, batch, samples, loss).map((e) => ({ lossSum: e.loss * n, correct: e.correct, count: n }));
}

/** Σ count-weighted gate gradients over slices, as whole-batch means per mixed op. */
export function combineGateGradients(network: Network, shares: readonly GateGradientShare[]): { gates: Record<string, Float32Array>; loss: number } {
  const total = shares.reduce((a, s) => a + s.count, 0);
  const flat = new Float32Array(shares[0]!.gradients.length);
  for (const s of shares) {
    if (s.count === 0) continue;
    const w = s.count / total;
    for (let i = 0; i < flat.length; i++) flat[i]! += w * s.gradients[i]!;
  }
  const gates: Record<string, Float32Array> = {};
  let at = 0;
  for (const op of network.mixedOps) {
    gates[op.label] = flat.slice(at, at + op.size);
    at += op.size;
  }
  return { gates, loss: shares.reduce((a, s) => a + s.lossSum, 0) / total };
}

/** Whole-batch loss and accuracy from the slices' evaluations. */
export function combineEvaluations(shares: readonly EvaluationShare[]): { loss: number; accuracy: number } {
  const count = shares.reduce((a, s) => a + s.count, 0);
  return { loss: shares.reduce((a, s) => a + s.lossSum, 0) / count, accuracy: shares.reduce((a, s) => a + s.correct, 0) / count };
}

/** `ArchCompute` on this thread over the whole batch (what the trainer gives without workers). */
export function localArchCompute(network: Network, batch: Batch, forward: Pick<ForwardContext, 'training' | 'rng'>, loss: Loss): ArchCompute {
  const asEvaluation = (e: { loss: number; correct: number }) => ({ loss: e.loss, accuracy: e.correct / batch.y.shape[0] });
  return {
    gateGradients: async (sample, options) => gateGradients(network, batch, sample, { forward, loss, recompute: options?.recompute ?? false }),
    evaluate: async (gates) => evaluateSamples(network, batch, [gates], loss).map(asEvaluation)[0]!,
    evaluateEach: async (samples) => evaluateSamples(network, batch, samples, loss).map(asEvaluation),
  };
}
