import { RunFiles } from '@proxyless/core';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/** Optional files a report also reads from the run directory (written by scripts, not by the search). */
export const ReportFiles = Object.freeze({
  comparisons: 'comparisons.json',
  latency: 'latency.json',
  report: 'report.html',
});

/** A run file that cannot be read: names the file and, for metrics.jsonl, the line. */
export class RunReadError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(`${file}${line !== undefined ? ` line ${line}` : ''}: ${detail}`);
    this.name = 'RunReadError';
  }
}

export interface StepRecord {
  readonly epoch: number;
  readonly batch: number;
  readonly step: number;
  readonly phase: string;
  /** null when the loss was not finite (a diverged step). */
  readonly loss: number | null;
  readonly accuracy: number | null;
  readonly lr: number | null;
}

export interface ArchRecord {
  readonly epoch: number;
  readonly step: number;
  readonly expectedLatency: number | null;
  readonly probabilities: Record<string, number[]>;
  readonly metrics: Record<string, unknown>;
}

export interface EpochRecord {
  readonly epoch: number;
  readonly epochs: number;
  readonly phase: string;
  readonly trainLoss: number | null;
  readonly trainAccuracy: number | null;
  readonly validationLoss: number | null;
  readonly validationAccuracy: number | null;
  readonly expectedLatency: number | null;
  readonly probabilities: Record<string, number[]>;
  readonly architecture: Record<string, string>;
  readonly seconds: number | null;
}

export interface StartRecord {
  readonly epochs: number;
  readonly batchesPerEpoch: number;
  readonly resumedFrom: { epoch: number; batch: number; step: number } | null;
  readonly device?: { backend?: string; device?: string; details?: Record<string, unknown> };
  readonly time?: string;
}

/** `architecture.json` / `result.json`: the derived architecture (result.json adds the run totals). */
export interface DerivedFile {
  readonly architecture: Record<string, string>;
  readonly probabilities: Record<string, number[]>;
  readonly latency?: number;
  readonly latencyUnit?: string;
  readonly epochs?: number;
  readonly steps?: number;
  readonly seconds?: number;
  readonly validationAccuracy?: number;
  /** A measured latency of the derived network in milliseconds (optional, written by scripts). */
  readonly measured_latency_ms?: number;
  readonly space?: unknown;
  readonly [key: string]: unknown;
}

/** One measurement of the derived network's latency on a target (latency.json `measurements`). */
export interface LatencyMeasurement {
  readonly target: string;
  readonly latency: number;
  readonly unit: string;
}

/** `latency.json`: measured latency of the derived network. */
export interface LatencyFile {
  readonly measured_latency_ms?: number;
  readonly target?: string;
  readonly note?: string;
  readonly measurements?: readonly LatencyMeasurement[];
}

/** One network in `comparisons.json`. */
export interface Comparison {
  readonly name: string;
  readonly latency: number;
  readonly latencyUnit: string;
  /** Top-1 accuracy as a fraction in [0, 1]. */
  readonly accuracy: number;
  /** `searched`, `baseline` or any other word: points of one kind share a colour. */
  readonly kind: string;
  /** Points with the same series are joined by a line (e.g. a baseline at several width multipliers). */
  readonly series?: string;
  readonly note?: string;
}

