import { Rng, type OpFeatures, type OpSpec, type SearchSpace } from '@proxyless/core';
import { buildTidy, measureArchitecture, sampleArchitecture, spreadOf, type MeasureOptions } from './build-table.js';
import { LatencyTable, type LatencyEntry } from './latency-table.js';
import { LookupTableLatencyProvider } from './lookup-table-provider.js';
import { LatencyPredictor, predictionMetrics, type PredictionMetrics } from './predictor.js';

export interface LatencySample {
  readonly architecture: Record<string, string>;
  readonly measuredMs: number;
  /** Coefficient of variation of the measurement. */
  readonly spread: number;
  readonly tableSumMs: number;
  readonly split: 'fit' | 'test';
  predictedMs?: number;
}

export interface PredictExperimentOptions extends MeasureOptions {
  readonly space: SearchSpace;
  readonly table: LatencyTable;
  /** Architectures to fit the predictor on (paper: 4000). */
  readonly fit: number;
  /** Held-out architectures to evaluate on (paper: 1000). */
  readonly test: number;
  readonly rng?: Rng;
  readonly target?: string;
  readonly signal?: AbortSignal;
  /** Re-measure a network while its spread (std/mean) is above this (default 0.1) … */
  readonly maxSpread?: number;
  /** … at most this many extra times (default 2); the least noisy measurement is kept. */
  readonly retries?: number;
  /** Called after every measured architecture. */
  readonly onSample?: (done: number, total: number, s: LatencySample) => void;
  /**
   * Measures a whole network somewhere else (another runtime, a browser) instead of on the active
   * backend: the entry of its timed runs. The layers are still read from the space here.
   */
  readonly measureNetwork?: (architecture: Readonly<Record<string, string>>) => Promise<LatencyEntry>;
}

/** One method's [measured, predicted] latencies (ms) of the held-out architectures. */
export interface PredictionScatterSeries {
  readonly name: string;
  readonly color: string;
  readonly style: 'markers';
  readonly width: number;
  readonly points: readonly (readonly [number, number])[];
  /** The sample of each point (its line in samples.jsonl, from 1), shown on hover. */
  readonly labels: readonly string[];
  readonly showLabels: false;
}

/**
 * A predicted-vs-measured scatter (like the paper's Figure 5) as plain data; its shape is a chart
 * spec of @proxyless/report (`chartPage({ title, charts: [scatter] })`), so this package draws nothing.
 */
export interface PredictionScatter {
  readonly id: 'predicted-vs-measured';
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly diagonal: string;
  readonly height: number;
  readonly series: readonly PredictionScatterSeries[];
}

/** The scatter of held-out samples: table sum and predictor against the measured latency. */
export function predictionScatter(samples: readonly LatencySample[], metrics: PredictExperiment['metrics']): PredictionScatter {
  const test = samples.map((s, i) => ({ s, i })).filter(({ s }) => s.split === 'test');
  const series = (name: string, color: string, m: PredictionMetrics, value: (s: LatencySample) => number | undefined): PredictionScatterSeries => {
    const pts = test.filter(({ s }) => Number.isFinite(value(s)));
    return {
      name: `${name} (MAPE ${m.mapePct.toFixed(1)}%, R² ${m.r2.toFixed(3)})`,
      color,
      style: 'markers',
      width: 8,
      showLabels: false,
      points: pts.map(({ s }) => [s.measuredMs, value(s)!] as const),
      labels: pts.map(({ i }) => `samples.jsonl line ${i + 1}`),
    };
  };
  return {
    id: 'predicted-vs-measured',
    title: `predicted vs measured latency, ${test.length} held-out architectures`,
    xLabel: 'measured latency (ms)',
    yLabel: 'predicted latency (ms)',
    diagonal: 'y = x',
    height: 480,
    series: [series('table sum', '#E69F00', metrics.tableSum, (s) => s.tableSumMs), series('predictor', '#0072B2', metrics.predictor, (s) => s.predictedMs)],
  };
}

