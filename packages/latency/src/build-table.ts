import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { time, type TimingResult } from '@proxyless/core';
import { Rng, type InputSpec, type Module, type OpFeatures, type OpSpec, type SearchSpace } from '@proxyless/core';
import { isZeroOp, latencyKey } from './latency-key.js';
import { LatencyTable, readLatencyTable, writeLatencyTable, type LatencyEntry } from './latency-table.js';

/** How ops and networks are timed (core's `time`, on the active TensorFlow.js backend). */
export interface MeasureOptions {
  /** Batch size of the timed forward passes (1 for CPU and mobile, 8 for GPU as in the paper). */
  readonly batchSize?: number;
  readonly warmup?: number;
  readonly minRuns?: number;
  readonly minDurationMs?: number;
  /**
   * Read outputs back inside the timed region. Default: only on backends that run kernels
   * asynchronously (webgl, webgpu); on eager ones (cpu, wasm, tensorflow) the read-back is a copy
   * that a layer inside a network never pays, so it is left out of both op and network timings.
   */
  readonly readback?: 'data' | 'none';
}

function timingOptions(o: MeasureOptions): { warmup: number; minRuns: number; minDurationMs: number; readback: 'data' | 'none' } {
  const eager = ['cpu', 'wasm', 'tensorflow'].includes(tf.getBackend());
  return {
    warmup: o.warmup ?? 3,
    minRuns: o.minRuns ?? 10,
    minDurationMs: o.minDurationMs ?? 100,
    readback: o.readback ?? (eager ? 'none' : 'data'),
  };
}

/** Entry of a timing in the official format (`count` runs, `mean` and `var` in ms). */
export function entryOf(r: TimingResult): LatencyEntry {
  return { count: r.runs, mean: r.meanMs, var: r.stdMs ** 2 };
}

/** Coefficient of variation (std / mean) of an entry. */
export function spreadOf(e: LatencyEntry): number {
  return e.mean > 0 ? Math.sqrt(e.var) / e.mean : 0;
}

/**
 * Robust entry of timed runs: runs slower than median + max(4·1.4826·MAD, 5% of the median) are
 * dropped as outliers (GC pauses, preemption by other processes), then `count`, `mean` and `var`
 * are those of the runs kept.
 */
export function robustEntry(samples: readonly number[]): LatencyEntry {
  if (samples.length === 0) throw new Error('latency: no timed runs');
  const sorted = [...samples].sort((a, b) => a - b);
  const med = (a: readonly number[]) => (a.length % 2 ? a[a.length >> 1]! : (a[(a.length >> 1) - 1]! + a[a.length >> 1]!) / 2);
  const m = med(sorted);
  const mad = med(sorted.map((v) => Math.abs(v - m)).sort((a, b) => a - b));
  const limit = m + Math.max(4 * 1.4826 * mad, 0.05 * m);
  const kept = sorted.filter((v) => v <= limit);
  const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
  const variance = kept.length > 1 ? kept.reduce((a, b) => a + (b - mean) ** 2, 0) / (kept.length - 1) : 0;
  return { count: kept.length, mean, var: variance };
}

/**
 * Times a module's forward pass (inference mode) on a random input of one example's shape × batch:
 * core's \`time\` for the warm-up, then once per run (so that every run's time is known),
 * until \`minRuns\` runs and \`minDurationMs\` are reached; summarized by \`robustEntry\`.
 */
export async function timeModule(module: Module, shape: readonly number[], options: MeasureOptions = {}, seed = 1): Promise<LatencyEntry> {
  const x = tf.randomUniform([options.batchSize ?? 1, ...shape], -1, 1, 'float32', seed);
  const o = timingOptions(options);
  try {
    const target = { module, input: x };
    if (o.warmup) await time(target, { ...o, minRuns: o.warmup, minDurationMs: 0, warmup: 0 });
    const samples: number[] = [];
    let spent = 0;
    while ((samples.length < o.minRuns || spent < o.minDurationMs) && samples.length < 10_000) {
      const r: TimingResult = await time(target, { readback: o.readback, warmup: 0, minRuns: 1, minDurationMs: 0 });
      samples.push(r.medianMs);
      spent += r.medianMs;
    }
    return robustEntry(samples);
  } finally {
    x.dispose();
  }
}

