import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, MixedOp, Module, NamedVariable, Network, OpSpec } from '@proxyless/core';
import type { SpaceGeometry } from './geometry.js';
import type { Classifier, ConvBn, MBConv } from './modules.js';

/** One searchable block of a built network. */
export interface NetworkBlock {
  readonly label: string;
  /** The mixed op (supernet), the chosen MBConv (compact), or undefined when `zero` was chosen. */
  readonly body?: Module;
  /** Candidate name in a compact network. */
  readonly choice?: string;
  /** Identity shortcut around `body`. */
  readonly residual: boolean;
}

/**
 * A MobileNetV2-style network of the MBConv space: first conv → first block → searchable blocks
 * (each x + body(x) when it has a shortcut; a skipped block is the identity) → 1×1 feature mix →
 * global average pool → dropout → classifier.
 */
export class MBConvNetwork implements Network {
  constructor(
    readonly name: string,
    readonly geometry: SpaceGeometry,
    readonly firstConv: ConvBn,
    readonly firstBlock: MBConv,
    readonly blocks: readonly NetworkBlock[],
    readonly featureMix: ConvBn,
    readonly classifier: Classifier,
    readonly mixedOps: readonly MixedOp[],
    readonly fixedOps: readonly OpSpec[],
  ) {}

  /** Whether every block is a concrete MBConv or skipped (no mixed ops). */
  get compact(): boolean {
    return this.mixedOps.length === 0;
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      let h = this.firstBlock.apply(this.firstConv.apply(x, ctx), ctx);
      for (const b of this.blocks) {
        if (!b.body) continue;
        const y = b.body.apply(h, ctx);
        h = b.residual ? tf.add(h, y) : y;
      }
      return this.classifier.apply(this.featureMix.apply(h, ctx), ctx);
    });
  }

  variables(): NamedVariable[] {
    return [this.firstConv, this.firstBlock, ...this.blocks.flatMap((b) => (b.body ? [b.body] : [])), this.featureMix, this.classifier].flatMap((m) => m.variables());
  }
}
