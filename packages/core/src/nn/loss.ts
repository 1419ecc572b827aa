import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean softmax cross-entropy of logits [N, K] against int labels [N], with optional label
 * smoothing ε (targets (1−ε)·onehot + ε/K).
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const k = logits.shape[logits.rank - 1]!;
    let target = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), k), 'float32');
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / k);
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), -1))) as tf.Scalar;
  });
}

/** Number of correct argmax predictions. */
export function countCorrect(logits: tf.Tensor, labels: tf.Tensor1D): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'int32')).dataSync()[0]!);
}