/**
 * Runs a module factory inside `tf.tidy`, so that initializer tensors a layer forgets to dispose do
 * not leak; variables survive a tidy.
 */
export function buildTidy<T>(build: () => T): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = build();
  });
  return out!;
}

/** Builds one op with fresh weights and times it (weights disposed after). */
export async function measureOp(op: OpSpec, options: MeasureOptions = {}, rng: Rng = new Rng('measure-op')): Promise<LatencyEntry> {
  if (!op.build) throw new Error(`latency: op ${op.name} has no build() to measure it`);
  const module = buildTidy(() => op.build!(rng));
  try {
    return await timeModule(module, op.features.input, options, rng.nextUint32());
  } finally {
    for (const v of module.variables()) v.variable.dispose();
  }
}

/** Every op a space may run: all candidates of every mixed op and the fixed layers. */
export function spaceOps(space: SearchSpace, rng: Rng = new Rng('space-ops')): OpSpec[] {
  const described = space.describe();
  // The fixed layers come with a network; a compact one (first candidate everywhere) is the cheapest.
  const arch = Object.fromEntries(described.map((m) => [m.label, m.candidates[0]!.name]));
  const net = buildTidy(() => space.buildCompact(arch, rng));
  const fixed = [...net.fixedOps];
  for (const v of net.variables()) v.variable.dispose();
  return [...described.flatMap((m) => m.candidates), ...fixed];
}

/** The distinct measurable ops of a list, one per table key, in first-seen order (zero ops left out). */
export function distinctOps(ops: readonly OpSpec[]): Map<string, OpSpec> {
  const out = new Map<string, OpSpec>();
  for (const op of ops) {
    if (isZeroOp(op.features)) continue;
    const key = latencyKey(op.features);
    if (!out.has(key)) out.set(key, op);
  }
  return out;
}

export interface BuildProgress {
  /** Entries done (kept from an earlier run + measured now). */
  readonly done: number;
  readonly total: number;
  readonly key: string;
  readonly entry: LatencyEntry;
  /** Coefficient of variation of the kept measurement. */
  readonly spread: number;
  /** Measurements taken for this entry (> 1: it was noisy and re-measured). */
  readonly attempts: number;
}

export interface BuildTableOptions extends MeasureOptions {
  /** Table file to write (`.yaml`: official format, `.json`); an existing one is resumed. */
  readonly file: string;
  readonly ops: readonly OpSpec[];
  /** Re-measure an entry while its coefficient of variation (std/mean) is above this (default 0.1). */
  readonly maxSpread?: number;
  /** Extra measurements of a noisy entry (default 2); the least noisy one is kept. */
  readonly retries?: number;
  /** Measure at most this many new entries in this run (the rest stays for a resumed run). */
  readonly limit?: number;
  /** Stops after the entry being measured (which is written). */
  readonly signal?: AbortSignal;
  readonly rng?: Rng;
  /** Replaces the timing of one op (tests, other runtimes). */
  readonly measure?: (op: OpSpec, attempt: number) => Promise<LatencyEntry>;
  /** Called before the first measurement, with how many entries were already in the file. */
  readonly onStart?: (info: { total: number; kept: number; todo: number }) => void;
  readonly onEntry?: (p: BuildProgress) => void;
}

export interface BuildTableResult {
  readonly file: string;
  /** Distinct measurable ops of the space. */
  readonly total: number;
  /** Entries found in the file and kept. */
  readonly kept: number;
  /** Keys measured in this run. */
  readonly measured: readonly { key: string; mean: number; spread: number; attempts: number }[];
  /** Entries still noisy after every retry (spread > maxSpread). */
  readonly noisy: readonly { key: string; spread: number }[];
  /** Entries left for a later run (limit or abort). */
  readonly remaining: number;
  readonly table: LatencyTable;
}

/**
 * Measures every distinct op (and fixed layer) of a space on the active backend and writes a table
 * in the official format. Resumable: each entry is written (atomically) as soon as it is measured,
 * and entries already in the file are kept and never re-measured. Noisy entries (coefficient of
 * variation above `maxSpread`) are re-measured up to `retries` times; the least noisy is kept.
 */
