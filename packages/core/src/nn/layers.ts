import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import type { ForwardContext, Module, NamedVariable } from './module.js';

/** Float32 array of He-normal (fan-in) draws, fully determined by the rng. */
export function heNormal(rng: Rng, size: number, fanIn: number): Float32Array {
  const std = Math.sqrt(2 / Math.max(1, fanIn));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal(0, std);
  return out;
}

/**
 * Creates a variable. tfjs variable names must be unique per process, so the tfjs name is left
 * automatic; the stable name used by checkpoints and exports lives in `NamedVariable.name`.
 */
function weight(shape: number[], values: Float32Array, trainable = true): tf.Variable {
  return newVariable(() => tf.tensor(values, shape, 'float32'), trainable);
}

/**
 * A variable holding `init()`'s value, with the initializer tensor released (`tf.variable(t)` alone
 * keeps `t` alive beside the variable: one leaked tensor per variable).
 */
export function newVariable(init: () => tf.Tensor, trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(init(), trainable));
}

export interface Conv2dOptions {
  readonly kernel: number;
  readonly stride?: number;
  readonly bias?: boolean;
}

/** k×k convolution, `same` padding, NHWC; weights [k,k,in,out], optional bias. */
export class Conv2d implements Module {
  readonly w: tf.Variable;
  readonly b?: tf.Variable;
  readonly stride: number;

  constructor(readonly name: string, readonly inChannels: number, readonly outChannels: number, opts: Conv2dOptions, rng: Rng) {
    const k = opts.kernel;
    this.stride = opts.stride ?? 1;
    this.w = weight([k, k, inChannels, outChannels], heNormal(rng, k * k * inChannels * outChannels, k * k * outChannels));
    if (opts.bias) this.b = weight([outChannels], new Float32Array(outChannels));
  }

  apply(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const y = tf.conv2d(x as tf.Tensor4D, this.w as tf.Tensor4D, this.stride, 'same');
      return this.b ? tf.add(y, this.b) : y;
    });
  }

  variables(): NamedVariable[] {
    const v: NamedVariable[] = [{ name: `${this.name}/kernel`, variable: this.w, trainable: true }];
    if (this.b) v.push({ name: `${this.name}/bias`, variable: this.b, trainable: true });
    return v;
  }
}

/** k×k depthwise convolution (channel multiplier 1), `same` padding; filter [k,k,C,1]. */
export class DepthwiseConv2d implements Module {
  readonly w: tf.Variable;

  constructor(readonly name: string, readonly channels: number, readonly kernel: number, readonly stride: number, rng: Rng) {
    this.w = weight([kernel, kernel, channels, 1], heNormal(rng, kernel * kernel * channels, kernel * kernel));
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (ctx.training && hasKernel(FUSED_KERNEL_NAMES.depthwiseForward, x, this.w)) return depthwiseTraining(x as tf.Tensor4D, this.w as tf.Tensor4D, this.stride);
    return tf.depthwiseConv2d(x as tf.Tensor4D, this.w as tf.Tensor4D, this.stride, 'same');
  }

  variables(): NamedVariable[] {
    return [{ name: `${this.name}/depthwise_kernel`, variable: this.w, trainable: true }];
  }
}

/**
 * tf.depthwiseConv2d(x, filter, stride, 'same') through the backend's fused forward kernel, with
 * tfjs's two gradient kernels (what tf.depthwiseConv2d's registered gradient runs) for the backward.
 */
function depthwiseTraining(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number): tf.Tensor {
  const attrs = { strides: [stride, stride] as [number, number], pad: 'same' as const, dilations: [1, 1] as [number, number] };
  const f = tf.customGrad(((xIn: tf.Tensor4D, w: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([xIn, w]);
    return {
      value: tf.engine().runKernel(FUSED_KERNEL_NAMES.depthwiseForward, { x: xIn, filter: w }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        return [
          tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: ws }, { ...attrs, inputShape: xs.shape }) as tf.Tensor,
          tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x: xs, dy }, { ...attrs, filterShape: ws.shape }) as tf.Tensor,
        ];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, filter);
}

export interface BatchNormOptions {
  /** PyTorch convention: running = (1 − momentum)·running + momentum·batch. */
  readonly momentum?: number;
  readonly eps?: number;
  /** Initial γ (default 1). 0 starts the layer's output at β = 0: the last batch norm of a residual branch, whose block then starts as the identity. */
  readonly gammaInit?: number;
}

