import {
  backend_util,
  AvgPool,
  Fill,
  Mean,
  Sum,
  util,
  type KernelConfig,
  type KernelFunc,
  type MeanAttrs,
  type SumAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { composite } from './kernel-scope.js';

/**
 * Sum and Mean of a float32 tensor over a contiguous run of axes that excludes the last one, on wasm,
 * as one XNNPACK average pooling: with x viewed as [B, M, 1, R] (B the product of the axes before
 * the run, M of the run, R of the axes after it), an M×1 window gives the mean of each column (×M
 * for the sum). tfjs-backend-wasm 4.22 reduces only the innermost axes and transposes first
 * otherwise; over [N, H, W] (batch-norm statistics, the gradient of every per-channel broadcast) or
 * [H, W] (global average pooling) of an NHWC activation that made Sum and Mean ×4–10 slower. (A GEMM
 * with a ones row is fast only when x is reused: XNNPACK packs the right operand for every new
 * tensor.) Other reductions go to tfjs's own kernel.
 */
type ReduceArgs = { inputs: { x: TensorInfo }; attrs: SumAttrs | MeanAttrs; backend: unknown };

interface Run {
  readonly b: number;
  readonly m: number;
  readonly r: number;
}

/** [B, M, R] when `axis` is a contiguous run of axes of a float32 x that excludes the last one, else null. */
export function reductionRun(shape: readonly number[], dtype: string, axis: number | number[]): Run | null {
  if (dtype !== 'float32' || shape.length < 2) return null;
  const axes = [...new Set(util.parseAxisParam(axis, [...shape]))].sort((a, b) => a - b);
  if (axes.length === 0) return null;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  if (last >= shape.length - 1 || last - first + 1 !== axes.length) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((n, d) => n * d, 1);
  const run = { b: size(0, first), m: size(first, last + 1), r: size(last + 1, shape.length) };
  return run.m > 1 && run.b > 0 && run.r > 0 ? run : null;
}

function reduceRun(args: ReduceArgs, { b, m, r }: Run, mean: boolean): TensorInfo {
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs;
  const axes = util.parseAxisParam(axis, x.shape);
  const [kept] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const outShape = keepDims ? backend_util.expandShapeToKeepDim(kept, axes) : kept;
  return composite(args.backend, 'wasm', (k) => {
    const pooled = k.run(AvgPool, { x: k.reshape(x, [b, m, 1, r]) }, { filterSize: [m, 1], strides: [1, 1], pad: 'valid' });
    const s = mean ? pooled : k.mul(pooled, k.run(Fill, {}, { shape: [], value: m, dtype: 'float32' }));
    return k.reshape(s, outShape);
  });
}

/** Wraps tfjs-backend-wasm's own Sum/Mean: reductions over a run of non-innermost axes take the pooling path. */
export function axesRunReductionConfig(kernelName: typeof Sum | typeof Mean, original: KernelConfig): KernelConfig {
  const mean = kernelName === Mean;
  const fallback = original.kernelFunc;
  const kernelFunc = ((args: ReduceArgs) => {
    const run = reductionRun(args.inputs.x.shape, args.inputs.x.dtype, args.attrs.axis);
    return run === null ? fallback(args as unknown as Parameters<KernelFunc>[0]) : reduceRun(args, run, mean);
  }) as unknown as KernelFunc;
  // setupFunc binds the wasm exports the original calls; it runs when the backend initializes.
  // `wrapped` keeps tfjs's own config (benchmarks swap it back in for a same-process baseline).
  return { kernelName, backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc, disposeFunc: original.disposeFunc, wrapped: original } as KernelConfig;
}
