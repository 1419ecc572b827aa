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
 * Sum and Mean over the leading axes of a float32 tensor on wasm as one XNNPACK average pooling:
 * with x viewed as [1, M, 1, R] (M the product of the reduced leading axes), an M×1 window gives
 * the mean of every column (×M for the sum). tfjs-backend-wasm 4.22 reduces only the innermost axes
 * and transposes first otherwise; over [N, H, W] of an NHWC activation (batch-norm statistics, the
 * gradient of every per-channel broadcast) that made Sum and Mean ×4–10 slower. (A GEMM with a ones
 * row is fast only when x is reused: XNNPACK packs the right operand for every new tensor.)
 * Other reductions go to tfjs's own kernel.
 */
type ReduceArgs = { inputs: { x: TensorInfo }; attrs: SumAttrs | MeanAttrs; backend: unknown };

/** M when `axis` is exactly the leading axes 0..k−1 (k < rank) of a float32 x, else null. */
function leadingCount(x: TensorInfo, axis: number | number[]): number | null {
  if (x.dtype !== 'float32' || x.shape.length < 2) return null;
  const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= x.shape.length || axes.some((a, i) => a !== i)) return null;
  const m = axes.reduce((n, a) => n * x.shape[a]!, 1);
  return m > 1 ? m : null;
}

function reduceLeading(args: ReduceArgs, m: number, mean: boolean): TensorInfo {
  const { x } = args.inputs;
  const { axis, keepDims } = args.attrs;
  const axes = util.parseAxisParam(axis, x.shape);
  const [kept] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const outShape = keepDims ? backend_util.expandShapeToKeepDim(kept, axes) : kept;
  const r = util.sizeFromShape(kept);
  return composite(args.backend, 'wasm', (k) => {
    const pooled = k.run(AvgPool, { x: k.reshape(x, [1, m, 1, r]) }, { filterSize: [m, 1], strides: [1, 1], pad: 'valid' });
    const s = mean ? pooled : k.mul(pooled, k.run(Fill, {}, { shape: [], value: m, dtype: 'float32' }));
    return k.reshape(s, outShape);
  });
}

/** Wraps tfjs-backend-wasm's own Sum/Mean: leading-axes reductions take the GEMM path. */
export function leadingReductionConfig(kernelName: typeof Sum | typeof Mean, original: KernelConfig): KernelConfig {
  const mean = kernelName === Mean;
  const fallback = original.kernelFunc;
  const kernelFunc = ((args: ReduceArgs) => {
    const m = leadingCount(args.inputs.x, args.attrs.axis);
    return m === null ? fallback(args as unknown as Parameters<KernelFunc>[0]) : reduceLeading(args, m, mean);
  }) as unknown as KernelFunc;
  // setupFunc binds the wasm exports the original calls; it runs when the backend initializes.
  return { kernelName, backendName: 'wasm', kernelFunc, setupFunc: original.setupFunc, disposeFunc: original.disposeFunc };
}