/** Everything a report is drawn from. Only metrics.jsonl is required; the rest is shown when present. */
export interface RunData {
  readonly dir: string;
  readonly name: string;
  readonly start?: StartRecord;
  /** How many times the search was resumed from a checkpoint. */
  readonly resumes: number;
  readonly steps: readonly StepRecord[];
  readonly archSteps: readonly ArchRecord[];
  readonly epochs: readonly EpochRecord[];
  /** The `failed` record of a search that stopped with an error. */
  readonly failed?: { name: string; message: string };
  readonly config?: Record<string, unknown>;
  readonly candidates?: Record<string, string[]>;
  readonly architecture?: DerivedFile;
  readonly result?: DerivedFile;
  readonly latency?: LatencyFile;
  readonly comparisons?: readonly Comparison[];
  /** Things skipped while reading (e.g. a torn last line of metrics.jsonl). */
  readonly warnings: readonly string[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function readJson(dir: string, name: string): unknown {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RunReadError(path, `not valid JSON (${(err as Error).message})`);
  }
}

/** Field checks that throw a RunReadError naming the file, line and field. */
class Fields {
  constructor(
    private readonly file: string,
    private readonly line: number | undefined,
    private readonly what: string,
    private readonly o: Obj,
  ) {}
  private fail(key: string, expected: string): never {
    const v = this.o[key];
    throw new RunReadError(this.file, `${this.what} has ${v === undefined ? `no "${key}"` : `"${key}": ${JSON.stringify(v)}`} (expected ${expected})`, this.line);
  }
  num(key: string): number {
    const v = this.o[key];
    return isNum(v) ? v : this.fail(key, 'a number');
  }
  /** A number, or null (how JSON writes NaN and Infinity), or absent. */
  numOrNull(key: string): number | null {
    const v = this.o[key];
    if (v === undefined || v === null) return null;
    return isNum(v) ? v : this.fail(key, 'a number or null');
  }
  str(key: string): string {
    const v = this.o[key];
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }
  optStr(key: string): string | undefined {
    const v = this.o[key];
    if (v === undefined) return undefined;
    return typeof v === 'string' ? v : this.fail(key, 'a string');
  }
  optNum(key: string): number | undefined {
    const v = this.o[key];
    if (v === undefined || v === null) return undefined;
    return isNum(v) ? v : this.fail(key, 'a number');
  }
  probabilities(key: string): Record<string, number[]> {
    const v = this.o[key];
    if (!isObj(v)) return this.fail(key, 'an object of label: number[]');
    for (const p of Object.values(v)) {
      if (!Array.isArray(p) || !p.every((x) => x === null || typeof x === 'number')) return this.fail(key, 'an object of label: number[]');
    }
    return v as Record<string, number[]>;
  }
  architecture(key: string): Record<string, string> {
    const v = this.o[key];
    if (!isObj(v) || !Object.values(v).every((x) => typeof x === 'string')) return this.fail(key, 'an object of label: candidate name');
    return v as Record<string, string>;
  }
}

/** Parses metrics.jsonl strictly: every complete line must be a JSON record of a known shape. */
function readMetrics(path: string, warnings: string[]) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const torn = !text.endsWith('\n') && text.length > 0; // the last line was cut off (a crash mid-write)
  const steps = new Map<number, StepRecord>();
  const archSteps = new Map<number, ArchRecord>();
  const epochs = new Map<number, EpochRecord>();
  let start: StartRecord | undefined;
  let failed: { name: string; message: string } | undefined;
  let resumes = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    const line = i + 1;
    let rec: unknown;
    try {
      rec = JSON.parse(raw);
    } catch (err) {
      if (torn && i === lines.length - 1) {
        warnings.push(`${path} line ${line}: incomplete last record skipped (the search was interrupted while writing it)`);
        break;
      }
      throw new RunReadError(path, `not valid JSON (${(err as Error).message})`, line);
    }
    if (!isObj(rec)) throw new RunReadError(path, 'not a JSON object', line);
    const type = rec['type'];
    if (typeof type !== 'string') throw new RunReadError(path, `record has no "type" string`, line);
    const f = new Fields(path, line, `"${type}" record`, rec);
    switch (type) {
      case 'start': {
        const resumed = rec['resumedFrom'];
        if (isObj(resumed)) resumes++;
        if (start) break; // a resumed search appends another start record; the first one dates the run
        start = {
          epochs: f.num('epochs'),
          batchesPerEpoch: f.num('batchesPerEpoch'),
          resumedFrom: isObj(resumed) ? (resumed as unknown as StartRecord['resumedFrom']) : null,
          ...(isObj(rec['device']) ? { device: rec['device'] as StartRecord['device'] } : {}),
          ...(typeof rec['time'] === 'string' ? { time: rec['time'] } : {}),
        };
        break;
      }
      case 'step': {
        const s: StepRecord = {
          epoch: f.num('epoch'),
          batch: f.num('batch'),
          step: f.num('step'),
          phase: f.str('phase'),
          loss: f.numOrNull('loss'),
          accuracy: f.numOrNull('accuracy'),
          lr: f.numOrNull('lr'),
        };
        steps.set(s.step, s); // a step replayed after a resume replaces the earlier record
        break;
      }
      case 'arch': {
        const a: ArchRecord = {
          epoch: f.num('epoch'),
          step: f.num('step'),
          expectedLatency: f.numOrNull('expectedLatency'),
          probabilities: f.probabilities('probabilities'),
          metrics: isObj(rec['metrics']) ? rec['metrics'] : {},
        };
        archSteps.set(a.step, a);
        break;
      }
      case 'epoch': {
        const e: EpochRecord = {
          epoch: f.num('epoch'),
          epochs: f.num('epochs'),
          phase: f.str('phase'),
          trainLoss: f.numOrNull('trainLoss'),
          trainAccuracy: f.numOrNull('trainAccuracy'),
          validationLoss: f.numOrNull('validationLoss'),
          validationAccuracy: f.numOrNull('validationAccuracy'),
          expectedLatency: f.numOrNull('expectedLatency'),
          probabilities: f.probabilities('probabilities'),
          architecture: f.architecture('architecture'),
          seconds: f.numOrNull('seconds'),
        };
        epochs.set(e.epoch, e);
        break;
      }
      case 'failed':
        failed = { name: f.optStr('name') ?? 'Error', message: f.optStr('message') ?? '' };
        break;
      default:
        // `done` (same content as result.json) and record types added later are not needed here
        break;
    }
  }
  const byKey = <T>(m: Map<number, T>) => [...m.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  return { start, failed, resumes, steps: byKey(steps), archSteps: byKey(archSteps), epochs: byKey(epochs) };
}

function readDerived(dir: string, name: string): DerivedFile | undefined {
  const v = readJson(dir, name);
  if (v === undefined) return undefined;
  const path = join(dir, name);
  if (!isObj(v)) throw new RunReadError(path, 'expected a JSON object');
  const f = new Fields(path, undefined, name, v);
  f.architecture('architecture');
  f.probabilities('probabilities');
  f.optNum('latency');
  f.optStr('latencyUnit');
  f.optNum('measured_latency_ms');
  f.optNum('validationAccuracy');
  return v as DerivedFile;
}