export async function buildLatencyTable(o: BuildTableOptions): Promise<BuildTableResult> {
  const file = resolve(o.file);
  const table = existsSync(file) ? readLatencyTable(file) : new LatencyTable();
  const ops = distinctOps(o.ops);
  const unbuildable = [...ops].filter(([k, op]) => !table.has(k) && !op.build && !o.measure).map(([, op]) => op.name);
  if (unbuildable.length) throw new Error(`latency build: ${unbuildable.length} op(s) have no build() to measure them: ${unbuildable.join(', ')}`);
  const todo = [...ops].filter(([k]) => !table.has(k));
  const kept = ops.size - todo.length;
  const maxSpread = o.maxSpread ?? 0.1;
  const retries = o.retries ?? 2;
  const rng = o.rng ?? new Rng('latency-build');
  const measure = o.measure ?? ((op: OpSpec) => measureOp(op, o, rng.fork(op.name)));
  o.onStart?.({ total: ops.size, kept, todo: todo.length });
  const measured: { key: string; mean: number; spread: number; attempts: number }[] = [];
  const noisy: { key: string; spread: number }[] = [];
  let done = kept;
  for (const [key, op] of todo) {
    if (o.signal?.aborted || (o.limit !== undefined && measured.length >= o.limit)) break;
    let best: LatencyEntry | undefined;
    let attempts = 0;
    while (attempts <= retries) {
      const e = await measure(op, attempts);
      attempts++;
      if (!best || spreadOf(e) < spreadOf(best)) best = e;
      if (spreadOf(best) <= maxSpread) break;
    }
    table.set(key, best!);
    writeLatencyTable(file, table);
    const spread = spreadOf(best!);
    if (spread > maxSpread) noisy.push({ key, spread });
    measured.push({ key, mean: best!.mean, spread, attempts });
    done++;
    o.onEntry?.({ done, total: ops.size, key, entry: best!, spread, attempts });
    // a macrotask turn between ops: signal handlers (Ctrl-C, SIGTERM) run only there and may abort the build
    await new Promise<void>((r) => setImmediate(r));
  }
  if (!existsSync(file)) writeLatencyTable(file, table);
  return { file, total: ops.size, kept, measured, noisy, remaining: ops.size - done, table };
}

/** Draws an architecture uniformly: one candidate per mixed op. */
export function sampleArchitecture(space: SearchSpace, rng: Rng): Record<string, string> {
  return Object.fromEntries(space.describe().map((m) => [m.label, m.candidates[rng.int(m.candidates.length)]!.name]));
}

/** The layers (features) of an architecture of a space: its chosen candidates in order plus the fixed layers. */
export function architectureLayers(space: SearchSpace, arch: Readonly<Record<string, string>>, fixed: readonly OpSpec[]): OpSpec[] {
  const chosen = space.describe().map((m) => {
    const c = m.candidates.find((x) => x.name === arch[m.label]);
    if (!c) throw new Error(`architecture: ${m.label} = ${JSON.stringify(arch[m.label])} is not a candidate`);
    return c;
  });
  return [...chosen, ...fixed];
}

/** Mean forward time of a whole compact network of `arch` (fresh weights), in ms, with the same statistic as table entries. */
export async function measureArchitecture(
  space: SearchSpace,
  arch: Readonly<Record<string, string>>,
  options: MeasureOptions = {},
  rng: Rng = new Rng('measure-architecture'),
): Promise<{ entry: LatencyEntry; fixed: OpSpec[] }> {
  const net = buildTidy(() => space.buildCompact(arch, rng));
  try {
    const input: InputSpec = space.input;
    return { entry: await timeModule(net, input.shape, options, rng.nextUint32()), fixed: [...net.fixedOps] };
  } finally {
    for (const v of net.variables()) v.variable.dispose();
  }
}

/** The layers of an architecture as latency features: chosen candidates in order, then the fixed layers. */
export function architectureFeatures(space: SearchSpace, arch: Readonly<Record<string, string>>, rng: Rng = new Rng('architecture-features')): OpFeatures[] {
  const net = buildTidy(() => space.buildCompact(arch, rng));
  const fixed = net.fixedOps.map((o) => o.features);
  for (const v of net.variables()) v.variable.dispose();
  return [...architectureLayers(space, arch, []).map((o) => o.features), ...fixed];
}
