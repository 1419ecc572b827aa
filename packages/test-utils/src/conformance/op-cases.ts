import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining as coreBatchNorm, relu6Op } from '@proxyless/core';

/** How a case's input values are drawn (all seeded). */
export type InputKind =
  | 'normal'
  /** Distinct values spaced ≥ 0.05 apart (max pooling: finite differences must not reorder a window). */
  | 'distinct'
  /** Normal·3, kept ≥ 0.1 away from 0 and 6 (ReLU/ReLU6 kinks). */
  | 'awayFromKinks'
  /** One-hot rows (labels). */
  | 'oneHot';

export interface InputSpec {
  readonly shape: readonly number[];
  readonly kind?: InputKind;
  /** Not differentiated (labels, running statistics). */
  readonly constant?: boolean;
}

/** One op (or small composite) and its inputs; the suite checks its value and its gradients. */
export interface OpCase {
  readonly name: string;
  readonly inputs: readonly InputSpec[];
  readonly fn: (...xs: tf.Tensor[]) => tf.Tensor;
  /** Skip the numerical-gradient check, with the reason. */
  readonly skipNumeric?: string;
}

const s4 = (x: tf.Tensor) => x as tf.Tensor4D;

/**
 * Found by this suite: tfjs 4.22's AvgPoolGrad (cpu, wasm) divides by the full window while the
 * forward averages only in-bounds cells, so `same`-padded average pooling has wrong gradients at the
 * borders. Backends agree with each other (checked), finite differences do not (skipped);
 * `avgPool2d` of @proxyless/backend-wasm is the corrected op.
 */
export const TFJS_AVGPOOL_SAME_GRAD = "tfjs 4.22 AvgPoolGrad divides by the full window at 'same' borders (use avgPool2d)";

function conv(name: string, x: number[], k: number, cout: number, stride: number, pad: 'same' | 'valid'): OpCase {
  return { name, inputs: [{ shape: x }, { shape: [k, k, x[3]!, cout] }], fn: (a, f) => tf.conv2d(s4(a), s4(f), stride, pad) };
}

function dw(name: string, x: number[], k: number, stride: number, pad: 'same' | 'valid', mult = 1): OpCase {
  return { name, inputs: [{ shape: x }, { shape: [k, k, x[3]!, mult] }], fn: (a, f) => tf.depthwiseConv2d(s4(a), s4(f), stride, pad) };
}

/** Batch norm in training mode, as the spaces write it: batch statistics from tf.moments plus arithmetic. */
function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3))), gamma), beta);
}

/** Softmax cross-entropy with label smoothing ε, from tf.logSoftmax (mean over the batch). */
export function smoothedCrossEntropy(logits: tf.Tensor, oneHot: tf.Tensor, smoothing = 0.1): tf.Tensor {
  const n = logits.shape[logits.rank - 1]!;
  const target = tf.add(tf.mul(oneHot, 1 - smoothing), smoothing / n);
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1)));
}

/**
 * Every op the search spaces differentiate through: convs 1×1/k×k at stride 1/2, depthwise
 * k ∈ {3,5,7} at stride 1/2, batch norm in training mode, ReLU/ReLU6, pooling, global average pool,
 * dense, smoothed cross-entropy, add, concat, pad, slice. Shapes are small (the numerical check
 * differentiates every one of them) with batch 1 and odd spatial sizes among them.
 */