/**
 * Names of fused kernels a backend may register (@proxyless/backend-wasm does, for `wasm`): when the
 * active backend has one, batch norm and ReLU6 dispatch to it; otherwise they compose tfjs ops.
 *  - batchNormForward: inputs x [..., C], gamma, beta [C]; attrs eps, relu6 → [y, mean, biased variance]
 *  - batchNormBackward: inputs dy, x, mean, variance, gamma (and beta with relu6); attrs eps, relu6 →
 *    [dx, dGamma, dBeta] (relu6: the gradient of the forward with relu6, dy masked where 0 < y ≤ 6)
 *  - relu6Grad: inputs dy, x → dy where 0 < x ≤ 6, else 0
 *  - depthwiseForward: inputs x [N, H, W, C], filter [kh, kw, C, 1]; attrs strides, pad, dilations →
 *    y, as DepthwiseConv2dNative (training steps only: inference keeps tfjs's kernel)
 */
export const FUSED_KERNEL_NAMES = {
  batchNormForward: 'ProxylessBatchNormForward',
  batchNormBackward: 'ProxylessBatchNormBackward',
  relu6Grad: 'ProxylessRelu6Grad',
  depthwiseForward: 'ProxylessDepthwiseForward',
} as const;

/** Whether the active backend registers this kernel (float32 inputs only reach fused kernels). */
function hasKernel(name: string, ...inputs: tf.Tensor[]): boolean {
  return inputs.every((t) => t.dtype === 'float32') && tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Every axis but the last (channels): what batch statistics reduce over. */
function statisticsAxes(x: tf.Tensor): number[] {
  return x.shape.slice(0, -1).map((_, i) => i);
}

/** Batch mean, centred input and (biased) variance over `axes`, from the centred input (numerically safer than E[x²] − E[x]²). */
function batchMoments(x: tf.Tensor, axes: number[]): { mean: tf.Tensor; xc: tf.Tensor; variance: tf.Tensor } {
  const mean = tf.mean(x, axes);
  const xc = tf.sub(x, mean);
  return { mean, xc, variance: tf.mean(tf.square(xc), axes) };
}

/**
 * Batch normalization with batch statistics over every axis but the last (training mode):
 * (x − mean)·rsqrt(var + eps)·γ + β, with a hand-written gradient. Only element-wise passes and
 * reductions over the leading axes (fast on wasm with @proxyless/backend-wasm), no `tf.moments`
 * (its broadcasting squared difference is slow there); keeps one activation-sized tensor for the
 * backward pass (the centred input). `onStatistics` receives the batch mean and the unbiased
 * variance (for running averages). `relu6`: ReLU6 after it, with the same values and gradients as
 * `relu6Op(batchNormTraining(…))`; on a backend with the fused kernels that is one forward kernel
 * (its `relu6` attribute) and one backward kernel (the mask recomputed from x), so neither a ReLU6
 * pass nor its gradient pass.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  onStatistics?: (mean: tf.Tensor, unbiasedVariance: tf.Tensor) => void,
  relu6 = false,
): tf.Tensor {
  const axes = statisticsAxes(x);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  if (hasKernel(FUSED_KERNEL_NAMES.batchNormForward, x, gamma, beta) && hasKernel(FUSED_KERNEL_NAMES.batchNormBackward)) {
    return fusedBatchNormTraining(x, gamma, beta, eps, count, onStatistics, relu6);
  }
  if (relu6) return relu6Op(batchNormTraining(x, gamma, beta, eps, onStatistics));
  const f = tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const { mean, xc, variance } = batchMoments(xIn, axes);
    onStatistics?.(mean, count > 1 ? tf.mul(variance, count / (count - 1)) : variance);
    const inv = tf.rsqrt(tf.add(variance, eps));
    save([xc, inv, g]);
    return {
      value: tf.add(tf.mul(xc, tf.mul(inv, g)), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xcs, r, gs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        // x̂ = xc·r; dβ = Σdy; dγ = Σdy·x̂ = r·Σdy·xc;
        // dx = γr·(dy − dβ/M − x̂·dγ/M) = a·dy + b·xc + c, per channel a = γr, b = −γr²·dγ/M, c = −γr·dβ/M.
        const dBeta = tf.sum(dy, axes);
        const dGamma = tf.mul(tf.sum(tf.mul(dy, xcs), axes), r);
        const a = tf.mul(gs, r);
        const bc = tf.mul(tf.mul(a, r), tf.mul(dGamma, -1 / count));
        const c = tf.mul(a, tf.mul(dBeta, -1 / count));
        return [tf.add(tf.add(tf.mul(dy, a), tf.mul(xcs, bc)), c), dGamma, dBeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, gamma, beta);
}

/** batchNormTraining (then ReLU6, `relu6`) on the backend's fused kernels: keeps x, mean and variance (and β) for the backward pass. */
function fusedBatchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  count: number,
  onStatistics?: (mean: tf.Tensor, unbiasedVariance: tf.Tensor) => void,
  relu6 = false,
): tf.Tensor {
  const f = tf.customGrad(((xIn: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, variance] = tf.engine().runKernel(FUSED_KERNEL_NAMES.batchNormForward, { x: xIn, gamma: g, beta: b }, { eps, relu6 }) as tf.Tensor[];
    onStatistics?.(mean!, count > 1 ? tf.mul(variance!, count / (count - 1)) : variance!);
    save(relu6 ? [xIn, mean!, variance!, g, b] : [xIn, mean!, variance!, g]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ms, vs, gs, bs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
        const inputs = { dy, x: xs, mean: ms, variance: vs, gamma: gs, ...(bs ? { beta: bs } : {}) };
        return tf.engine().runKernel(FUSED_KERNEL_NAMES.batchNormBackward, inputs, { eps, relu6 }) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, gamma, beta);
}

/**
 * Batch normalization over N, H, W (NHWC) or N (NC). Training mode uses batch statistics and
 * updates the running ones; its forward is one custom-gradient op whose backward keeps only the
 * input (x̂ is recomputed), where the composed form (moments, sub, mul, rsqrt, …) would keep about six
 * activation-sized intermediates per layer on the tape — ≈3× less memory for a training step of an
 * MBConv network.
 */
export class BatchNorm implements Module {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;
  readonly momentum: number;
  readonly eps: number;

  constructor(readonly name: string, readonly channels: number, opts: BatchNormOptions = {}) {
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-3;
    this.gamma = weight([channels], new Float32Array(channels).fill(opts.gammaInit ?? 1));
    this.beta = weight([channels], new Float32Array(channels));
    this.movingMean = weight([channels], new Float32Array(channels), false);
    this.movingVariance = weight([channels], new Float32Array(channels).fill(1), false);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!ctx.training) {
      return tf.tidy(() => {
        // One fused kernel, as a deployed model runs it (measured latencies time this path at batch 1,
        // where the number of ops, not their size, decides).
        if (!ctx.batchStatistics) return tf.batchNorm(x, this.movingMean, this.movingVariance, this.beta, this.gamma, this.eps);
        // Evaluation with batch statistics (REINFORCE rewards, the search's validation): the backend's
        // fused kernel when it has one (statistics and normalization in 3 passes, no gradient needed).
        if (hasKernel(FUSED_KERNEL_NAMES.batchNormForward, x, this.gamma, this.beta)) {
          return (tf.engine().runKernel(FUSED_KERNEL_NAMES.batchNormForward, { x, gamma: this.gamma, beta: this.beta }, { eps: this.eps, relu6: false }) as tf.Tensor[])[0]!;
        }
        const { mean, variance } = batchMoments(x, statisticsAxes(x));
        return tf.batchNorm(x, mean, variance, this.beta, this.gamma, this.eps);
      });
    }
    return batchNormTraining(x, this.gamma, this.beta, this.eps, this.updateStatistics);
  }

  /**
   * ReLU6 after this batch norm: `relu6For(this.apply(x, ctx), ctx)`, the same values and gradients,
   * in training one fused op on backends that have the kernels (`batchNormTraining` with `relu6`).
   */
  applyRelu6(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!ctx.training) return tf.tidy(() => tf.relu6(this.apply(x, ctx)));
    return batchNormTraining(x, this.gamma, this.beta, this.eps, this.updateStatistics, true);
  }

  /** Running averages ← (1 − momentum)·running + momentum·batch statistics. */
  private readonly updateStatistics = (mean: tf.Tensor, unbiased: tf.Tensor): void => {
    const m = this.momentum;
    this.movingMean.assign(tf.add(tf.mul(this.movingMean, 1 - m), tf.mul(mean, m)));
    this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, 1 - m), tf.mul(unbiased, m)));
  };

  variables(): NamedVariable[] {
    return [
      { name: `${this.name}/gamma`, variable: this.gamma, trainable: true },
      { name: `${this.name}/beta`, variable: this.beta, trainable: true },
      { name: `${this.name}/moving_mean`, variable: this.movingMean, trainable: false },
      { name: `${this.name}/moving_variance`, variable: this.movingVariance, trainable: false },
    ];
  }
}