export interface PredictExperiment {
  readonly predictor: LatencyPredictor;
  readonly samples: readonly LatencySample[];
  /** On the held-out architectures. */
  readonly metrics: { readonly tableSum: PredictionMetrics; readonly predictor: PredictionMetrics };
  /** Predicted-vs-measured scatter of the held-out architectures, as data (`proxyless latency predict` draws it with @proxyless/report's chartPage). */
  readonly scatter: PredictionScatter;
  /** True when stopped early by the signal (metrics are over what was measured). */
  readonly interrupted: boolean;
}

/**
 * Samples architectures uniformly from a space, measures their whole-network latency on the active
 * backend, fits the predictor (table sum + learned correction) on the first `fit` and reports RMSE,
 * MAPE and R² of both the table sum and the predictor on the `test` held-out ones.
 */
export async function runPredictExperiment(o: PredictExperimentOptions): Promise<PredictExperiment> {
  const rng = o.rng ?? new Rng('latency-predict');
  const sampleRng = rng.fork('sample');
  const buildRng = rng.fork('build');
  const provider = new LookupTableLatencyProvider(o.table);
  const total = o.fit + o.test;
  const samples: LatencySample[] = [];
  const layersOf: OpFeatures[][] = [];
  const measureOnce = async (architecture: Record<string, string>): Promise<{ entry: LatencyEntry; fixed: OpSpec[] }> => {
    if (!o.measureNetwork) return measureArchitecture(o.space, architecture, o, buildRng);
    const net = buildTidy(() => o.space.buildCompact(architecture, buildRng));
    const fixed = [...net.fixedOps];
    for (const v of net.variables()) v.variable.dispose();
    return { entry: await o.measureNetwork(architecture), fixed };
  };
  // Every layer must be priced by the table (fixed ones included): checked on the first network.
  let interrupted = false;
  for (let i = 0; i < total; i++) {
    if (o.signal?.aborted) {
      interrupted = true;
      break;
    }
    const architecture = sampleArchitecture(o.space, sampleRng);
    let { entry, fixed } = await measureOnce(architecture);
    for (let retry = 0; retry < (o.retries ?? 2) && spreadOf(entry) > (o.maxSpread ?? 0.1); retry++) {
      const again = await measureOnce(architecture);
      if (spreadOf(again.entry) < spreadOf(entry)) ({ entry, fixed } = again);
    }
    const layers = [
      ...o.space.describe().map((m) => m.candidates.find((c) => c.name === architecture[m.label])!.features),
      ...fixed.map((f) => f.features),
    ];
    if (i === 0) provider.check([...o.space.describe().flatMap((m) => m.candidates.map((c) => c.features)), ...layers]);
    const s: LatencySample = {
      architecture,
      measuredMs: entry.mean,
      spread: spreadOf(entry),
      tableSumMs: layers.reduce((acc, f) => acc + provider.latency(f), 0),
      split: i < o.fit ? 'fit' : 'test',
    };
    samples.push(s);
    layersOf.push(layers);
    o.onSample?.(i + 1, total, s);
  }
  const fitIdx = samples.map((s, i) => (s.split === 'fit' ? i : -1)).filter((i) => i >= 0);
  const testIdx = samples.map((s, i) => (s.split === 'test' ? i : -1)).filter((i) => i >= 0);
  const predictor = LatencyPredictor.fit(
    o.table,
    fitIdx.map((i) => ({ layers: layersOf[i]!, measuredMs: samples[i]!.measuredMs })),
    o.target,
  );
  samples.forEach((s, i) => (s.predictedMs = predictor.predict(layersOf[i]!)));
  const measured = testIdx.map((i) => samples[i]!.measuredMs);
  const metrics = {
    tableSum: predictionMetrics(testIdx.map((i) => samples[i]!.tableSumMs), measured),
    predictor: predictionMetrics(testIdx.map((i) => samples[i]!.predictedMs!), measured),
  };
  return { predictor, samples, metrics, scatter: predictionScatter(samples, metrics), interrupted };
}
