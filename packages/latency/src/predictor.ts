import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { writeFileAtomic, z, type LatencyProvider, type OpFeatures, type OpSpec } from '@proxyless/core';
import { opMacs } from './flops.js';
import { isZeroOp, latencyKey, parseLatencyKey } from './latency-key.js';
import { LatencyTable, type LatencyEntry } from './latency-table.js';
import { ridgeCv } from './linalg.js';

/**
 * Latency predictor (ProxylessNAS Appendix B): network latency = the table sum plus a learned
 * correction. Every op contributes per-op features
 *   φ(op) = [table latency, MACs (M), 1 (a layer), activations in + out (M)]
 * and a network's features are their sum over its non-zero layers; the correction is a ridge
 * regression of (measured − table sum) on them, so with no evidence it stays the table sum.
 * Ops whose shape is not in the table are priced by a per-type linear model of the table's own
 * entries (latency ≈ a + b·MACs + c·activations), so the predictor generalizes to new shapes.
 */
export const PREDICTOR_FEATURES = ['table_ms', 'macs_m', 'layers', 'activations_m'] as const;

export interface PredictorJson {
  readonly version: 1;
  readonly target: string;
  readonly unit: 'ms';
  /** The table the predictor starts from (inlined: the predictor file is self-contained). */
  readonly table: Record<string, LatencyEntry>;
  /** Per op type: [a, b, c] of latency ≈ a + b·MACs(M) + c·activations(M), for shapes not in the table. */
  readonly opModel: Record<string, readonly number[]>;
  readonly correction: { readonly features: readonly string[]; readonly weights: readonly number[]; readonly intercept: number; readonly lambda: number };
}

const predictorJsonSchema = z.object({
  version: z.literal(1),
  target: z.string(),
  unit: z.literal('ms'),
  table: z.record(z.string(), z.object({ count: z.number(), mean: z.number(), var: z.number() })),
  opModel: z.record(z.string(), z.array(z.number())),
  correction: z.object({ features: z.array(z.string()), weights: z.array(z.number()), intercept: z.number(), lambda: z.number() }),
});

const activations = (f: OpFeatures) => (f.input[0] * f.input[1] * f.input[2] + f.output[0] * f.output[1] * f.output[2]) / 1e6;

/** Fits latency ≈ a + b·MACs + c·activations per op type on a table's entries (pooled over all types when a type has < 4). */
export function fitOpModel(table: LatencyTable): Record<string, number[]> {
  const rows = table.sorted().map(([k, e]) => {
    const f = parseKeySafe(k);
    return f ? { type: f.type, x: [opMacsSafe(f) / 1e6, activations(f)], y: e.mean } : undefined;
  }).filter((r): r is { type: string; x: number[]; y: number } => r !== undefined);
  const fit = (rs: typeof rows): number[] => {
    if (rs.length === 0) return [0, 0, 0];
    if (rs.length < 4) return [rs.reduce((s, r) => s + r.y, 0) / rs.length, 0, 0];
    const r = ridgeCv(rs.map((x) => x.x), rs.map((x) => x.y), [1e-6, 1e-3, 1e-1]);
    return [r.intercept, ...r.weights];
  };
  const out: Record<string, number[]> = { '*': fit(rows) };
  for (const type of new Set(rows.map((r) => r.type))) {
    const rs = rows.filter((r) => r.type === type);
    if (rs.length >= 4) out[type] = fit(rs);
  }
  return out;
}

function parseKeySafe(k: string): OpFeatures | undefined {
  try {
    return parseLatencyKey(k);
  } catch {
    return undefined;
  }
}
function opMacsSafe(f: OpFeatures): number {
  try {
    return opMacs(f);
  } catch {
    return 0;
  }
}

export class LatencyPredictor {
  readonly table: LatencyTable;

  constructor(readonly model: PredictorJson) {
    this.table = new LatencyTable(Object.entries(model.table));
  }

  /** Latency of one op from the table, or from the per-type model when its key is not in the table. */
  tableLatency(f: OpFeatures): number {
    if (isZeroOp(f)) return 0;
    const hit = this.table.get(latencyKey(f));
    if (hit) return hit.mean;
    const [a, b, c] = this.model.opModel[f.type] ?? this.model.opModel['*'] ?? [0, 0, 0];
    return Math.max(0, a! + b! * (opMacsSafe(f) / 1e6) + c! * activations(f));
  }

  /** Per-op features φ(op) (zero for a `zero` op). */
  opFeatures(f: OpFeatures): number[] {
    if (isZeroOp(f)) return [0, 0, 0, 0];
    return [this.tableLatency(f), opMacsSafe(f) / 1e6, 1, activations(f)];
  }

