import * as tf from '@tensorflow/tfjs-core';
import { newVariable } from '../nn/layers.js';
import { z } from 'zod';

/**
 * The options of an Adam optimizer of α, as fields a strategy spreads into its own options schema
 * (`z.object({ ...adamOptionFields({ lr: 0.006 }), … })`): the one home of their names, bounds and
 * defaults. `lr` defaults per strategy; β1 = 0, β2 = 0.999, ε = 1e-8 are ProxylessNAS's.
 */
export function adamOptionFields(defaults: { readonly lr: number; readonly lrDescription?: string }) {
  return {
    lr: z.number().positive().default(defaults.lr).describe(defaults.lrDescription ?? 'Adam learning rate of α'),
    beta1: z.number().min(0).max(1).default(0).describe('Adam β1 of α (paper: 0)'),
    beta2: z.number().min(0).max(1).default(0.999).describe('Adam β2 of α'),
    eps: z.number().positive().default(1e-8).describe('Adam ε of α'),
  } as const;
}

export const adamOptions = z
  .object({
    ...adamOptionFields({ lr: 0.006 }),
    weightDecay: z.number().min(0).default(0),
  })
  .strict();
export type AdamOptions = z.output<typeof adamOptions>;

/**
 * Adam with bias correction, keyed by stable names (e.g. mixed-op labels), for architecture
 * parameters. Written out rather than taken from tf.train so the state is synchronous to save
 * (`slots()`/`loadSlots()`) and each update can touch any subset of the parameters (two-path mode).
 * Defaults are the ProxylessNAS arch-optimizer settings (β1 = 0, β2 = 0.999, ε = 1e-8, lr 0.006).
 */
export class Adam {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly t = new Map<string, number>();

  constructor(readonly options: AdamOptions) {}

  /**
   * One step on each named variable that has a gradient (`grads[name]`); each keeps its own step
   * count for bias correction. Does not dispose `grads`.
   */
  apply(vars: Readonly<Record<string, tf.Variable>>, grads: Readonly<Record<string, tf.Tensor | undefined>>, lr = this.options.lr): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    tf.tidy(() => {
      for (const [name, w] of Object.entries(vars)) {
        let g = grads[name];
        if (!g) continue;
        if (weightDecay > 0) g = tf.add(g, tf.mul(w, weightDecay));
        const m = this.slot(this.m, name, w);
        const v = this.slot(this.v, name, w);
        const t = (this.t.get(name) ?? 0) + 1;
        this.t.set(name, t);
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const mHat = tf.div(mNew, 1 - beta1 ** t);
        const vHat = tf.div(vNew, 1 - beta2 ** t);
        w.assign(tf.sub(w, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), eps)), lr)));
      }
    });
  }

  private slot(map: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let s = map.get(name);
    if (!s) {
      s = tf.variable(tf.zerosLike(like), false);
      map.set(name, s);
    }
    return s;
  }

  /** State for checkpoints: tensors `m/<name>`, `v/<name>` and step counts. */
  slots(): { json: Record<string, number>; tensors: Record<string, tf.Tensor> } {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [k, s] of this.m) tensors[`m/${k}`] = s;
    for (const [k, s] of this.v) tensors[`v/${k}`] = s;
    return { json: Object.fromEntries(this.t), tensors };
  }

  loadSlots(state: { json: unknown; tensors: Readonly<Record<string, tf.Tensor>> }): void {
    for (const [k, t] of Object.entries(state.tensors)) {
      const [kind, ...rest] = k.split('/');
      const name = rest.join('/');
      const map = kind === 'm' ? this.m : kind === 'v' ? this.v : undefined;
      if (!map) continue;
      const existing = map.get(name);
      if (existing) existing.assign(t);
      else map.set(name, newVariable(() => t.clone(), false));
    }
    this.t.clear();
    for (const [k, n] of Object.entries((state.json ?? {}) as Record<string, number>)) this.t.set(k, n);
  }

  dispose(): void {
    for (const s of [...this.m.values(), ...this.v.values()]) s.dispose();
    this.m.clear();
    this.v.clear();
    this.t.clear();
  }
}