function readCandidates(dir: string): Record<string, string[]> | undefined {
  const v = readJson(dir, RunFiles.candidates);
  if (v === undefined) return undefined;
  const path = join(dir, RunFiles.candidates);
  if (!isObj(v) || !Object.values(v).every((c) => Array.isArray(c) && c.every((n) => typeof n === 'string'))) {
    throw new RunReadError(path, 'expected an object of label: candidate names (string[])');
  }
  return v as Record<string, string[]>;
}

function readLatency(dir: string): LatencyFile | undefined {
  const v = readJson(dir, ReportFiles.latency);
  if (v === undefined) return undefined;
  const path = join(dir, ReportFiles.latency);
  if (!isObj(v)) throw new RunReadError(path, 'expected a JSON object');
  const f = new Fields(path, undefined, ReportFiles.latency, v);
  const ms = f.optNum('measured_latency_ms');
  const m = v['measurements'];
  let measurements: LatencyMeasurement[] | undefined;
  if (m !== undefined) {
    if (!Array.isArray(m)) throw new RunReadError(path, '"measurements" must be an array of { target, latency, unit }');
    measurements = m.map((x, i) => {
      if (!isObj(x)) throw new RunReadError(path, `measurements[${i}] must be an object { target, latency, unit }`);
      const g = new Fields(path, undefined, `measurements[${i}]`, x);
      return { target: g.str('target'), latency: g.num('latency'), unit: g.str('unit') };
    });
  }
  if (ms === undefined && !measurements) throw new RunReadError(path, 'expected "measured_latency_ms" (a number) or "measurements"');
  const target = f.optStr('target');
  const note = f.optStr('note');
  return { ...(ms !== undefined ? { measured_latency_ms: ms } : {}), ...(target ? { target } : {}), ...(note ? { note } : {}), ...(measurements ? { measurements } : {}) };
}

function readComparisons(dir: string): Comparison[] | undefined {
  const v = readJson(dir, ReportFiles.comparisons);
  if (v === undefined) return undefined;
  const path = join(dir, ReportFiles.comparisons);
  const list = Array.isArray(v) ? v : isObj(v) && Array.isArray(v['comparisons']) ? (v['comparisons'] as unknown[]) : undefined;
  if (!list) throw new RunReadError(path, 'expected an array of { name, latency, latencyUnit, accuracy, kind } (or { "comparisons": [...] })');
  return list.map((x, i) => {
    if (!isObj(x)) throw new RunReadError(path, `entry ${i} is not an object`);
    const f = new Fields(path, undefined, `entry ${i}`, x);
    const accuracy = f.num('accuracy');
    if (accuracy < 0 || accuracy > 1) throw new RunReadError(path, `entry ${i} has "accuracy": ${accuracy} (expected a fraction in [0, 1], e.g. 0.912)`);
    const series = f.optStr('series');
    const note = f.optStr('note');
    return {
      name: f.str('name'),
      latency: f.num('latency'),
      latencyUnit: f.optStr('latencyUnit') ?? 'ms',
      accuracy,
      kind: f.optStr('kind') ?? 'other',
      ...(series ? { series } : {}),
      ...(note ? { note } : {}),
    };
  });
}

/**
 * Reads a run directory written by `proxyless search` (metrics.jsonl is required; config.json,
 * candidates.json, architecture.json, result.json and the optional latency.json and comparisons.json
 * are used when present). Throws a RunReadError naming the file (and line) of anything corrupt.
 */
export function readRun(runDir: string): RunData {
  const dir = resolve(runDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new RunReadError(dir, 'no such run directory');
  const metricsPath = join(dir, RunFiles.metrics);
  if (!existsSync(metricsPath)) throw new RunReadError(dir, `has no ${RunFiles.metrics} (is it a run directory written by \`proxyless search\`?)`);
  const warnings: string[] = [];
  const m = readMetrics(metricsPath, warnings);
  const config = readJson(dir, RunFiles.config);
  if (config !== undefined && !isObj(config)) throw new RunReadError(join(dir, RunFiles.config), 'expected a JSON object');
  const candidates = readCandidates(dir);
  const architecture = readDerived(dir, RunFiles.architecture);
  const result = readDerived(dir, RunFiles.result);
  const latency = readLatency(dir);
  const comparisons = readComparisons(dir);
  return {
    dir,
    name: basename(dir),
    ...(m.start ? { start: m.start } : {}),
    resumes: m.resumes,
    steps: m.steps,
    archSteps: m.archSteps,
    epochs: m.epochs,
    ...(m.failed ? { failed: m.failed } : {}),
    ...(config !== undefined ? { config: config as Record<string, unknown> } : {}),
    ...(candidates ? { candidates } : {}),
    ...(architecture ? { architecture } : {}),
    ...(result ? { result } : {}),
    ...(latency ? { latency } : {}),
    ...(comparisons ? { comparisons } : {}),
    warnings,
  };
}
