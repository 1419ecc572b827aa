import * as tf from '@tensorflow/tfjs-core';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];

function pair(v: Pair): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * Space-to-batch plan of a stride-1 conv with dilation d: pad the input by the forward conv's own
 * padding plus enough to make every spatial size a multiple of d, then a dilation-1 conv on each of
 * the d·d phases (SpaceToBatchND) is the dilated conv.
 */
function plan(xShape: readonly number[], filterShape: readonly number[], dilation: [number, number], pad: Pad, depthwise: boolean) {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], 1, dilation, pad, undefined, depthwise,
  );
  const { top, bottom, left, right } = info.padInfo;
  const [dh, dw] = dilation;
  const extraH = (dh - ((info.inHeight + top + bottom) % dh)) % dh;
  const extraW = (dw - ((info.inWidth + left + right) % dw)) % dw;
  return {
    block: [dh, dw],
    /** SpaceToBatchND paddings of x (and BatchToSpaceND crops of the input gradient). */
    inputPads: [[top, bottom + extraH], [left, right + extraW]] as [number, number][],
    /** BatchToSpaceND crops of the output (and SpaceToBatchND paddings of the output gradient). */
    outputCrops: [[0, extraH], [0, extraW]] as [number, number][],
  };
}

function dilatedGrad(
  kind: 'depthwise' | 'conv',
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  pad: Pad,
  dilation: [number, number],
): tf.Tensor4D {
  const fwd = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x4, f4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, f4]);
    const value = kind === 'depthwise'
      ? tf.depthwiseConv2d(x4, f4, 1, pad, 'NHWC', dilation)
      : tf.conv2d(x4, f4, 1, pad, 'NHWC', dilation);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sf] = saved as [tf.Tensor4D, tf.Tensor4D];
      const p = plan(sx.shape, sf.shape, dilation, pad, kind === 'depthwise');
      return tf.tidy(() => {
        const xs = tf.spaceToBatchND(sx, p.block, p.inputPads);
        const dys = tf.spaceToBatchND(dy as tf.Tensor4D, p.block, p.outputCrops);
        const engine = tf.engine();
        const attrs = { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' };
        const dxs = engine.runKernel(
          kind === 'depthwise' ? tf.DepthwiseConv2dNativeBackpropInput : tf.Conv2DBackpropInput,
          { dy: dys, filter: sf },
          { ...attrs, inputShape: xs.shape },
        ) as tf.Tensor4D;
        const df = engine.runKernel(
          kind === 'depthwise' ? tf.DepthwiseConv2dNativeBackpropFilter : tf.Conv2DBackpropFilter,
          { x: xs, dy: dys },
          { ...attrs, filterShape: sf.shape },
        ) as tf.Tensor4D;
        return [tf.batchToSpaceND(dxs, p.block, p.inputPads), df];
      });
    };
    return { value, gradFunc };
  });
  return fwd(x, filter) as tf.Tensor4D;
}

/**
 * Depthwise conv (stride 1) with dilation whose gradient works on every backend. tfjs-core throws
 * on the gradient of a depthwise conv with dilation > 1, and backends' backprop kernels ignore
 * dilations; here the forward pass is the backend's native dilated conv and the gradient is the
 * space-to-batch form (SpaceToBatchND → dilation-1 backprop kernels → BatchToSpaceND), which is
 * exact. With dilation 1 (or stride > 1) this is plain `tf.depthwiseConv2d`.
 */
export function depthwiseConv2dDilated<T extends tf.Tensor3D | tf.Tensor4D>(
  x: T,
  filter: tf.Tensor4D,
  strides: Pair,
  pad: Pad,
  dilation: Pair,
): T {
  return dilatedOp('depthwise', x, filter, strides, pad, dilation);
}

/** Regular 2-D conv counterpart of `depthwiseConv2dDilated` (tfjs's Conv2D gradient also rejects dilation > 1). */
export function conv2dDilated<T extends tf.Tensor3D | tf.Tensor4D>(
  x: T,
  filter: tf.Tensor4D,
  strides: Pair,
  pad: Pad,
  dilation: Pair,
): T {
  return dilatedOp('conv', x, filter, strides, pad, dilation);
}

function dilatedOp<T extends tf.Tensor3D | tf.Tensor4D>(kind: 'depthwise' | 'conv', x: T, filter: tf.Tensor4D, strides: Pair, pad: Pad, dilation: Pair): T {
  const d = pair(dilation);
  const s = pair(strides);
  const plain = (): T => (kind === 'depthwise'
    ? tf.depthwiseConv2d(x, filter, strides, pad, 'NHWC', dilation)
    : tf.conv2d(x, filter, strides, pad, 'NHWC', dilation));
  if (d[0] === 1 && d[1] === 1) return plain();
  if (s[0] !== 1 || s[1] !== 1) {
    throw new Error(`proxyless: ${kind === 'depthwise' ? 'depthwiseConv2dDilated' : 'conv2dDilated'}: stride ${s.join('×')} with dilation ${d.join('×')}; one of them must be 1`);
  }
  if (x.rank === 3) {
    return tf.tidy(() => tf.squeeze(dilatedGrad(kind, tf.expandDims(x, 0) as tf.Tensor4D, filter, pad, d), [0])) as T;
  }
  return dilatedGrad(kind, x as tf.Tensor4D, filter, pad, d) as T;
}
