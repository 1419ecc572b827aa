import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { DeviceDescription } from '../backend/backend.js';
import type { Module } from '../nn/module.js';
import type { OpFeatures } from '../spaces/op-features.js';

/** How long and how often to time something. */
export const TimingOptionsSchema = z.object({
  /** Untimed runs first (operator creation, weight packing, allocator warm-up). */
  warmup: z.number().int().min(0).default(3),
  /** At least this many timed runs … */
  minRuns: z.number().int().min(1).default(10),
  /** … and keep going until this much time has been spent timing. */
  minDurationMs: z.number().min(0).default(200),
  /** Hard cap on timed runs. */
  maxRuns: z.number().int().min(1).default(10_000),
  /**
   * `data`: every run awaits `data()` of its outputs, so the time includes the compute on any
   * backend (async ones like webgl included) and the read-back. `none`: no read-back; only valid on
   * backends that execute kernels eagerly (cpu, wasm, tensorflow).
   */
  readback: z.enum(['data', 'none']).default('data'),
}).strict();
export type TimingOptions = z.input<typeof TimingOptionsSchema>;

/** Robust summary of timed runs, in milliseconds. */
export interface TimingResult {
  readonly medianMs: number;
  readonly meanMs: number;
  readonly stdMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
}

/** Something to time: a thunk producing tensors (disposed by the timer), or a module plus its input. */
export type Timeable = (() => tf.TensorContainer) | { readonly module: Module; readonly input: tf.Tensor; readonly training?: boolean };

function tensorsOf(c: tf.TensorContainer): tf.Tensor[] {
  if (c instanceof tf.Tensor) return [c];
  if (Array.isArray(c)) return c.flatMap((v) => tensorsOf(v as tf.TensorContainer));
  if (c && typeof c === 'object' && !ArrayBuffer.isView(c)) return Object.values(c).flatMap((v) => tensorsOf(v as tf.TensorContainer));
  return [];
}

export function summarize(samples: readonly number[]): TimingResult {
  if (samples.length === 0) throw new Error('proxyless timing: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const variance = samples.length > 1 ? samples.reduce((a, b) => a + (b - mean) ** 2, 0) / (samples.length - 1) : 0;
  return { medianMs: median, meanMs: mean, stdMs: Math.sqrt(variance), minMs: sorted[0]!, maxMs: sorted[sorted.length - 1]!, runs: samples.length };
}

/**
 * Times a candidate op, a block or a whole network's forward pass: `warmup` untimed runs, then timed
 * runs until both `minRuns` and `minDurationMs` are reached. Each run executes inside `tf.tidy` and
 * its outputs are disposed after (the read-back, with `readback: 'data'`, is inside the timed region).
 */
export async function time(target: Timeable, options: TimingOptions = {}): Promise<TimingResult> {
  const o = TimingOptionsSchema.parse(options);
  const run: () => tf.TensorContainer = typeof target === 'function'
    ? target
    : () => target.module.apply(target.input, { training: target.training ?? false });
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const out = tf.tidy(run);
    const outs = tensorsOf(out);
    if (o.readback === 'data') await Promise.all(outs.map((t) => t.data()));
    const dt = performance.now() - t0;
    tf.dispose(outs);
    return dt;
  };
  for (let i = 0; i < o.warmup; i++) await once();
  const samples: number[] = [];
  let spent = 0;
  while ((samples.length < o.minRuns || spent < o.minDurationMs) && samples.length < o.maxRuns) {
    const dt = await once();
    samples.push(dt);
    spent += dt;
  }
  return summarize(samples);
}

/** JSON with sorted keys: equal objects give equal strings. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
}

/** What a measurement is keyed by: runtime, hardware, batch size and the op's features. */
export interface TimingKey {
  readonly backend: string;
  readonly device: string;
  readonly batchSize: number;
  readonly features: OpFeatures;
}

export function timingKey(device: DeviceDescription, batchSize: number, features: OpFeatures): string {
  return stableStringify({ backend: device.backend, device: device.device, batchSize, features });
}

/** A serializable cache of measurements, keyed by `timingKey`, so a latency table is measured once per machine. */
export class TimingTable {
  private readonly entries = new Map<string, TimingResult>();
  /** Whole networks' latencies remembered for a machine (see `LatencyProvider.rememberedNetworkLatency`). */
  private readonly networks = new Map<string, number>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): TimingResult | undefined {
    return this.entries.get(key);
  }

  set(key: string, result: TimingResult): void {
    this.entries.set(key, result);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  network(key: string): number | undefined {
    return this.networks.get(key);
  }

  setNetwork(key: string, latency: number): void {
    this.networks.set(key, latency);
  }

  /** Adds `other`'s entries this table does not have (a cache file another process wrote meanwhile). */
  merge(other: TimingTable): void {
    for (const [k, v] of other.entries) if (!this.entries.has(k)) this.entries.set(k, v);
    for (const [k, v] of other.networks) if (!this.networks.has(k)) this.networks.set(k, v);
  }

  toJSON(): { version: 1; entries: Record<string, TimingResult>; networks?: Record<string, number> } {
    const sorted = <V>(m: Map<string, V>) => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));
    return { version: 1, entries: sorted(this.entries), ...(this.networks.size ? { networks: sorted(this.networks) } : {}) };
  }

  static fromJSON(json: unknown): TimingTable {
    const parsed = z.object({
      version: z.literal(1),
      entries: z.record(z.string(), z.object({
        medianMs: z.number(), meanMs: z.number(), stdMs: z.number(), minMs: z.number(), maxMs: z.number(), runs: z.number(),
      })),
      networks: z.record(z.string(), z.number().positive()).optional(),
    }).parse(json);
    const table = new TimingTable();
    for (const [k, v] of Object.entries(parsed.entries)) table.set(k, v);
    for (const [k, v] of Object.entries(parsed.networks ?? {})) table.setNetwork(k, v);
    return table;
  }
}
