import * as tf from '@tensorflow/tfjs-core';
import { newVariable } from '../nn/layers.js';
import type { NamedVariable } from '../nn/module.js';

/**
 * SGD with (Nesterov) momentum, the weight optimizer of ProxylessNAS. Written out rather than
 * taken from tf.train so that the learning rate can change every step (cosine schedule) and the
 * velocity slots have stable names for checkpoints.
 */
export class MomentumSgd {
  private readonly velocity = new Map<string, tf.Variable>();

  constructor(readonly momentum = 0.9, readonly nesterov = true) {}

  /**
   * Applies one update: v ← μv + g; w ← w − lr·(nesterov ? g + μv : v). `grads` is keyed by the
   * tfjs variable name (as `tf.variableGrads` returns it); slots are keyed by the stable name.
   * Disposes nothing of `grads`.
   */
  apply(vars: readonly NamedVariable[], grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    tf.tidy(() => {
      for (const { name, variable: w } of vars) {
        const g = grads[w.name];
        if (!g) continue;
        let v = this.velocity.get(name);
        if (!v) {
          v = tf.variable(tf.zerosLike(w), false);
          this.velocity.set(name, v);
        }
        const vNew = tf.add(tf.mul(v, this.momentum), g);
        v.assign(vNew);
        const step = this.nesterov ? tf.add(g, tf.mul(vNew, this.momentum)) : vNew;
        w.assign(tf.sub(w, tf.mul(step, lr)));
      }
    });
  }

  slots(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.velocity) out[k] = v;
    return out;
  }

  loadSlots(slots: Readonly<Record<string, tf.Tensor>>): void {
    for (const [k, t] of Object.entries(slots)) {
      const existing = this.velocity.get(k);
      if (existing) existing.assign(t);
      else this.velocity.set(k, newVariable(() => t.clone(), false));
    }
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
  }
}

/** Cosine annealing from `base` to 0 over `total` steps (per step, as in ProxylessNAS). */
export function cosineLr(base: number, step: number, total: number): number {
  if (total <= 0) return base;
  return 0.5 * base * (1 + Math.cos((Math.PI * Math.min(step, total)) / total));
}
