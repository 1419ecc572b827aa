import * as tf from '@tensorflow/tfjs-core';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];

/** Valid (non-padding) cells of each pooling window along one axis. */
function validCounts(outSize: number, inSize: number, k: number, stride: number, padBefore: number): number[] {
  return Array.from({ length: outSize }, (_, p) => {
    const start = p * stride - padBefore;
    return Math.min(inSize, start + k) - Math.max(0, start);
  });
}

/**
 * Average pooling (NHWC) with a correct gradient on every backend. tfjs 4.22's AvgPoolGrad (cpu and
 * wasm) divides every window by filterH·filterW, but the forward pass averages only the cells
 * inside the input where `same` padding cuts a window: at the borders the gradient is too small.
 * Here the forward is `tf.avgPool` and the gradient rescales dy by window/valid-count before the
 * backend's AvgPoolGrad, which makes it exact. Without padding it equals `tf.avgPool`'s gradient.
 */
export function avgPool2d<T extends tf.Tensor4D>(x: T, filterSize: Pair, strides: Pair, pad: Pad): T {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    save([input]);
    const value = tf.avgPool(input, filterSize, strides, pad);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const [sx] = saved as [tf.Tensor4D];
      const info = tf.backend_util.computePool2DInfo(sx.shape, filterSize, strides, 1, pad);
      const { filterHeight: fh, filterWidth: fw } = info;
      const rows = validCounts(info.outHeight, info.inHeight, fh, info.strideHeight, info.padInfo.top);
      const cols = validCounts(info.outWidth, info.inWidth, fw, info.strideWidth, info.padInfo.left);
      const scale = new Float32Array(rows.length * cols.length);
      rows.forEach((r, i) => cols.forEach((c, j) => { scale[i * cols.length + j] = (fh * fw) / (r * c); }));
      return tf.tidy(() => {
        const scaled = tf.mul(dy, tf.tensor4d(scale, [1, rows.length, cols.length, 1]));
        return tf.engine().runKernel(tf.AvgPoolGrad, { dy: scaled, input: sx }, { filterSize, strides, pad }) as tf.Tensor;
      });
    };
    return { value, gradFunc };
  });
  return f(x) as T;
}