  /** Network features: Σ φ over its layers. */
  networkFeatures(layers: readonly OpFeatures[]): number[] {
    const s = [0, 0, 0, 0];
    for (const f of layers) this.opFeatures(f).forEach((v, i) => (s[i]! += v));
    return s;
  }

  /** Table sum of a network (no correction). */
  tableSum(layers: readonly OpFeatures[]): number {
    return layers.reduce((s, f) => s + this.tableLatency(f), 0);
  }

  /** Predicted latency of a network: table sum + correction. */
  predict(layers: readonly OpFeatures[]): number {
    const phi = this.networkFeatures(layers);
    const c = this.model.correction;
    return phi[0]! + c.intercept + phi.reduce((s, v, i) => s + v * c.weights[i]!, 0);
  }

  /**
   * The per-op share of the prediction (the correction is linear in Σφ, so it splits over ops); the
   * network-level intercept is charged to the classifier (`Logits`), which every network has once.
   */
  opLatency(f: OpFeatures): number {
    const phi = this.opFeatures(f);
    const w = this.model.correction.weights;
    const share = phi[0]! + phi.reduce((s, v, i) => s + v * w[i]!, 0);
    return share + (f.type === 'Logits' ? this.model.correction.intercept : 0);
  }

  toJSON(): PredictorJson {
    return this.model;
  }

  save(path: string): void {
    const file = resolve(path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic(file, `${JSON.stringify(this.model, null, 1)}\n`);
  }

  static load(path: string): LatencyPredictor {
    const file = resolve(path);
    if (!existsSync(file)) throw new Error(`latency predictor ${file}: no such file (write one with \`proxyless latency predict\`)`);
    const r = predictorJsonSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!r.success) throw new Error(`latency predictor ${file}: not a predictor file (${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message})`);
    return new LatencyPredictor(r.data as PredictorJson);
  }

  /** Fits the correction on networks (their layers) and measured latencies (ms). */
  static fit(table: LatencyTable, samples: readonly { layers: readonly OpFeatures[]; measuredMs: number }[], target = 'custom'): LatencyPredictor {
    const base = new LatencyPredictor({
      version: 1,
      target,
      unit: 'ms',
      table: table.toJSON(),
      opModel: fitOpModel(table),
      correction: { features: [...PREDICTOR_FEATURES], weights: [0, 0, 0, 0], intercept: 0, lambda: 0 },
    });
    if (samples.length < 3) return base;
    const X = samples.map((s) => base.networkFeatures(s.layers));
    const y = samples.map((s, i) => s.measuredMs - X[i]![0]!);
    const r = ridgeCv(X, y);
    return new LatencyPredictor({ ...base.model, correction: { features: [...PREDICTOR_FEATURES], weights: r.weights, intercept: r.intercept, lambda: r.lambda } });
  }
}

/** Accuracy of predictions against measurements. */
export interface PredictionMetrics {
  readonly n: number;
  readonly rmseMs: number;
  /** Mean absolute percentage error, in %. */
  readonly mapePct: number;
  readonly r2: number;
  /** Pearson correlation. */
  readonly pearson: number;
}

export function predictionMetrics(predicted: readonly number[], measured: readonly number[]): PredictionMetrics {
  const n = measured.length;
  const mean = (a: readonly number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const my = mean(measured);
  const mp = mean(predicted);
  let sse = 0;
  let sst = 0;
  let ape = 0;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const e = predicted[i]! - measured[i]!;
    sse += e * e;
    sst += (measured[i]! - my) ** 2;
    ape += Math.abs(e) / measured[i]!;
    sxy += (predicted[i]! - mp) * (measured[i]! - my);
    sxx += (predicted[i]! - mp) ** 2;
    syy += (measured[i]! - my) ** 2;
  }
  return { n, rmseMs: Math.sqrt(sse / n), mapePct: (100 * ape) / n, r2: sst > 0 ? 1 - sse / sst : NaN, pearson: sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN };
}

/** The `predictor` target as a provider: per-op shares of a fitted predictor (see `opLatency`). */
export class PredictorLatencyProvider implements LatencyProvider {
  readonly unit = 'ms';
  readonly target: string;

  constructor(readonly predictor: LatencyPredictor, target?: string) {
    this.target = target ?? predictor.model.target;
  }

  async prepare(_ops: readonly OpSpec[]): Promise<void> {
    // Every shape has a price (table entry or the per-type model): nothing to check.
  }

  latency(op: OpFeatures): number {
    return isZeroOp(op) ? 0 : this.predictor.opLatency(op);
  }
}
