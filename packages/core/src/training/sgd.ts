import * as tf from '@tensorflow/tfjs-core';
import { newVariable } from '../nn/layers.js';
import type { NamedVariable } from '../nn/module.js';

/**
 * Backends whose tensors live in this process's memory (tfjs's `cpu`, and `wasm`'s heap): reading
 * every weight and writing it back costs a copy, far less than the ≈ 8 kernel dispatches per
 * variable that the tensor form of the update takes. `MomentumSgd.applyOnHost` is their update.
 */
export const HOST_MEMORY_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm']);

/** Weight decay folded into the update: g + rate·w for the variables named in `decayed` (stable names). */
export interface HostDecay {
  readonly rate: number;
  readonly decayed: ReadonlySet<string>;
}

/**
 * SGD with (Nesterov) momentum, the weight optimizer of ProxylessNAS. Written out rather than
 * taken from tf.train so that the learning rate can change every step (cosine schedule) and the
 * velocity slots have stable names for checkpoints.
 *
 * Two forms of the same update: `apply` runs it as tensor ops (any backend, e.g. a GPU's), and
 * `applyOnHost` runs it over flat Float32Arrays in JavaScript and writes each weight back once
 * (backends in host memory: the whole update is one pass over the parameters instead of ≈ 8 kernel
 * dispatches per variable). A velocity lives in one form at a time and moves when the other form
 * needs it, so the two can be mixed (a checkpoint's slots load as tensors either way).
 */
export class MomentumSgd {
  private readonly velocity = new Map<string, tf.Variable>();
  /** Velocities of `applyOnHost`, by stable name; authoritative over `velocity` for a name present in both. */
  private readonly hostVelocity = new Map<string, { values: Float32Array; shape: number[] }>();

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
        const v = this.tensorVelocity(name, w);
        const vNew = tf.add(tf.mul(v, this.momentum), g);
        v.assign(vNew);
        const step = this.nesterov ? tf.add(g, tf.mul(vNew, this.momentum)) : vNew;
        w.assign(tf.sub(w, tf.mul(step, lr)));
      }
    });
  }

  /**
   * The same update over flat arrays: `weights` and `grads` hold every variable of `vars`
   * concatenated in order (`flattenVariables` / `flattenGradients`); `decay` adds rate·w to the
   * gradient of the decayed variables first (what weightDecay/2·Σ‖w‖² in the loss contributes).
   * `skip`: tfjs names of variables without a gradient this step, left untouched with their
   * velocity (as `apply` leaves a variable missing from `grads`). Each updated variable is
   * assigned its new values once; `weights` is left as it was.
   */
  applyOnHost(vars: readonly NamedVariable[], weights: Float32Array, grads: Float32Array, lr: number, decay?: HostDecay, skip?: ReadonlySet<string>): void {
    if (weights.length !== grads.length) throw new Error(`MomentumSgd.applyOnHost: ${weights.length} weights for ${grads.length} gradients`);
    const mu = this.momentum;
    let at = 0;
    for (const { name, variable: w } of vars) {
      const size = w.size;
      const from = at;
      at += size;
      if (at > weights.length) throw new Error(`MomentumSgd.applyOnHost: the flat arrays hold ${weights.length} values, fewer than the variables' ${at}`);
      if (skip?.has(w.name)) continue;
      const v = this.hostSlot(name, w);
      const rate = decay && decay.rate > 0 && decay.decayed.has(name) ? decay.rate : 0;
      const next = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        const wi = weights[from + i]!;
        const g = grads[from + i]! + rate * wi;
        const vi = mu * v[i]! + g;
        v[i] = vi;
        next[i] = wi - lr * (this.nesterov ? g + mu * vi : vi);
      }
      const t = tf.tensor(next, w.shape, 'float32');
      w.assign(t);
      t.dispose();
    }
    if (at !== weights.length) throw new Error(`MomentumSgd.applyOnHost: the flat arrays hold ${weights.length} values, the variables ${at}`);
  }

  /** The velocities by stable name, as tensors this optimizer owns (the caller clones what it keeps). */
  slots(): Record<string, tf.Tensor> {
    for (const [name, { values, shape }] of this.hostVelocity) {
      const t = tf.tensor(values, shape, 'float32');
      const existing = this.velocity.get(name);
      if (existing) {
        existing.assign(t);
        t.dispose();
      } else {
        this.velocity.set(name, tf.variable(t, false));
        t.dispose();
      }
    }
    const out: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.velocity) out[k] = v;
    return out;
  }

  loadSlots(slots: Readonly<Record<string, tf.Tensor>>): void {
    for (const [k, t] of Object.entries(slots)) {
      this.hostVelocity.delete(k);
      const existing = this.velocity.get(k);
      if (existing) existing.assign(t);
      else this.velocity.set(k, newVariable(() => t.clone(), false));
    }
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
    this.hostVelocity.clear();
  }

  /** `name`'s velocity as a tensor (moved from host memory if it lives there; zeros at first). */
  private tensorVelocity(name: string, w: tf.Variable): tf.Variable {
    const host = this.hostVelocity.get(name);
    let v = this.velocity.get(name);
    if (host) {
      this.hostVelocity.delete(name);
      const t = tf.tensor(host.values, host.shape, 'float32');
      if (v) v.assign(t);
      else this.velocity.set(name, (v = tf.variable(t, false)));
      return v;
    }
    if (!v) this.velocity.set(name, (v = tf.variable(tf.zerosLike(w), false)));
    return v;
  }

  /** `name`'s velocity in host memory (moved from a tensor if it lives there; zeros at first). */
  private hostSlot(name: string, w: tf.Variable): Float32Array {
    let host = this.hostVelocity.get(name);
    if (!host) {
      const t = this.velocity.get(name);
      host = { values: t ? Float32Array.from(t.dataSync() as Float32Array) : new Float32Array(w.size), shape: [...w.shape] };
      this.hostVelocity.set(name, host);
    }
    return host.values;
  }
}

/** Cosine annealing from `base` to 0 over `total` steps (per step, as in ProxylessNAS). */
export function cosineLr(base: number, step: number, total: number): number {
  if (total <= 0) return base;
  return 0.5 * base * (1 + Math.cos((Math.PI * Math.min(step, total)) / total));
}
