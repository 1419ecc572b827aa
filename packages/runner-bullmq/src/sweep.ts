import { ConfigError, ModelFiles, problemsFromZod, readConfigFile, RunFiles, writeFileAtomic, z, type SearchResult } from '@proxyless/core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { redisOptions, type RedisTarget } from './connection.js';
import { trackTasks, type FailedTask, type TrackProgress } from './coordinator.js';
import { JobNames, jobId, parseSearchJob, parseTrainJob, SEARCH_QUEUE, type SearchJob } from './jobs.js';
import { insideStorage } from './security.js';
import { sweepReportHtml } from './sweep-report.js';

/** A sweep file: a base search config and axes (dotted config paths → values); one search per point of their product. */
export const sweepSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" or "-" (it names a folder)').optional(),
    base: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).describe('search config file (relative to the sweep file) or the config itself'),
    retrain: z.record(z.string(), z.unknown()).optional().describe('retrain every point\'s architecture from scratch with these `proxyless train` options (epochs, batchSize, lr, …) and rank by its test accuracy'),
    axes: z.record(z.string().regex(/^[A-Za-z_$][\w$]*(\.[\w$]+)*$/, 'a dotted config path like strategy.options.lr'), z.array(z.unknown()).min(1)).refine((a) => Object.keys(a).length > 0, 'at least one axis'),
  })
  .strict();

export interface SweepPoint {
  readonly id: string;
  readonly overrides: Record<string, unknown>;
  /** Run directory relative to the storage directory. */
  readonly runDir: string;
}

export interface Sweep {
  readonly file: string;
  readonly name: string;
  readonly base: Record<string, unknown>;
  readonly axes: Record<string, unknown[]>;
  readonly points: readonly SweepPoint[];
  /** Folder of the sweep's table and report, relative to the storage directory. */
  readonly dir: string;
  /** Options of the retraining of every point (absent: no retraining). */
  readonly retrain?: Record<string, unknown>;
}

/** The product of the axes, in order (the last axis varies fastest). */
export function axisPoints(axes: Readonly<Record<string, readonly unknown[]>>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [path, values] of Object.entries(axes)) out = out.flatMap((o) => values.map((v) => ({ ...o, [path]: v })));
  return out;
}

/** Reads a sweep file (JSON or YAML) and its base config; every point's config is validated before anything is enqueued. */
export function readSweep(path: string): Sweep {
  const { file, dir, raw } = readConfigFile(path, 'an existing JSON or YAML sweep file with `base` and `axes`');
  const parsed = sweepSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, problemsFromZod(parsed.error, raw));
  const s = parsed.data;
  const base = typeof s.base === 'string' ? (readConfigFile(resolve(dir, s.base), 'an existing JSON or YAML search config').raw as Record<string, unknown>) : s.base;
  const name = s.name ?? basename(file, extname(file));
  const sweepDir = join('sweeps', name);
  const points = axisPoints(s.axes).map((overrides, i) => {
    // the id hashes the base config too: a changed base never reuses the results of the old one
    const id = `p${String(i).padStart(3, '0')}-${jobId('p', { base, overrides }).slice(2, 10)}`;
    const point = { id, overrides, runDir: join(sweepDir, id) };
    try {
      parseSearchJob({ v: 1, config: base, overrides, runDir: point.runDir });
    } catch (err) {
      throw new ConfigError(file, [{ path: `axes (point ${id}: ${JSON.stringify(overrides)})`, value: '', expected: (err as Error).message }]);
    }
    return point;
  });
  if (s.retrain) {
    try {
      parseTrainJob({ v: 1, runDir: sweepDir, options: s.retrain });
    } catch (err) {
      throw new ConfigError(file, [{ path: 'retrain', value: JSON.stringify(s.retrain), expected: (err as Error).message }]);
    }
  }
  return { file, name, base, axes: s.axes, points, dir: sweepDir, ...(s.retrain ? { retrain: s.retrain } : {}) };
}

export interface SweepRow {
  readonly id: string;
  readonly overrides: Record<string, unknown>;
  readonly runDir: string;
  readonly validationAccuracy?: number;
  /** Test accuracy of the retrained architecture (sweeps with `retrain`). */
  readonly testAccuracy?: number;
  readonly latency?: number;
  readonly latencyUnit?: string;
  readonly architecture?: Record<string, string>;
  readonly seconds?: number;
  /** On the accuracy-vs-latency Pareto front of the sweep. */
  readonly pareto: boolean;
}

/** Indices of the rows no other row beats on both accuracy (higher) and latency (lower). */
export function paretoFront(points: readonly { accuracy?: number; latency?: number }[]): Set<number> {
  const ok = points.map((p, i) => ({ ...p, i })).filter((p) => p.accuracy !== undefined && p.latency !== undefined) as { accuracy: number; latency: number; i: number }[];
  return new Set(ok.filter((p) => !ok.some((q) => q.accuracy >= p.accuracy && q.latency <= p.latency && (q.accuracy > p.accuracy || q.latency < p.latency))).map((p) => p.i));
}

const modelMetrics = (storageDir: string, p: SweepPoint) => join(insideStorage(storageDir, p.runDir, 'runDir'), 'model', ModelFiles.metrics);

/**
 * The sweep's table from the run directories in storage (a point not finished has no numbers). The
 * Pareto front ranks by the retrained test accuracy in sweeps with `retrain`, else by the search's
 * validation accuracy.
 */
