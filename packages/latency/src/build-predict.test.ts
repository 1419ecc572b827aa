import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WasmBackendImpl } from '@proxyless/backend-wasm';
import { Rng, createExpectedLatency, type OpSpec } from '@proxyless/core';
import { TinySpace, tinySpaceOptions } from '@proxyless/test-utils';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  LatencyPredictor,
  LatencyTable,
  LookupTableLatencyProvider,
  PredictorLatencyProvider,
  buildLatencyTable,
  distinctOps,
  latencyKey,
  opMacs,
  predictionMetrics,
  readLatencyTable,
  robustEntry,
  runPredictExperiment,
  spaceOps,
  type LatencyEntry,
} from './index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'proxyless-latency-'));
const space = () =>
  new TinySpace(tinySpaceOptions.parse({ stem: 4, blocks: [{ width: 4, stride: 2 }, { width: 4, stride: 1 }, { width: 8, stride: 2 }, { width: 8, stride: 1 }], kernels: [3, 5] }), {
    shape: [16, 16, 1],
    numClasses: 10,
  });
const fast = { warmup: 1, minRuns: 3, minDurationMs: 2 };

beforeAll(async () => {
  await new WasmBackendImpl().init();
});

describe('latency build', () => {
  test('measures every distinct candidate and fixed layer on wasm and writes the official format', async () => {
    const s = space();
    const ops = spaceOps(s);
    const file = join(tmp(), 'tiny.yaml');
    const before = tf.memory().numTensors;
    const r = await buildLatencyTable({ file, ops, ...fast });
    expect(tf.memory().numTensors).toBe(before);
    const keys = [...distinctOps(ops).keys()];
    expect(r.total).toBe(keys.length);
    expect(r.measured.length).toBe(keys.length);
    const t = readLatencyTable(file);
    expect(t.keys().sort()).toEqual([...keys].sort());
    for (const k of keys) expect(t.get(k)!.mean).toBeGreaterThan(0);
    expect(keys).toContain('Logits-input:4x4x8-output:10');
    expect(keys).toContain('conv-input:16x16x1-output:16x16x4-kernel:3-stride:1');
    // Everything the space may run is now priced: a search could start.
    await expect(LookupTableLatencyProvider.fromFile(file).prepare(ops)).resolves.toBeUndefined();
  });

  test('an interrupted build resumes: earlier entries are kept untouched and never re-measured', async () => {
    const ops = spaceOps(space());
    const keys = [...distinctOps(ops).keys()];
    const file = join(tmp(), 'resume.json');
    const calls: string[] = [];
    let n = 0;
    const measure = async (op: OpSpec): Promise<LatencyEntry> => {
      calls.push(latencyKey(op.features));
      return { count: 10, mean: 1 + n++ / 100, var: 0 };
    };
    const controller = new AbortController();
    const first = await buildLatencyTable({
      file,
      ops,
      measure,
      onEntry: (p) => {
        if (p.done === 3) controller.abort();
      },
      signal: controller.signal,
    });
    expect(first.measured.length).toBe(3);
    expect(first.remaining).toBe(keys.length - 3);
    const saved = readLatencyTable(file).toJSON();
    expect(Object.keys(saved).length).toBe(3);

    calls.length = 0;
    const second = await buildLatencyTable({ file, ops, measure, limit: 2 });
    expect(second.kept).toBe(3);
    expect(calls.length).toBe(2);
    const third = await buildLatencyTable({ file, ops, measure });
    expect(third.kept).toBe(5);
    expect(third.remaining).toBe(0);
    const final = readLatencyTable(file).toJSON();
    for (const [k, e] of Object.entries(saved)) expect(final[k]).toEqual(e); // untouched
    expect(new Set(calls).size).toBe(calls.length); // nothing measured twice
    expect(Object.keys(final).sort()).toEqual([...keys].sort());
    expect(existsSync(file)).toBe(true);
  });

  test('noisy entries are re-measured and the least noisy kept; still-noisy ones are reported', async () => {
    const ops = spaceOps(space());
    const spreads = [0.5, 0.05, 0.4, 0.3, 0.35];
    let i = 0;
    const attempts: number[] = [];
    const r = await buildLatencyTable({
      file: join(tmp(), 'noisy.yaml'),
      ops: ops.slice(0, 2),
      retries: 2,
      maxSpread: 0.1,
      measure: async (_op, attempt) => {
        attempts.push(attempt);
        const cv = spreads[i++ % spreads.length]!;
        return { count: 10, mean: 2, var: (cv * 2) ** 2 };
      },
    });
    expect(r.measured.map((m) => m.attempts)).toEqual([2, 3]);
    expect(r.measured[0]!.spread).toBeCloseTo(0.05, 9);
    expect(r.measured[1]!.spread).toBeCloseTo(0.3, 9);
    expect(r.noisy.length).toBe(1);
    expect(r.noisy[0]!.spread).toBeCloseTo(0.3, 9);
  });
});

describe('robust entries', () => {
  test('runs far above the median (GC pauses, preemption) are dropped before mean and variance', () => {
    const e = robustEntry([1, 1.02, 0.98, 1.01, 0.99, 25, 1, 40]);
    expect(e.count).toBe(6);
    expect(e.mean).toBeCloseTo(1, 2);
    expect(Math.sqrt(e.var)).toBeLessThan(0.02);
  });
});

