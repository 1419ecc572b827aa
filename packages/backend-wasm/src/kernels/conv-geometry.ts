import * as tf from '@tensorflow/tfjs-core';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];

/** Everything a gradient kernel needs to know about the forward convolution it differentiates. */
export interface ConvGeometry {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  /** Forward output channels (inChannels × multiplier for depthwise). */
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** Geometry of a forward conv (`depthwise` for DepthwiseConv2dNative), NHWC only. */
export function convGeometry(
  kernel: string,
  inShape: readonly number[],
  filterShape: readonly number[],
  strides: Pair,
  dilations: Pair,
  pad: Pad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
  dataFormat?: string,
): ConvGeometry {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`proxyless wasm ${kernel}: only dataFormat 'NHWC' is supported, got '${dataFormat}'`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Input rows (cols) the forward conv actually reads, counted from the top (left) of the padded
 * input: `(k - 1)·dilation + (out - 1)·stride + 1`.
 */
export function usedExtent(g: ConvGeometry): [number, number] {
  return [
    (g.filterHeight - 1) * g.dilationHeight + (g.outHeight - 1) * g.strideHeight + 1,
    (g.filterWidth - 1) * g.dilationWidth + (g.outWidth - 1) * g.strideWidth + 1,
  ];
}
