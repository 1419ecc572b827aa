import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm,
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
  readonly bn: BatchNorm;

  constructor(readonly name: string, readonly geometry: ConvGeometry, bn: BatchNormOptions, rng: Rng, readonly act = true) {
    this.conv = new Conv2d(`${name}/conv`, geometry.input[2], geometry.output[2], { kernel: geometry.kernel, stride: geometry.stride }, rng);
    this.bn = new BatchNorm(`${name}/bn`, geometry.output[2], bn);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const y = this.conv.apply(x, ctx);
      return this.act ? this.bn.applyRelu6(y, ctx) : this.bn.apply(y, ctx);
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
  readonly expandBn?: BatchNorm;
  readonly depthwise: DepthwiseConv2d;
  readonly depthwiseBn: BatchNorm;
  readonly project: Conv2d;
  readonly projectBn: BatchNorm;
  readonly mid: number;

  /** `zeroInitResidual`: the project batch norm starts with γ = 0, so a block with a shortcut starts as the identity. */
  constructor(readonly name: string, readonly geometry: MBConvGeometry, bn: BatchNormOptions, rng: Rng, zeroInitResidual = false) {
    const inC = geometry.input[2];
    const outC = geometry.output[2];
    this.mid = geometry.expand === 1 ? inC : midChannels(inC, geometry.expand);
    if (geometry.expand !== 1) {
      this.expandConv = new Conv2d(`${name}/expand/conv`, inC, this.mid, { kernel: 1 }, rng);
      this.expandBn = new BatchNorm(`${name}/expand/bn`, this.mid, bn);
    }
    this.depthwise = new DepthwiseConv2d(`${name}/depthwise/conv`, this.mid, geometry.kernel, geometry.stride, rng);
    this.depthwiseBn = new BatchNorm(`${name}/depthwise/bn`, this.mid, bn);
    this.project = new Conv2d(`${name}/project/conv`, this.mid, outC, { kernel: 1 }, rng);
    this.projectBn = new BatchNorm(`${name}/project/bn`, outC, zeroInitResidual ? { ...bn, gammaInit: 0 } : bn);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      if (this.expandConv && this.expandBn) h = this.expandBn.applyRelu6(this.expandConv.apply(h, ctx), ctx);
      h = this.depthwiseBn.applyRelu6(this.depthwise.apply(h, ctx), ctx);
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

/** Global average pooling → dropout (training only) → linear classifier. */
export class Classifier implements Module {
  readonly dense: Dense;

  constructor(readonly name: string, inFeatures: number, outFeatures: number, readonly dropout: number, rng: Rng, private readonly dropoutRng: Rng) {
    this.dense = new Dense(name, inFeatures, outFeatures, rng);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      let h = tf.mean(x, [1, 2]);
      if (ctx.training && this.dropout > 0) h = tf.dropout(h, this.dropout, undefined, (ctx.rng ?? this.dropoutRng).nextUint32());
      return this.dense.apply(h, ctx);
    });
  }

  variables(): NamedVariable[] {
    return this.dense.variables();
  }
}