/** Fully connected layer on [N, in]: weights [in,out], bias [out]. */
export class Dense implements Module {
  readonly w: tf.Variable;
  readonly b?: tf.Variable;

  constructor(readonly name: string, readonly inFeatures: number, readonly outFeatures: number, rng: Rng, bias = true) {
    const bound = 1 / Math.sqrt(inFeatures);
    const values = new Float32Array(inFeatures * outFeatures);
    for (let i = 0; i < values.length; i++) values[i] = (rng.next() * 2 - 1) * bound;
    this.w = weight([inFeatures, outFeatures], values);
    if (bias) this.b = weight([outFeatures], new Float32Array(outFeatures));
  }

  apply(x: tf.Tensor, _ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const y = tf.matMul(x as tf.Tensor2D, this.w as tf.Tensor2D);
      return this.b ? tf.add(y, this.b) : y;
    });
  }

  variables(): NamedVariable[] {
    const v: NamedVariable[] = [{ name: `${this.name}/kernel`, variable: this.w, trainable: true }];
    if (this.b) v.push({ name: `${this.name}/bias`, variable: this.b, trainable: true });
    return v;
  }
}

/** A stateless function as a module (activations, pooling, reshape). */
export class Lambda implements Module {
  constructor(readonly name: string, private readonly fn: (x: tf.Tensor, ctx: ForwardContext) => tf.Tensor) {}
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => this.fn(x, ctx));
  }
  variables(): NamedVariable[] {
    return [];
  }
}