describe('expected latency and the predictor', () => {
  test('E[lat] from a table is differentiable in α: the gradient equals a finite difference', () => {
    const s = space();
    const table = new LatencyTable([...distinctOps(spaceOps(s)).keys()].map((k, i) => [k, { count: 1, mean: 0.5 + i * 0.37, var: 0 }] as const));
    const net = s.buildSupernet(new Rng(3));
    const el = createExpectedLatency(net, new LookupTableLatencyProvider(table));
    const op = net.mixedOps[1]!; // has `zero`
    expect(el.table[op.label]!.at(-1)).toBe(0);
    tf.tidy(() => op.alpha.assign(tf.tensor1d([0.3, -0.2, 0.1])));
    // Finite differences of el.expected() itself (the real function) w.r.t. each α_i.
    const h = 1e-3;
    const base = Array.from(op.alpha.dataSync());
    const at = (v: number[]) => {
      tf.tidy(() => op.alpha.assign(tf.tensor1d(v)));
      return tf.tidy(() => el.expected().arraySync() as number);
    };
    const fd = base.map((_, i) => (at(base.map((x, j) => (j === i ? x + h : x))) - at(base.map((x, j) => (j === i ? x - h : x)))) / (2 * h));
    at(base);
    // The gradient of core's expected() w.r.t. α (what a strategy's latency loss back-propagates).
    const { grads } = tf.variableGrads(() => el.expected(), [op.alpha]);
    const gCore = grads[op.alpha.name]!.arraySync() as number[];
    tf.dispose(Object.values(grads));
    fd.forEach((v, i) => expect(v).toBeCloseTo(gCore[i]!, 3));
    expect(gCore.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    for (const v of net.variables()) v.variable.dispose();
  });

  test('predict: measures sampled networks on wasm, fits a correction, reports metrics and a y = x scatter', async () => {
    const s = space();
    const ops = spaceOps(s);
    const file = join(tmp(), 'tiny.json');
    const { table } = await buildLatencyTable({ file, ops, ...fast });
    const r = await runPredictExperiment({ space: s, table, fit: 8, test: 4, ...fast, rng: new Rng(5) });
    expect(r.samples.length).toBe(12);
    expect(r.samples.filter((x) => x.split === 'test').length).toBe(4);
    for (const m of [r.metrics.tableSum, r.metrics.predictor]) {
      expect(m.n).toBe(4);
      expect(Number.isFinite(m.rmseMs)).toBe(true);
      expect(Number.isFinite(m.mapePct)).toBe(true);
    }
    // the held-out predictions as scatter data: table sum and predictor against the measured latency
    expect(r.scatter.diagonal).toBe('y = x');
    expect(r.scatter.series.map((x) => x.name)).toEqual([
      `table sum (MAPE ${r.metrics.tableSum.mapePct.toFixed(1)}%, R² ${r.metrics.tableSum.r2.toFixed(3)})`,
      `predictor (MAPE ${r.metrics.predictor.mapePct.toFixed(1)}%, R² ${r.metrics.predictor.r2.toFixed(3)})`,
    ]);
    const held = r.samples.filter((x) => x.split === 'test');
    expect(r.scatter.series[0]!.points).toEqual(held.map((x) => [x.measuredMs, x.tableSumMs]));
    expect(r.scatter.series[1]!.points).toEqual(held.map((x) => [x.measuredMs, x.predictedMs]));
    // The predictor file round-trips and prices every op like the predictor itself.
    const out = join(tmp(), 'predictor.json');
    r.predictor.save(out);
    const back = LatencyPredictor.load(out);
    const provider = new PredictorLatencyProvider(back);
    const arch = r.samples[0]!;
    const layers = [...s.describe().map((m) => m.candidates.find((c) => c.name === arch.architecture[m.label])!.features), ...ops.slice(-2).map((o) => o.features)];
    expect(layers.reduce((acc, f) => acc + provider.latency(f), 0)).toBeCloseTo(arch.predictedMs!, 6);
  });

  test('the predictor corrects a systematic per-layer overhead and prices shapes missing from the table', () => {
    const s = space();
    const ops = spaceOps(s);
    const unique = [...distinctOps(ops)];
    // A table whose entries grow with MACs (as real ones do), plus some scatter.
    const table = new LatencyTable(unique.map(([k, op], i) => [k, { count: 1, mean: 0.2 + opMacs(op.features) / 2e4 + (i % 3) * 0.02, var: 0 }] as const));
    const rng = new Rng(9);
    const nets = Array.from({ length: 40 }, () => {
      const layers = [...s.describe().map((m) => m.candidates[rng.int(m.candidates.length)]!.features), ...ops.slice(-2).map((o) => o.features)];
      const tsum = layers.reduce((acc, f) => acc + new LookupTableLatencyProvider(table).latency(f), 0);
      const nonZero = layers.filter((f) => f.type !== 'zero').length;
      return { layers, tsum, measuredMs: 0.8 * tsum - 0.1 * nonZero + 0.05 + rng.normal(0, 0.01) };
    });
    const p = LatencyPredictor.fit(table, nets.slice(0, 30));
    const test = nets.slice(30);
    const pm = predictionMetrics(test.map((n) => p.predict(n.layers)), test.map((n) => n.measuredMs));
    const tm = predictionMetrics(test.map((n) => n.tsum), test.map((n) => n.measuredMs));
    expect(pm.mapePct).toBeLessThan(tm.mapePct);
    expect(pm.mapePct).toBeLessThan(2);
    expect(pm.r2).toBeGreaterThan(0.95);
    // A conv shape the table has never seen still gets a positive price from the per-type model.
    const unseen = p.tableLatency({ type: 'conv', input: [32, 32, 8], output: [32, 32, 8], kernel: 7, stride: 1, idskip: true });
    expect(unseen).toBeGreaterThan(0);
  });
});
