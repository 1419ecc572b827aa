import * as tf from '@tensorflow/tfjs-core';
import { MixedOp } from './mixed-op.js';
import type { GateSample } from './gates.js';
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

  /**
   * The binarized forward of every sample, sharing computation: the stem and each block run once per
   * distinct prefix of choices (depth-first, so only one branch's activations are held at a time).
   */
  applyEach(x: tf.Tensor, ctx: Omit<ForwardContext, 'gates' | 'mode'>, samples: readonly GateSample[]): tf.Tensor[] {
    const out: tf.Tensor[] = new Array(samples.length);
    const at = (m: number, op: MixedOp) => {
      const s = samples[m]![op.label];
      if (!s) throw new Error(`gate sample ${m} has no entry for mixed op ${op.label}`);
      return s;
    };
    // runs blocks from `from` on h for `members` (samples that agree on every earlier choice)
    const walk = (h: tf.Tensor, from: number, members: readonly number[]): void => {
      for (let i = from; i < this.blocks.length; i++) {
        const b = this.blocks[i]!;
        if (!b.body) continue;
        if (b.body instanceof MixedOp) {
          const op = b.body;
          const groups = new Map<string, number[]>();
          for (const m of members) {
            const s = at(m, op);
            const key = `${s.active.join(',')}/${s.chosen}`;
            groups.set(key, [...(groups.get(key) ?? []), m]);
          }
          for (const group of groups.values()) {
            const s = at(group[0]!, op);
            const branch = tf.tidy(() => {
              const v = new Float32Array(op.size);
              v[s.chosen] = 1;
              const values = tf.tensor1d(v);
              const y = op.apply(h, { ...ctx, mode: 'binarized', gates: { [op.label]: { active: s.active, values } } });
              const next = b.residual ? tf.add(h, y) : y;
              walk(next, i + 1, group);
              return group.map((m) => out[m]!);
            });
            branch.forEach((t, k) => (out[group[k]!] = t));
          }
          return;
        }
        const y = b.body.apply(h, { ...ctx, mode: 'binarized' });
        h = b.residual ? tf.add(h, y) : y;
      }
      const logits = this.head.reduce<tf.Tensor>((t, m) => m.apply(t, { ...ctx, mode: 'binarized' }), h);
      for (const m of members) out[m] = logits;
    };
    if (samples.length === 0) return [];
    const kept = tf.tidy(() => {
      const h = this.stem.reduce<tf.Tensor>((t, m) => m.apply(t, { ...ctx, mode: 'binarized' }), x);
      walk(h, 0, samples.map((_, m) => m));
      // one tensor per sample (samples with the same choices everywhere share their logits: clone)
      const seen = new Set<tf.Tensor>();
      return out.map((t) => (seen.has(t) ? tf.clone(t) : (seen.add(t), t)));
    });
    return kept;
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