export function collectSweep(sweep: Sweep, storageDir: string): SweepRow[] {
  const results = sweep.points.map((p) => {
    const f = join(insideStorage(storageDir, p.runDir, 'runDir'), RunFiles.result);
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as SearchResult) : undefined;
  });
  const tests = sweep.points.map((p) => {
    const f = modelMetrics(storageDir, p);
    return sweep.retrain && existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { test?: { accuracy: number } }).test?.accuracy : undefined;
  });
  const accuracyOf = (i: number) => (sweep.retrain ? tests[i] : results[i]?.validationAccuracy);
  const front = paretoFront(results.map((r, i) => ({ ...(accuracyOf(i) !== undefined ? { accuracy: accuracyOf(i)! } : {}), ...(r?.latency !== undefined ? { latency: r.latency } : {}) })));
  return sweep.points.map((p, i) => {
    const r = results[i];
    return {
      id: p.id,
      overrides: p.overrides,
      runDir: p.runDir,
      ...(r?.validationAccuracy !== undefined ? { validationAccuracy: r.validationAccuracy } : {}),
      ...(tests[i] !== undefined ? { testAccuracy: tests[i] } : {}),
      ...(r?.latency !== undefined ? { latency: r.latency } : {}),
      ...(r?.latencyUnit !== undefined ? { latencyUnit: r.latencyUnit } : {}),
      ...(r ? { architecture: r.architecture, seconds: r.seconds } : {}),
      pareto: front.has(i),
    };
  });
}

export interface SweepRunOptions {
  readonly redis: RedisTarget;
  /** The storage directory the workers share (a shared filesystem): run directories and the sweep's report go there. */
  readonly storageDir: string;
  readonly attempts?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  readonly onStart?: (info: { points: number; done: number; phase: 'search' | 'retrain' }) => void;
  readonly onProgress?: (p: TrackProgress) => void;
}

export interface SweepRunResult {
  readonly rows: readonly SweepRow[];
  readonly failed: readonly (FailedTask & { point: string })[];
  readonly remaining: number;
  readonly files: { readonly table: string; readonly csv: string; readonly report: string };
  readonly perWorker: ReadonlyMap<string, number>;
}

/**
 * `proxyless sweep`: one search job per point (content-derived ids; points whose run directory
 * holds a result are not enqueued), then the results collected into `sweep.json`, `sweep.csv` and
 * `report.html` (accuracy vs latency, Pareto front) in `<storage>/sweeps/<name>/`. Resumable: rerun
 * it and only unfinished points run (a point's search resumes from its checkpoint).
 */
export async function runSweep(sweep: Sweep, o: SweepRunOptions): Promise<SweepRunResult> {
  const storageDir = resolve(o.storageDir);
  const resultOf = (p: SweepPoint) => join(insideStorage(storageDir, p.runDir, 'runDir'), RunFiles.result);
  const tasks: { id: string; name: string; data: unknown; isDone: () => boolean; point: string }[] = sweep.points.map((p) => {
    const data: SearchJob = { v: 1, config: sweep.base, overrides: p.overrides, runDir: p.runDir };
    return { id: jobId('search', data), name: JobNames.search, data, isDone: () => existsSync(resultOf(p)), point: p.id };
  });
  o.onStart?.({ points: tasks.length, done: tasks.filter((t) => t.isDone()).length, phase: 'search' });
  const r = await trackTasks({
    connection: redisOptions(o.redis),
    queue: SEARCH_QUEUE,
    tasks,
    ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  let failedTasks = [...r.failed];
  let perWorker = new Map(r.perWorker);
  if (sweep.retrain && !o.signal?.aborted) {
    // the retraining of every point whose search finished (results in <runDir>/model)
    const trains = sweep.points
      .filter((p) => existsSync(resultOf(p)))
      .map((p) => {
        const data = { v: 1, runDir: p.runDir, options: sweep.retrain! };
        return { id: jobId('train', data), name: JobNames.train, data, isDone: () => existsSync(modelMetrics(storageDir, p)), point: p.id };
      });
    tasks.push(...trains);
    o.onStart?.({ points: trains.length, done: trains.filter((t) => t.isDone()).length, phase: 'retrain' });
    const t = await trackTasks({
      connection: redisOptions(o.redis),
      queue: SEARCH_QUEUE,
      tasks: trains,
      ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
      ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    failedTasks = [...failedTasks, ...t.failed];
    for (const [w, n] of t.perWorker) perWorker.set(w, (perWorker.get(w) ?? 0) + n);
  }
  const rows = collectSweep(sweep, storageDir);
  const dir = join(storageDir, sweep.dir);
  mkdirSync(dir, { recursive: true });
  const files = { table: join(dir, 'sweep.json'), csv: join(dir, 'sweep.csv'), report: join(dir, 'report.html') };
  writeFileAtomic(files.table, `${JSON.stringify({ name: sweep.name, axes: sweep.axes, rows }, null, 2)}\n`);
  writeFileAtomic(files.csv, sweepCsv(sweep, rows));
  writeFileAtomic(files.report, sweepReportHtml(sweep, rows));
  const failed = failedTasks.map((f) => ({ ...f, point: tasks.find((t) => t.id === f.id)?.point ?? '?' }));
  const unfinished = rows.filter((x) => x.architecture === undefined || (sweep.retrain && x.testAccuracy === undefined)).length;
  return { rows, failed, remaining: unfinished, files, perWorker };
}

function csvCell(v: unknown): string {
  const s = v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function sweepCsv(sweep: Sweep, rows: readonly SweepRow[]): string {
  const axes = Object.keys(sweep.axes);
  const head = ['point', ...axes, 'validation_accuracy', 'test_accuracy_retrained', 'latency', 'latency_unit', 'pareto', 'run_dir'];
  const lines = rows.map((r) => [r.id, ...axes.map((a) => r.overrides[a]), r.validationAccuracy, r.testAccuracy, r.latency, r.latencyUnit, r.pareto, r.runDir].map(csvCell).join(','));
  return `${[head.join(','), ...lines].join('\n')}\n`;
}
