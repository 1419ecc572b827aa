import { composeSearch, deriveFromRun, LATENCY_CALIBRATION_FILE, RunFiles, type Architecture } from '@proxyless/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { subsetDir, tempDir, writeConfig } from './helpers.js';

/**
 * The search's latency model against whole networks measured on wasm: the measured provider
 * calibrates the op table on whole networks, and BinaryConnect measures what it derives.
 * Blocks of 1×1 vs 7×7 convs (32 channels) keep choices far apart in latency, so timing noise does
 * not decide the outcome.
 */
const config = (budget: number, cacheFile: string, calibrate = 8) => ({
  seed: 4,
  backend: { use: '@proxyless/backend-wasm' },
  data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 320, test: 64 }, validation: 64 } },
  space: {
    use: '@proxyless/test-utils',
    options: { stem: 8, blocks: [{ width: 32, stride: 2 }, { width: 32, stride: 1 }, { width: 32, stride: 2 }, { width: 32, stride: 1 }], kernels: [1, 7], zero: true },
  },
  strategy: { use: '@proxyless/strategy-binaryconnect', options: { budget, hardBudget: true, latencyLoss: 'none', lr: 0.05 } },
  latency: { use: '@proxyless/backend-wasm', name: 'measured', options: { minRuns: 10, minDurationMs: 30, calibrate, cacheFile } },
  trainer: { use: 'search', options: { epochs: 2, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 1, checkpointEvery: 0, evaluateEachEpoch: false } },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe('latency calibrated to whole networks', () => {
  it('fits the op table to measured networks, and the derived network measures within the budget', async () => {
    // the op sum vs the measured network for the fastest and the slowest architectures, uncalibrated
    const cache = join(tempDir(), 'ops.json');
    const probe = await composeSearch({ config: writeConfig(tempDir(), config(1, cache, 0)), noRunDir: true, log: () => {} });
    const { latency: raw, measureLatency, network } = probe.session.components;
    expect(raw!.calibration).toBeUndefined();
    const pick = (k: string) => Object.fromEntries(network.mixedOps.map((op) => [op.label, k])) as Architecture;
    const [fast, slow] = [pick('1x1_conv'), pick('7x7_conv')];
    const m = { fast: [] as number[], slow: [] as number[] };
    for (let i = 0; i < 3; i++) {
      m.fast.push(await measureLatency!(fast));
      m.slow.push(await measureLatency!(slow));
    }
    const [mf, ms] = [median(m.fast), median(m.slow)];
    expect(ms).toBeGreaterThan(1.5 * mf);
    // a budget that binds: between the fastest and the slowest network as measured
    const T = Number((mf + 0.45 * (ms - mf)).toFixed(3));

    const dir = tempDir();
    const logs: string[] = [];
    const runDir = join(dir, 'run');
    const { session } = await composeSearch({ config: writeConfig(dir, config(T, cache)), runDir, log: (l) => logs.push(l) });
    const { latency } = session.components;
    const cal = latency!.calibration!;
    expect(cal.samples).toHaveLength(8);
    expect(cal.scale).toBeGreaterThan(0);
    // the calibrated model predicts whole networks at least as well as the op sum did (least squares
    // over [Σops, layers, 1] contains the plain sum, so its squared error cannot be larger)
    const sse = (f: (x: (typeof cal.samples)[number]) => number) => cal.samples.reduce((s, x) => s + (f(x) - x.measured) ** 2, 0);
    expect(sse((x) => cal.scale * x.tableSum + cal.perLayer * x.layers + cal.offset)).toBeLessThanOrEqual(sse((x) => x.tableSum) * (1 + 1e-6) + 1e-12);
    expect(Number.isFinite(cal.mapeAfter) && Number.isFinite(cal.mapeBefore)).toBe(true);
    expect(logs.some((l) => /^latency calibration on 8 networks: measured ≈ .*·Σops/.test(l))).toBe(true);
    // E[lat] and the derive use the calibrated prices (both searches read the ops from one cache file)
    for (const [label, prices] of Object.entries(latency!.table)) {
      prices.forEach((p, i) => expect(p).toBeCloseTo(raw!.table[label]![i] === 0 ? 0 : Math.max(0, cal.scale * raw!.table[label]![i]! + cal.perLayer), 9));
    }
    const clamped = network.fixedOps.length; // every fixed layer costs more than nothing
    expect(latency!.fixed).toBeCloseTo(cal.scale * raw!.fixed + cal.perLayer * clamped + cal.offset, 9);

    const result = await session.run();
    expect(result.latencyBudget).toBe(T);
    expect(result.measuredLatency).toBeDefined();
    expect(result.measuredLatency!).toBeLessThanOrEqual(T);
    expect(logs.some((l) => /^binaryconnect: derived network measured .* vs budget /.test(l))).toBe(true);
    const arch = JSON.parse(readFileSync(join(runDir, RunFiles.architecture), 'utf8'));
    expect(arch.measuredLatency).toBe(result.measuredLatency);
    expect(arch.latencyBudget).toBe(T);
    // the run keeps its calibration; `proxyless derive` (and a resume) prices with it instead of measuring anew
    const stored = JSON.parse(readFileSync(join(runDir, LATENCY_CALIBRATION_FILE), 'utf8'));
    expect(stored).toEqual({ target: 'cpu', unit: 'ms', calibration: JSON.parse(JSON.stringify(cal)) });
    const deriveLogs: string[] = [];
    const derived = await deriveFromRun(runDir, { log: (l) => deriveLogs.push(l) });
    expect(deriveLogs.some((l) => l.startsWith("latency calibration: the run's own"))).toBe(true);
    expect(deriveLogs.some((l) => l.startsWith('latency calibration on'))).toBe(false);
    expect(derived.latencyBudget).toBe(T);
    expect(derived.measuredLatency!).toBeLessThanOrEqual(T);
    // the search measured what it derived from this same checkpoint: the derive keeps that answer
    expect(derived.architecture).toEqual(result.architecture);
    expect(derived.measuredLatency).toBe(result.measuredLatency);
    expect(deriveLogs.some((l) => l.startsWith('derive: the search already derived and measured this checkpoint'))).toBe(true);
    expect(deriveLogs.some((l) => l.startsWith('binaryconnect: derived network measured'))).toBe(false);
    // measured again against the search's reference network, the derived network stays near its
    // budget (noise allowed; a plain median of three windows read ×1.5–1.8 in the machine's slow phases)
    const [again] = await session.components.measureLatencies!([result.architecture], 4);
    expect(again).toBeLessThan(1.2 * T);
  });
});
