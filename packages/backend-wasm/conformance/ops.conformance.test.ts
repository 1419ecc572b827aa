import * as tf from '@tensorflow/tfjs-core';
import { avgPool2d, conv2dDilated, depthwiseConv2dDilated } from '@proxyless/backend-wasm';
import { SEARCH_SPACE_OP_CASES, runConformanceSuite, type Exclusions, type OpCase } from '@proxyless/test-utils';

const s4 = (x: tf.Tensor) => x as tf.Tensor4D;

/** Ops of this package: dilated convs (tfjs-core cannot differentiate them) and average pooling with a correct gradient. */
const PACKAGE_OP_CASES: readonly OpCase[] = [
  { name: 'depthwiseConv2dDilated 3x3 d2 same', inputs: [{ shape: [1, 7, 7, 2] }, { shape: [3, 3, 2, 1] }], fn: (x, f) => depthwiseConv2dDilated(s4(x), s4(f), 1, 'same', 2) },
  { name: 'depthwiseConv2dDilated 5x5 d2 same', inputs: [{ shape: [2, 8, 6, 2] }, { shape: [5, 5, 2, 1] }], fn: (x, f) => depthwiseConv2dDilated(s4(x), s4(f), 1, 'same', 2) },
  { name: 'depthwiseConv2dDilated 3x3 d2 valid odd', inputs: [{ shape: [1, 9, 7, 3] }, { shape: [3, 3, 3, 1] }], fn: (x, f) => depthwiseConv2dDilated(s4(x), s4(f), 1, 'valid', 2) },
  { name: 'depthwiseConv2dDilated 3x3 d3 same multiplier 2', inputs: [{ shape: [1, 7, 7, 2] }, { shape: [3, 3, 2, 2] }], fn: (x, f) => depthwiseConv2dDilated(s4(x), s4(f), 1, 'same', 3) },
  { name: 'avgPool2d 3x3 s1 same (corrected gradient)', inputs: [{ shape: [1, 5, 5, 2] }], fn: (x) => avgPool2d(s4(x), 3, 1, 'same') },
  { name: 'avgPool2d 3x3 s2 same odd (corrected gradient)', inputs: [{ shape: [2, 7, 7, 2] }], fn: (x) => avgPool2d(s4(x), 3, 2, 'same') },
  { name: 'conv2dDilated 3x3 d2 same', inputs: [{ shape: [1, 7, 7, 2] }, { shape: [3, 3, 2, 3] }], fn: (x, f) => conv2dDilated(s4(x), s4(f), 1, 'same', 2) },
];

/**
 * Exclusions per backend, each with its reason (the tensorflow project skips as a whole where
 * @tensorflow/tfjs-node is not installed).
 */
export const EXCLUSIONS: Exclusions = {};

runConformanceSuite('search-space ops', { cases: [...SEARCH_SPACE_OP_CASES, ...PACKAGE_OP_CASES], exclusions: EXCLUSIONS });
