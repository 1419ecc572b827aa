import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext, MixedOp, NamedVariable, Network, OpSpec } from '@proxyless/core';
import type { TreeGeometry } from './geometry.js';
import type { Head, ResidualTreeBlock, Stem } from './modules.js';

/**
 * A PyramidNet of residual tree blocks: stem (3×3 conv → BN) → 3 stages of B blocks (the first of
 * stages 2 and 3 at stride 2) → head (BN → ReLU → global average pool → linear). A supernet's
 * edges are mixed ops; a compact network's edges are the chosen candidates.
 */
export class PyramidTreeNetwork implements Network {
  constructor(
    readonly name: string,
    readonly geometry: TreeGeometry,
    readonly stem: Stem,
    readonly blocks: readonly ResidualTreeBlock[],
    readonly head: Head,
    readonly mixedOps: readonly MixedOp[],
    readonly fixedOps: readonly OpSpec[],
    /** The chosen candidate per edge label (compact networks only). */
    readonly architecture?: Readonly<Record<string, string>>,
  ) {}

  get compact(): boolean {
    return this.mixedOps.length === 0;
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      let h = this.stem.apply(x, ctx);
      for (const b of this.blocks) h = b.apply(h, ctx);
      return this.head.apply(h, ctx);
    });
  }

  variables(): NamedVariable[] {
    return [...this.stem.variables(), ...this.blocks.flatMap((b) => b.variables()), ...this.head.variables()];
  }
}