/** Modules applied in order. */
export class Sequential implements Module {
  constructor(readonly name: string, readonly layers: readonly Module[]) {}
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => this.layers.reduce<tf.Tensor>((h, layer) => layer.apply(h, ctx), x));
  }
  variables(): NamedVariable[] {
    return this.layers.flatMap((l) => l.variables());
  }
}

/** `x + f(x)`: a residual block around a module (its output shape must match its input's). */
export class Residual implements Module {
  constructor(readonly name: string, readonly body: Module) {}
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => tf.add(x, this.body.apply(x, ctx)));
  }
  variables(): NamedVariable[] {
    return this.body.variables();
  }
}

export const relu = (name = 'relu'): Lambda => new Lambda(name, (x) => tf.relu(x));
export const relu6 = (name = 'relu6'): Lambda => new Lambda(name, relu6For);

/**
 * ReLU6 in a forward pass: `relu6Op` (cheap gradient) when training, plain `tf.relu6` otherwise —
 * one op fewer at batch 1, where measured latencies are timed.
 */
export function relu6For(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
  return ctx.training ? relu6Op(x) : tf.relu6(x);
}

/**
 * min(max(x, 0), 6) with the same gradient as `tf.relu6` (dy where 0 < x ≤ 6, else 0), computed as
 * dy·(step(x) − step(x − 6)): element-wise passes only (or the backend's fused `relu6Grad` kernel:
 * one pass). tfjs's own gradient builds the mask from LessEqual and a bool→float Cast, ×4 slower on wasm.
 */
export function relu6Op(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((xIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xIn]);
    return {
      value: tf.relu6(xIn),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const xs = saved[0]!;
        if (hasKernel(FUSED_KERNEL_NAMES.relu6Grad, dy, xs)) return [tf.engine().runKernel(FUSED_KERNEL_NAMES.relu6Grad, { dy, x: xs }) as tf.Tensor];
        return [tf.mul(dy, tf.sub(tf.step(xs), tf.step(tf.sub(xs, 6))))];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}
export const globalAvgPool = (name = 'global_avg_pool'): Lambda => new Lambda(name, (x) => tf.mean(x, [1, 2]));

/** Number of scalar weights in trainable variables. */
export function countParameters(vars: readonly NamedVariable[]): number {
  return vars.filter((v) => v.trainable).reduce((n, v) => n + v.variable.size, 0);
}
