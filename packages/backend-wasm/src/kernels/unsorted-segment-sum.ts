import {
  BatchMatMul,
  Cast,
  OneHot,
  UnsortedSegmentSum,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  type UnsortedSegmentSumAttrs,
  type UnsortedSegmentSumInputs,
} from '@tensorflow/tfjs-core';
import { composite } from './kernel-scope.js';

/**
 * UnsortedSegmentSum on wasm (missing there, so the gradient of `tf.gather` throws): with the ids
 * flattened to M and x to [M, R], the result is oneHot(ids, S)ᵀ · x — one GEMM. Ids outside
 * [0, S) get an all-zero one-hot row and are dropped, as tfjs specifies.
 */
function unsortedSegmentSum(args: { inputs: UnsortedSegmentSumInputs; attrs: UnsortedSegmentSumAttrs; backend: unknown }): TensorInfo {
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const { numSegments } = args.attrs;
  const m = segmentIds.shape.reduce((a, b) => a * b, 1);
  const rest = x.shape.slice(segmentIds.shape.length);
  const r = rest.reduce((a, b) => a * b, 1);
  return composite(args.backend, 'wasm', (k) => {
    const ids = k.reshape(segmentIds.dtype === 'int32' ? segmentIds : k.run(Cast, { x: segmentIds }, { dtype: 'int32' }), [m]);
    // wasm's OneHot yields int32 whatever dtype is asked for: cast before the GEMM
    const hot = k.run(Cast, { x: k.run(OneHot, { indices: ids }, { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' }) }, { dtype: 'float32' });
    const xf = k.reshape(x.dtype === 'float32' ? x : k.run(Cast, { x }, { dtype: 'float32' }), [1, m, r]);
    const sum = k.run(BatchMatMul, { a: k.reshape(hot, [1, m, numSegments]), b: xf }, { transposeA: true, transposeB: false });
    const out = k.reshape(sum, [numSegments, ...rest]);
    return x.dtype === 'float32' ? out : k.run(Cast, { x: out }, { dtype: x.dtype });
  });
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