export const SEARCH_SPACE_OP_CASES: readonly OpCase[] = [
  conv('conv2d 1x1 s1', [2, 5, 5, 3], 1, 4, 1, 'same'),
  conv('conv2d 1x1 s2 odd', [1, 7, 7, 3], 1, 4, 2, 'same'),
  // 1×1 shapes for the fused SIMD filter gradient of @proxyless/backend-wasm: 4×8 register tiles, 4-wide
  // and scalar output tails, a scalar input tail, and more rows than one 256-row block
  conv('conv2d 1x1 s1, 10 → 13 channels, 300 rows', [3, 10, 10, 10], 1, 13, 1, 'same'),
  conv('conv2d 1x1 s1, 8 → 16 channels', [2, 3, 3, 8], 1, 16, 1, 'valid'),
  // the stem conv's shape (1 input channel) for the fused filter gradient: 16-, 4-wide and scalar output lanes
  conv('conv2d 3x3 s2 same, 1 → 21 channels', [2, 9, 8, 1], 3, 21, 2, 'same'),
  conv('conv2d 3x3 s1 same', [2, 6, 6, 3], 3, 4, 1, 'same'),
  conv('conv2d 3x3 s2 same odd', [1, 7, 7, 3], 3, 4, 2, 'same'),
  conv('conv2d 3x3 s2 valid', [2, 8, 6, 2], 3, 3, 2, 'valid'),
  conv('conv2d 5x5 s1 valid batch1', [1, 7, 9, 2], 5, 3, 1, 'valid'),
  conv('conv2d 7x7 s2 same', [1, 9, 9, 2], 7, 2, 2, 'same'),
  dw('depthwise 3x3 s1 same', [2, 6, 6, 3], 3, 1, 'same'),
  dw('depthwise 3x3 s2 same odd', [1, 7, 7, 3], 3, 2, 'same'),
  dw('depthwise 5x5 s1 same', [1, 7, 7, 2], 5, 1, 'same'),
  dw('depthwise 5x5 s2 valid', [2, 9, 8, 2], 5, 2, 'valid'),
  dw('depthwise 7x7 s1 same', [1, 7, 7, 2], 7, 1, 'same'),
  dw('depthwise 7x7 s2 same odd', [1, 9, 9, 2], 7, 2, 'same'),
  // channel counts for the fused SIMD filter gradient of @proxyless/backend-wasm: 8-wide, 4-wide and scalar lanes
  dw('depthwise 5x5 s2 same, 14 channels', [2, 9, 8, 14], 5, 2, 'same'),
  dw('depthwise 3x3 s1 valid, 12 channels', [2, 6, 5, 12], 3, 1, 'valid'),
  dw('depthwise 3x3 s1 multiplier 2', [1, 5, 5, 2], 3, 1, 'same', 2),
  dw('depthwise 3x3 s2 multiplier 2', [1, 6, 6, 2], 3, 2, 'same', 2),
  {
    name: 'conv2dTranspose 3x3 s2',
    inputs: [{ shape: [1, 4, 4, 3] }, { shape: [3, 3, 2, 3] }],
    fn: (a, f) => tf.conv2dTranspose(s4(a), s4(f), [1, 7, 7, 2], 2, 'same'),
  },
  {
    name: 'fused conv2d + bias + relu6',
    inputs: [{ shape: [1, 5, 5, 2] }, { shape: [3, 3, 2, 3] }, { shape: [3] }],
    fn: (a, f, b) => tf.fused.conv2d({ x: s4(a), filter: s4(f), bias: b, strides: 1, pad: 'same', activation: 'relu6' }),
    skipNumeric: 'non-smooth activation of a conv output: pre-activations may sit within eps of a kink',
  },
  {
    name: 'fused depthwise + bias + relu',
    inputs: [{ shape: [1, 5, 5, 2] }, { shape: [3, 3, 2, 1] }, { shape: [2] }],
    fn: (a, f, b) => tf.fused.depthwiseConv2d({ x: s4(a), filter: s4(f), bias: b, strides: 2, pad: 'same', activation: 'relu' }),
    skipNumeric: 'non-smooth activation of a conv output: pre-activations may sit within eps of a kink',
  },
  {
    name: 'batch norm (training: moments + arithmetic)',
    inputs: [{ shape: [2, 3, 3, 4] }, { shape: [4] }, { shape: [4] }],
    fn: batchNormTraining,
  },
  {
    name: 'tf.batchNorm with batch statistics',
    inputs: [{ shape: [2, 3, 3, 4] }, { shape: [4] }, { shape: [4] }],
    fn: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3);
    },
  },
  {
    name: 'core batchNormTraining (hand-written gradient)',
    inputs: [{ shape: [2, 3, 3, 4] }, { shape: [4] }, { shape: [4] }],
    fn: (x, gamma, beta) => coreBatchNorm(x, gamma, beta, 1e-3),
  },
  { name: 'core batchNormTraining on a matrix', inputs: [{ shape: [6, 3] }, { shape: [3] }, { shape: [3] }], fn: (x, g, b) => coreBatchNorm(x, g, b, 1e-3) },
  // Shapes for @proxyless/backend-wasm's fused batch-norm kernels: 8 channels (two SIMD vectors),
  // 6 channels (one vector + a scalar tail), 150 rows (more than one 64-row block of partial sums).
  {
    name: 'core batchNormTraining, 8 channels, 150 rows',
    inputs: [{ shape: [6, 5, 5, 8] }, { shape: [8] }, { shape: [8] }],
    fn: (x, gamma, beta) => coreBatchNorm(x, gamma, beta, 1e-3),
  },
  { name: 'core batchNormTraining, 6 channels', inputs: [{ shape: [2, 3, 3, 6] }, { shape: [6] }, { shape: [6] }], fn: (x, g, b) => coreBatchNorm(x, g, b, 1e-3) },
  {
    name: 'core batchNormTraining then relu6Op (an MBConv layer)',
    inputs: [{ shape: [2, 4, 4, 5] }, { shape: [5] }, { shape: [5] }],
    fn: (x, gamma, beta) => relu6Op(tf.mul(coreBatchNorm(x, gamma, beta, 1e-3), 4)),
    skipNumeric: 'ReLU6 kinks: BN outputs land anywhere, finite differences cross them (each op alone is checked numerically)',
  },
  { name: 'sum over the leading axes', inputs: [{ shape: [2, 3, 3, 4] }], fn: (x) => tf.sum(x, [0, 1, 2]) },
  { name: 'sum over the leading axes, keepDims, unordered', inputs: [{ shape: [2, 3, 3, 4] }], fn: (x) => tf.sum(x, [1, 0], true) },
  { name: 'mean over the leading axes, negative axes', inputs: [{ shape: [3, 2, 5] }], fn: (x) => tf.mean(x, [-3, -2]) },
  { name: 'mean over axis 0 of a matrix', inputs: [{ shape: [7, 3] }], fn: (x) => tf.mean(x, 0) },
  { name: 'sum over a middle run of axes', inputs: [{ shape: [2, 3, 3, 4] }], fn: (x) => tf.sum(x, [1, 2]) },
  { name: 'mean over a middle axis, keepDims', inputs: [{ shape: [3, 4, 5] }], fn: (x) => tf.mean(x, 1, true) },
  { name: 'sum over non-adjacent axes (tfjs kernel)', inputs: [{ shape: [2, 3, 3, 4] }], fn: (x) => tf.sum(x, [0, 2]) },
  { name: 'sum over the innermost axes (tfjs kernel)', inputs: [{ shape: [2, 3, 4] }], fn: (x) => tf.sum(x, [1, 2]) },
  { name: 'relu', inputs: [{ shape: [2, 3, 3, 2], kind: 'awayFromKinks' }], fn: (x) => tf.relu(x) },
  { name: 'relu6', inputs: [{ shape: [2, 3, 3, 2], kind: 'awayFromKinks' }], fn: (x) => tf.relu6(x) },
  { name: 'core relu6Op (step-mask gradient)', inputs: [{ shape: [2, 3, 3, 2], kind: 'awayFromKinks' }], fn: (x) => relu6Op(x) },
  { name: 'core relu6Op, 39 elements (SIMD + scalar tail)', inputs: [{ shape: [3, 13], kind: 'awayFromKinks' }], fn: (x) => relu6Op(x) },
  { name: 'avgPool 3x3 s1 same', inputs: [{ shape: [1, 5, 5, 2] }], fn: (x) => tf.avgPool(s4(x), 3, 1, 'same'), skipNumeric: TFJS_AVGPOOL_SAME_GRAD },
  { name: 'avgPool 3x3 s2 same odd', inputs: [{ shape: [2, 7, 7, 2] }], fn: (x) => tf.avgPool(s4(x), 3, 2, 'same'), skipNumeric: TFJS_AVGPOOL_SAME_GRAD },
  { name: 'avgPool 3x3 s2 valid odd', inputs: [{ shape: [2, 7, 7, 2] }], fn: (x) => tf.avgPool(s4(x), 3, 2, 'valid') },
  { name: 'maxPool 3x3 s1 same', inputs: [{ shape: [1, 5, 5, 2], kind: 'distinct' }], fn: (x) => tf.maxPool(s4(x), 3, 1, 'same') },
  { name: 'maxPool 3x3 s2 same odd', inputs: [{ shape: [2, 7, 7, 2], kind: 'distinct' }], fn: (x) => tf.maxPool(s4(x), 3, 2, 'same') },
  { name: 'maxPool 3x3 s2 same even', inputs: [{ shape: [1, 8, 6, 3], kind: 'distinct' }], fn: (x) => tf.maxPool(s4(x), 3, 2, 'same') },
  { name: 'maxPool 2x2 s2 valid', inputs: [{ shape: [1, 6, 6, 2], kind: 'distinct' }], fn: (x) => tf.maxPool(s4(x), 2, 2, 'valid') },
  { name: 'global average pool (mean over axes 1,2)', inputs: [{ shape: [2, 3, 5, 4] }], fn: (x) => tf.mean(x, [1, 2]) },
  { name: 'dense (matMul + add)', inputs: [{ shape: [3, 5] }, { shape: [5, 4] }, { shape: [4] }], fn: (x, w, b) => tf.add(tf.matMul(x, w), b) },
  {
    name: 'softmax cross-entropy, label smoothing 0.1',
    inputs: [{ shape: [4, 5] }, { shape: [4, 5], kind: 'oneHot', constant: true }],
    fn: (logits, labels) => smoothedCrossEntropy(logits, labels, 0.1),
  },
  { name: 'add (broadcast)', inputs: [{ shape: [2, 3, 3, 2] }, { shape: [2] }], fn: (a, b) => tf.add(a, b) },
  { name: 'concat (channels)', inputs: [{ shape: [1, 3, 3, 2] }, { shape: [1, 3, 3, 3] }], fn: (a, b) => tf.concat([a, b], 3) },
  { name: 'pad (spatial)', inputs: [{ shape: [1, 3, 4, 2] }], fn: (x) => tf.pad(x, [[0, 0], [1, 2], [0, 1], [0, 0]]) },
  { name: 'slice', inputs: [{ shape: [2, 5, 5, 3] }], fn: (x) => tf.slice(x, [0, 1, 2, 1], [2, 3, 2, 2]) },
  { name: 'gather (repeated rows)', inputs: [{ shape: [5, 3] }], fn: (x) => tf.gather(x, tf.tensor1d([4, 0, 4, 2], 'int32')) },
  { name: 'gather axis 1', inputs: [{ shape: [2, 4, 3] }], fn: (x) => tf.gather(x, tf.tensor1d([3, 3, 1], 'int32'), 1) },
];
