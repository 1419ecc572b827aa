import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../artifacts/atomic.js';
import { dirname, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { DeviceDescription } from '../backend/backend.js';
import { definePlugin } from '../di/plugin.js';
import { describeDevice } from '../backend/describe-device.js';
import type { Module } from '../nn/module.js';
import { Rng } from '../random/rng.js';
import type { OpFeatures } from '../spaces/op-features.js';
import type { InputSpec, OpSpec } from '../spaces/search-space.js';
import type { LatencyProvider, NetworkLatencyRole } from './latency-provider.js';
import { stableStringify, TimingTable, time, timingKey, type TimingResult } from './timing.js';

export const MeasuredLatencyOptionsSchema = z.object({
  /** Latency target these measurements stand for. */
  target: z.string().min(1).default('cpu'),
  /** Batch size of the timed forward passes. */
  batchSize: z.number().int().positive().default(1),
  warmup: z.number().int().min(0).default(3),
  minRuns: z.number().int().min(1).default(10),
  minDurationMs: z.number().min(0).default(100),
  /**
   * JSON file caching measurements across runs (keyed by backend, device, batch and op features),
   * and the quiet latency of the reference network whole networks are timed against. Delete it to
   * measure this machine afresh.
   */
  cacheFile: z.string().optional(),
  /**
   * Whole networks the search measures after the ops to calibrate the op sum to whole-network
   * latency (measured ≈ scale·Σops + perLayer·layers + offset); 0 uses the op sum as it is.
   */
  calibrate: z.number().int().min(0).default(10),
}).strict();
export type MeasuredLatencyOptions = z.input<typeof MeasuredLatencyOptionsSchema>;

/**
 * Latency measured on this machine: `prepare` builds each distinct op (`op.build`) and times its
 * forward pass (inference mode) at `batchSize` on the active TensorFlow.js backend; `latency`
 * returns the median in ms. The `zero` op costs 0.
 */
export class MeasuredLatencyProvider implements LatencyProvider {
  readonly unit = 'ms';
  readonly target: string;
  readonly table: TimingTable;
  readonly calibrationNetworks: number;
  private readonly options: z.output<typeof MeasuredLatencyOptionsSchema>;
  private device: DeviceDescription | undefined;

  constructor(
    options: MeasuredLatencyOptions = {},
    private readonly deps: { rng?: Rng; log?: (message: string) => void; table?: TimingTable; device?: () => DeviceDescription } = {},
  ) {
    this.options = MeasuredLatencyOptionsSchema.parse(options);
    this.target = this.options.target;
    this.calibrationNetworks = this.options.calibrate;
    this.table = deps.table ?? this.loadCache();
  }

  private describe(): DeviceDescription {
    this.device ??= (this.deps.device ?? (() => describeDevice()))();
    return this.device;
  }

  private loadCache(): TimingTable {
    const file = this.options.cacheFile;
    if (!file || !existsSync(file)) return new TimingTable();
    return TimingTable.fromJSON(JSON.parse(readFileSync(file, 'utf8')));
  }

  private key(features: OpFeatures): string {
    return timingKey(this.describe(), this.options.batchSize, features);
  }

  async prepare(ops: readonly OpSpec[]): Promise<void> {
    this.device = undefined; // the backend may have changed since construction
    const todo = new Map<string, OpSpec>();
    const unbuildable: string[] = [];
    for (const op of ops) {
      if (op.features.type === 'zero') continue;
      const key = this.key(op.features);
      if (this.table.has(key) || todo.has(key)) continue;
      if (!op.build) unbuildable.push(op.name);
      else todo.set(key, op);
    }
    if (unbuildable.length > 0) {
      throw new Error(`measured latency: cannot build ${unbuildable.length} op(s) to time them: ${unbuildable.join(', ')}`);
    }
    const rng = this.deps.rng ?? new Rng('measured-latency');
    let i = 0;
    for (const [key, op] of todo) {
      const result = await this.measure(op, rng.fork(op.name));
      this.table.set(key, result);
      i++;
      this.deps.log?.(`measured latency ${i}/${todo.size}: ${op.name} ${op.features.input.join('×')} → ${result.medianMs.toFixed(3)} ms (±${result.stdMs.toFixed(3)}, n=${result.runs})`);
    }
    if (todo.size > 0) this.save();
  }

  /** Writes the table to `cacheFile` (when set), keeping what another process added to it meanwhile. */
  private save(): void {
    const file = this.options.cacheFile;
    if (!file) return;
    try {
      if (existsSync(file)) this.table.merge(TimingTable.fromJSON(JSON.parse(readFileSync(file, 'utf8'))));
    } catch {
      // an unreadable cache file is replaced by this table
    }
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, `${JSON.stringify(this.table.toJSON(), null, 1)}\n`);
  }

  private networkKey(role: NetworkLatencyRole, layers: readonly OpFeatures[]): string {
    const d = this.describe();
    return stableStringify({ backend: d.backend, device: d.device, batchSize: this.options.batchSize, role, network: layers });
  }

  rememberedNetworkLatency(role: NetworkLatencyRole, layers: readonly OpFeatures[]): number | undefined {
    return this.table.network(this.networkKey(role, layers));
  }

  rememberNetworkLatency(role: NetworkLatencyRole, layers: readonly OpFeatures[], latency: number): void {
    if (!(latency > 0)) throw new Error(`measured latency: cannot remember a network latency of ${latency}`);
    this.table.setNetwork(this.networkKey(role, layers), latency);
    this.save();
  }

  /** Times one op's forward pass (fresh weights, random input) at the configured batch size. */
  async measure(op: OpSpec, rng: Rng): Promise<TimingResult> {
    if (!op.build) throw new Error(`measured latency: op ${op.name} has no build()`);
    const module = op.build(rng);
    const input = tf.randomUniform([this.options.batchSize, ...op.features.input], -1, 1, 'float32', rng.nextUint32());
    try {
      return await time({ module, input }, {
        warmup: this.options.warmup,
        minRuns: this.options.minRuns,
        minDurationMs: this.options.minDurationMs,
      });
    } finally {
      input.dispose();
      for (const v of module.variables()) v.variable.dispose();
    }
  }

  /** Median forward time (inference mode) of a whole network at the configured batch size, in ms. */
  async measureNetwork(network: Module, input: InputSpec): Promise<number> {
    const x = tf.randomUniform([this.options.batchSize, ...input.shape], -1, 1, 'float32', 1);
    try {
      const r = await time({ module: network, input: x }, { warmup: this.options.warmup, minRuns: this.options.minRuns, minDurationMs: this.options.minDurationMs });
      return r.medianMs;
    } finally {
      x.dispose();
    }
  }

  latency(op: OpFeatures): number {
    if (op.type === 'zero') return 0;
    const hit = this.table.get(this.key(op));
    if (!hit) throw new Error(`measured latency: op ${stable(op)} was not measured; list it in prepare()`);
    return hit.medianMs;
  }
}

