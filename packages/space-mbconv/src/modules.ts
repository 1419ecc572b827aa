import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2d,
  Dense,
  DepthwiseConv2d,
  type BatchNormOptions,
  type ForwardContext,
  type Module,
  type NamedVariable,
  type Rng,
} from '@proxyless/core';
import { midChannels, type ConvGeometry, type MBConvGeometry } from './geometry.js';

/** k×k conv → BN → ReLU6 (`ConvLayer` with `ops_order: weight_bn_act`), or without the activation. */
export class ConvBn implements Module {
  readonly conv: Conv2d;
  readonly bn: LeanBatchNorm;

  constructor(readonly name: string, readonly geometry: ConvGeometry, bn: BatchNormOptions, rng: Rng, readonly act = true) {
    this.conv = new Conv2d(`${name}/conv`, geometry.input[2], geometry.output[2], { kernel: geometry.kernel, stride: geometry.stride }, rng);
    this.bn = new LeanBatchNorm(`${name}/bn`, geometry.output[2], bn);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const y = this.bn.apply(this.conv.apply(x, ctx), ctx);
      return this.act ? tf.relu6(y) : y;
    });
  }

  variables(): NamedVariable[] {
    return [...this.conv.variables(), ...this.bn.variables()];
  }
}

/**
 * The inverted-residual conv of an MBConv block (`MBInvertedConvLayer`): 1×1 expand → BN → ReLU6
 * (absent when the expand ratio is 1) → depthwise k×k (stride) → BN → ReLU6 → 1×1 project → BN.
 * The shortcut is the block's business (see `MBConvNetwork`), so a mixed op can pick `zero`.
 */
export class MBConv implements Module {
  readonly expandConv?: Conv2d;
  readonly expandBn?: LeanBatchNorm;
  readonly depthwise: DepthwiseConv2d;
  readonly depthwiseBn: LeanBatchNorm;
  readonly project: Conv2d;
  readonly projectBn: LeanBatchNorm;
  readonly mid: number;

  constructor(readonly name: string, readonly geometry: MBConvGeometry, bn: BatchNormOptions, rng: Rng) {
    const inC = geometry.input[2];
    const outC = geometry.output[2];
    this.mid = geometry.expand === 1 ? inC : midChannels(inC, geometry.expand);
    if (geometry.expand !== 1) {
      this.expandConv = new Conv2d(`${name}/expand/conv`, inC, this.mid, { kernel: 1 }, rng);
      this.expandBn = new LeanBatchNorm(`${name}/expand/bn`, this.mid, bn);
    }
    this.depthwise = new DepthwiseConv2d(`${name}/depthwise/conv`, this.mid, geometry.kernel, geometry.stride, rng);
    this.depthwiseBn = new LeanBatchNorm(`${name}/depthwise/bn`, this.mid, bn);
    this.project = new Conv2d(`${name}/project/conv`, this.mid, outC, { kernel: 1 }, rng);
    this.projectBn = new LeanBatchNorm(`${name}/project/bn`, outC, bn);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      if (this.expandConv && this.expandBn) h = tf.relu6(this.expandBn.apply(this.expandConv.apply(h, ctx), ctx));
      h = tf.relu6(this.depthwiseBn.apply(this.depthwise.apply(h, ctx), ctx));
      return this.projectBn.apply(this.project.apply(h, ctx), ctx);
    });
  }

  variables(): NamedVariable[] {
    return [
      ...(this.expandConv ? this.expandConv.variables() : []),
      ...(this.expandBn ? this.expandBn.variables() : []),
      ...this.depthwise.variables(),
      ...this.depthwiseBn.variables(),
      ...this.project.variables(),
      ...this.projectBn.variables(),
    ];
  }
}

/** The `zero` candidate's module: outputs zeros of the input's shape (only reached in tests; MixedOp never runs it). */
export class ZeroOp implements Module {
  constructor(readonly name: string) {}
  apply(x: tf.Tensor): tf.Tensor {
    return tf.zerosLike(x);
  }
  variables(): NamedVariable[] {
    return [];
  }
}

/** Global average pooling → dropout (training only) → linear classifier. */
export class Classifier implements Module {
  readonly dense: Dense;

  constructor(readonly name: string, inFeatures: number, outFeatures: number, readonly dropout: number, rng: Rng, private readonly dropoutRng: Rng) {
    this.dense = new Dense(name, inFeatures, outFeatures, rng);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      let h = tf.mean(x, [1, 2]);
      if (ctx.training && this.dropout > 0) h = tf.dropout(h, this.dropout, undefined, this.dropoutRng.nextUint32());
      return this.dense.apply(h, ctx);
    });
  }

  variables(): NamedVariable[] {
    return this.dense.variables();
  }
}

/**
 * Batch normalization (same variables, names and numerics as core's `BatchNorm`) whose training
 * forward is one custom-gradient op: the backward keeps only the input (x̂ is recomputed), where the
 * composed form (`tf.moments`, sub, mul, rsqrt, …) keeps about six activation-sized intermediates per
 * layer on the tape. In an MBConv network this cuts the memory of a training step ≈3×, which is what
 * makes the `imagenet` preset trainable on wasm (its 4 GiB heap) at all.
 */
export class LeanBatchNorm implements Module {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;
  readonly momentum: number;
  readonly eps: number;

  constructor(readonly name: string, readonly channels: number, opts: BatchNormOptions = {}) {
    this.momentum = opts.momentum ?? 0.1;
    this.eps = opts.eps ?? 1e-3;
    this.gamma = tf.variable(tf.ones([channels]), true);
    this.beta = tf.variable(tf.zeros([channels]), true);
    this.movingMean = tf.variable(tf.zeros([channels]), false);
    this.movingVariance = tf.variable(tf.ones([channels]), false);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (!ctx.training) return tf.tidy(() => tf.batchNorm(x, this.movingMean, this.movingVariance, this.beta, this.gamma, this.eps));
    const axes = x.rank === 4 ? [0, 1, 2] : [0];
    const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
    const m = this.momentum;
    const eps = this.eps;
    const f = tf.customGrad(((xIn: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
      const { mean, variance } = tf.moments(xIn, axes);
      const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, 1 - m), tf.mul(mean, m)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, 1 - m), tf.mul(unbiased, m)));
      const inv = tf.rsqrt(tf.add(variance, eps));
      save([xIn, mean, inv, gamma]);
      return {
        value: tf.add(tf.mul(tf.mul(tf.sub(xIn, mean), inv), gamma), beta),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, mu, invStd, g] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
          const xhat = tf.mul(tf.sub(xs, mu), invStd);
          const dBeta = tf.sum(dy, axes);
          const dGamma = tf.sum(tf.mul(dy, xhat), axes);
          // dx = γ·r·(dy − mean(dy) − x̂·mean(dy·x̂))
          const dx = tf.mul(tf.mul(g, invStd), tf.sub(tf.sub(dy, tf.div(dBeta, count)), tf.mul(xhat, tf.div(dGamma, count))));
          return [dx, dGamma, dBeta];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, this.gamma, this.beta);
  }

  variables(): NamedVariable[] {
    return [
      { name: `${this.name}/gamma`, variable: this.gamma, trainable: true },
      { name: `${this.name}/beta`, variable: this.beta, trainable: true },
      { name: `${this.name}/moving_mean`, variable: this.movingMean, trainable: false },
      { name: `${this.name}/moving_variance`, variable: this.movingVariance, trainable: false },
    ];
  }
}
