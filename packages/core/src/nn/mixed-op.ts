import * as tf from '@tensorflow/tfjs-core';
import type { OpFeatures } from '../spaces/op-features.js';
import { newVariable } from './layers.js';
import type { ForwardContext, Module, NamedVariable } from './module.js';

/** One path of a mixed op. */
export interface Candidate {
  readonly name: string;
  readonly module: Module;
  readonly features: OpFeatures;
  /** The `zero` op: outputs zeros, costs nothing; a block whose mixed op picks it becomes identity. */
  readonly isZero?: boolean;
}

/**
 * A searchable block: N candidate paths, N architecture logits α and path weights p = softmax(α).
 *
 * In binarized mode (the method) only the candidates listed in the gates' `active` set run, so only
 * their activations are kept for backprop; the output is Σ_{j∈active} g_j·o_j(x) with g a tensor, so
 * ∂L/∂g_j is available to the strategy. In weighted mode all N paths run and the output is
 * Σ p_i·o_i(x): a DARTS-style baseline to compare memory and accuracy against, never the default.
 */
export class MixedOp implements Module {
  readonly alpha: tf.Variable<tf.Rank.R1>;

  constructor(
    readonly name: string,
    readonly candidates: readonly Candidate[],
    alphaInit?: Float32Array,
  ) {
    if (candidates.length === 0) throw new Error(`mixed op ${name}: needs at least one candidate`);
    const init = alphaInit ?? new Float32Array(candidates.length);
    if (init.length !== candidates.length) {
      throw new Error(`mixed op ${name}: ${init.length} α values for ${candidates.length} candidates`);
    }
    this.alpha = newVariable(() => tf.tensor1d(init), true) as tf.Variable<tf.Rank.R1>;
  }

  /** Stable label of this mixed op (same as `name`). */
  get label(): string {
    return this.name;
  }

  get size(): number {
    return this.candidates.length;
  }

  indexOf(candidateName: string): number {
    const i = this.candidates.findIndex((c) => c.name === candidateName);
    if (i < 0) {
      throw new Error(`mixed op ${this.name}: unknown candidate "${candidateName}" (expected one of ${this.candidates.map((c) => c.name).join(', ')})`);
    }
    return i;
  }

  /** p = softmax(α), differentiable in α. */
  probs(): tf.Tensor1D {
    return tf.softmax(this.alpha);
  }

  /** p as plain numbers. */
  probsSync(): number[] {
    return tf.tidy(() => Array.from(this.probs().dataSync()));
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    if (ctx.mode === 'weighted') {
      return tf.tidy(() => {
        const p = this.probs();
        let out: tf.Tensor | undefined;
        this.candidates.forEach((c, i) => {
          if (c.isZero) return;
          const term = tf.mul(c.module.apply(x, ctx), tf.reshape(tf.slice(p, [i], [1]), []));
          out = out ? tf.add(out, term) : term;
        });
        return out ?? tf.zerosLike(x);
      });
    }
    const gates = ctx.gates?.[this.name];
    if (!gates) throw new Error(`mixed op ${this.name}: binarized forward without gates for this label`);
    if (gates.values.shape[0] !== this.candidates.length) {
      throw new Error(`mixed op ${this.name}: gates have ${gates.values.shape[0]} values for ${this.candidates.length} candidates`);
    }
    if (gates.active.length === 0) throw new Error(`mixed op ${this.name}: no active path`);
    return tf.tidy(() => {
      let out: tf.Tensor | undefined;
      for (const j of gates.active) {
        const c = this.candidates[j];
        if (!c) throw new Error(`mixed op ${this.name}: active index ${j} out of range`);
        const g = tf.reshape(tf.slice(gates.values, [j], [1]), []);
        // The zero path outputs zeros: its term is g·0, so ∂L/∂g_zero = 0 and it costs no compute.
        // A path whose gate is known to be 0 only feeds ∂L/∂g_j = Σ(∇_y L ∘ o_j): computed off the
        // tape, so the backward pass does not run through it (its contribution would be 0·…).
        const constant = gates.chosen !== undefined && j !== gates.chosen;
        const o = c.isZero ? (out ? tf.zerosLike(out) : zerosFor(c, x)) : constant ? offTape(() => c.module.apply(x, ctx)) : c.module.apply(x, ctx);
        const term = tf.mul(o, g);
        out = out ? tf.add(out, term) : term;
      }
      if (ctx.gateGradients === 'recompute') out = tf.add(out!, this.recomputedGateTerm(x, gates, ctx));
      return out!;
    });
  }

  /**
   * A term whose value is exactly zero (its forward computes nothing) and whose gradient with
   * respect to the gate vector holds Σ(∇_y L ∘ o_j(x)) for every inactive, non-zero path j,
   * each o_j(x) recomputed inside the backward pass and disposed right after use.
   */
  private recomputedGateTerm(x: tf.Tensor, gates: { active: readonly number[]; values: tf.Tensor1D }, ctx: ForwardContext): tf.Tensor {
    const inactive = this.candidates.map((c, j) => (!c.isZero && !gates.active.includes(j) ? j : -1)).filter((j) => j >= 0);
    const inner: ForwardContext = { training: ctx.training, mode: 'binarized' };
    const f = tf.customGrad(((xIn: tf.Tensor, _g: tf.Tensor, save: tf.GradSaveFunc) => {
      save([xIn]);
      const [h, w, c] = this.candidates[gates.active[0]!]!.features.output;
      return {
        value: tf.zeros([xIn.shape[0]!, h, w, c]),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const xs = saved[0]!;
          const dg = new Float32Array(this.candidates.length);
          for (const j of inactive) {
            dg[j] = tf.tidy(() => tf.sum(tf.mul(dy, this.candidates[j]!.module.apply(xs, inner))).dataSync()[0]!);
          }
          return [tf.zerosLike(xs), tf.tensor1d(dg)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x, gates.values);
  }

  variables(): NamedVariable[] {
    return [
      { name: `${this.name}/alpha`, variable: this.alpha, trainable: true },
      ...this.candidates.flatMap((c) => c.module.variables()),
    ];
  }

  /** The weights of the candidate paths (everything but α). */
  weightVariables(): NamedVariable[] {
    return this.candidates.flatMap((c) => c.module.variables());
  }
}

/**
 * `compute()` run without recording it for gradients: the result is a constant to the backward pass.
 * (A custom-gradient op over an input that no gradient asks for: TensorFlow.js records the ops
 * inside a custom gradient's forward function as one node, and prunes that node.)
 */
function offTape(compute: () => tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((anchor: tf.Tensor) => ({ value: compute(), gradFunc: () => [tf.zerosLike(anchor)] })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(tf.scalar(0)); // the anchor is disposed with the caller's tidy scope
}

function zerosFor(c: Candidate, x: tf.Tensor): tf.Tensor {
  const [h, w, ch] = c.features.output;
  return tf.zeros([x.shape[0]!, h, w, ch]);
}