function stable(f: OpFeatures): string {
  return `${f.type} ${f.input.join('×')}→${f.output.join('×')}${f.kernel ? ` k${f.kernel}` : ''}${f.stride ? ` s${f.stride}` : ''}`;
}

/**
 * A `latency` plugin that measures on the active backend, with the defaults of one target (each
 * backend package binds its own: `cpu` at batch 1 for wasm and tfjs-node, `gpu` at batch 8 for
 * tfjs-node-gpu, as in the paper). A relative `cacheFile` resolves against the config's folder.
 */
export function measuredLatencyPlugin(defaults: { name: string; target: string; batchSize: number; description: string }) {
  const options = MeasuredLatencyOptionsSchema.extend({
    target: z.string().min(1).default(defaults.target),
    batchSize: z.number().int().positive().default(defaults.batchSize),
  }).strict();
  return definePlugin({
    kind: 'latency',
    name: defaults.name,
    description: defaults.description,
    options,
    create: (o, ctx): LatencyProvider =>
      new MeasuredLatencyProvider(
        { ...o, ...(o.cacheFile ? { cacheFile: resolve(ctx.configDir, o.cacheFile) } : {}) },
        { rng: ctx.rng.fork('measured-latency'), log: (m) => ctx.log(m) },
      ),
  });
}

/**
 * The measured latency plugins, defined once here and bound by the backend packages (and core, for
 * the `cpu` backend): `measured` — target `cpu`, batch 1; `measured-gpu` — target `gpu`, batch 8
 * (the paper's settings).
 */
export const measuredLatencyPlugins = Object.freeze({
  cpu: measuredLatencyPlugin({
    name: 'measured',
    target: 'cpu',
    batchSize: 1,
    description: 'Latency measured on this machine (median forward time of each op at batch 1 on the active TensorFlow.js backend)',
  }),
  gpu: measuredLatencyPlugin({
    name: 'measured-gpu',
    target: 'gpu',
    batchSize: 8,
    description: 'Latency measured on this machine (median forward time of each op at batch 8 on the active TensorFlow.js backend, e.g. CUDA)',
  }),
});
