import * as tf from '@tensorflow/tfjs-core';
import type { MixedOp } from './mixed-op.js';
import type { ForwardContext, Module, NamedVariable } from './module.js';
import type { Network, OpSpec } from '../spaces/search-space.js';

/** One block of a `BlockNetwork`: a body (a mixed op, a chosen candidate, or none when skipped) and its shortcut. */
export interface Block {
  readonly label: string;
  /** Absent when the block is skipped (its `zero` candidate was chosen): the block is the identity. */
  readonly body?: Module;
  /** Identity shortcut: the block computes x + body(x). */
  readonly residual: boolean;
}

/**
 * The shape most search spaces share: stem modules → blocks (each `x + body(x)` with a shortcut,
 * `body(x)` without, the identity when skipped) → head modules. Variables are listed once even when
 * candidates share a module.
 */
export class BlockNetwork implements Network {
  constructor(
    readonly name: string,
    readonly stem: readonly Module[],
    readonly blocks: readonly Block[],
    readonly head: readonly Module[],
    readonly mixedOps: readonly MixedOp[],
    readonly fixedOps: readonly OpSpec[],
  ) {}

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      let h = this.stem.reduce<tf.Tensor>((t, m) => m.apply(t, ctx), x);
      for (const b of this.blocks) {
        if (!b.body) continue;
        const y = b.body.apply(h, ctx);
        h = b.residual ? tf.add(h, y) : y;
      }
      return this.head.reduce<tf.Tensor>((t, m) => m.apply(t, ctx), h);
    });
  }

  variables(): NamedVariable[] {
    const seen = new Set<tf.Variable>();
    return [...this.stem, ...this.blocks.flatMap((b) => (b.body ? [b.body] : [])), ...this.head]
      .flatMap((m) => m.variables())
      .filter((v) => (seen.has(v.variable) ? false : (seen.add(v.variable), true)));
  }
}

/** The `zero` candidate as a module: outputs zeros shaped like its input (used with `isZero`). */
export class ZeroOp implements Module {
  constructor(readonly name: string) {}
  apply(x: tf.Tensor): tf.Tensor {
    return tf.zerosLike(x);
  }
  variables(): NamedVariable[] {
    return [];
  }
}
