import * as tf from '@tensorflow/tfjs-core';

/**
 * Tensor ops of the tree-cell space whose tfjs-core defaults do not fit training: each is written
 * from ops whose gradients tfjs-core registers (and the wasm backend of @proxyless/backend-wasm
 * runs), and uses the single native kernel at inference, where no gradient is needed.
 */

/**
 * Depthwise k×k conv, stride 1, `same` padding, with dilation d. tfjs-core has no gradient for a
 * dilated depthwise conv, so training runs the space-to-batch form (how TensorFlow implements
 * atrous convolution): pad by the dilated kernel's `same` padding plus enough for a multiple of d,
 * SpaceToBatchND(d×d) → dilation-1 `valid` depthwise conv → BatchToSpaceND, every step of which has
 * a registered gradient. Inference (and d = 1) calls the native dilated kernel.
 */
export function depthwiseConvDilated(x: tf.Tensor4D, filter: tf.Tensor4D, dilation: number, training: boolean): tf.Tensor4D {
  if (dilation === 1) return tf.depthwiseConv2d(x, filter, 1, 'same');
  if (!training) return tf.depthwiseConv2d(x, filter, 1, 'same', 'NHWC', [dilation, dilation]);
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const k = filter.shape[0];
    const total = (k - 1) * dilation; // `same` padding of the dilated kernel at stride 1
    const before = Math.floor(total / 2);
    const after = total - before;
    const extraH = (dilation - ((h + total) % dilation)) % dilation;
    const extraW = (dilation - ((w + total) % dilation)) % dilation;
    const s = tf.spaceToBatchND(x, [dilation, dilation], [
      [before, after + extraH],
      [before, after + extraW],
    ]);
    const y = tf.depthwiseConv2d(s as tf.Tensor4D, filter, 1, 'valid');
    return tf.batchToSpaceND(y, [dilation, dilation], [
      [0, extraH],
      [0, extraW],
    ]) as tf.Tensor4D;
  });
}

const countCache = new Map<string, Float32Array>();

/** (k·k)/(cells of each `same`-padded k×k stride-1 window inside an h×w input), per output pixel. */
function windowScale(h: number, w: number, k: number): Float32Array {
  const key = `${h}x${w}k${k}`;
  let s = countCache.get(key);
  if (!s) {
    const p = Math.floor(k / 2);
    const span = (i: number, n: number) => Math.min(n, i + p + 1) - Math.max(0, i - p);
    s = new Float32Array(h * w);
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) s[i * w + j] = (k * k) / (span(i, h) * span(j, w));
    countCache.set(key, s);
  }
  return s;
}

/**
 * k×k average pooling, stride 1, `same` padding, padding excluded from the average (PyTorch's
 * `count_include_pad=False`, TensorFlow's `same`). tfjs 4.22's AvgPoolGrad divides every window
 * by k² even where padding cuts it, so training runs zero-pad → `valid` average pool → rescale by
 * k²/valid cells (gradients of pad and of an unpadded pool are exact). Inference: `tf.avgPool`.
 */
export function avgPoolSame(x: tf.Tensor4D, k: number, training: boolean): tf.Tensor4D {
  if (!training) return tf.avgPool(x, k, 1, 'same');
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const p = Math.floor(k / 2);
    const pooled = tf.avgPool(tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]), k, 1, 'valid');
    return tf.mul(pooled, tf.tensor4d(windowScale(h, w, k), [1, h, w, 1])) as tf.Tensor4D;
  });
}

/**
 * k×k conv with PyTorch's symmetric padding k//2 (at stride 2, TensorFlow's `same` pads only
 * after, which shifts the sampled grid by a pixel; this is the authors' layer).
 */
export function convSymmetric(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number): tf.Tensor4D {
  const k = filter.shape[0];
  if (stride === 1 || k === 1) return tf.conv2d(x, filter, stride, k === 1 ? 'valid' : 'same');
  const p = Math.floor(k / 2);
  return tf.tidy(() => tf.conv2d(tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]), filter, stride, 'valid'));
}

/**
 * Channel shuffle of two groups after a grouped conv (ShuffleNet; `shuffle_layer` of the authors):
 * output channel 2j + g is channel j of group g. Built as stack + reshape (no 5-D transpose).
 */
export function shuffleTwo(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = a.shape;
    return tf.reshape(tf.stack([a, b], 4), [n, h, w, 2 * c]) as tf.Tensor4D;
  });
}
