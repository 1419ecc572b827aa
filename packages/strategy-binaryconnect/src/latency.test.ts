import * as tf from '@tensorflow/tfjs-core';
import { createExpectedLatency, Rng, softmaxCrossEntropy, type SearchPlugin } from '@proxyless/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { argmax, fashionMnist, FixtureSpace, kernelLatency, runSearch, TableLatencyProvider, useWasm } from '../test/fixtures.js';
import { BinaryConnectStrategy, binaryConnectOptions, mostProbableWithin, type BinaryConnectOptionsInput } from './index.js';

beforeAll(useWasm);

/** Candidates of one block share one module (exactly equal quality); the table prices them 4, 1 and 9 ms. */
const slotLatency = new TableLatencyProvider((op) => (op.extra?.['slot'] !== undefined ? [4, 1, 9][op.extra['slot'] as number]! : 1));

async function equalQualitySearch(strategy: BinaryConnectOptionsInput) {
  const dataset = await fashionMnist(600, 120);
  const space = new FixtureSpace(dataset.input, [
    { width: 8, stride: 2, kernels: [3, 3, 3], shared: true },
    { width: 8, stride: 1, kernels: [3, 3, 3], shared: true },
  ]);
  const elat: number[] = [];
  const rec: SearchPlugin = { name: 'Rec', apply: (s) => s.hooks.afterArchStep.tapPromise('Rec', async (i) => void elat.push(i.expectedLatency!)) };
  const run = await runSearch({
    seed: 2,
    dataset,
    space,
    strategy,
    latency: slotLatency,
    trainer: { epochs: 1, warmupEpochs: 0, lr: 0.1, batchSize: 32, archUpdateEvery: 1, archStepsPerUpdate: 2, evaluateEachEpoch: false, checkpointEvery: 0 },
    plugins: [rec],
  });
  return { ...run, elat };
}

describe('latency-aware loss with equal-quality candidates', () => {
  const cases: [string, BinaryConnectOptionsInput][] = [
    ['additive λ2·E[lat], two mode', { mode: 'two', latencyLoss: 'additive', lambda: 0.05, lr: 0.05 }],
    ['additive λ2·E[lat], full mode', { mode: 'full', latencyLoss: 'additive', lambda: 0.05, lr: 0.05 }],
    ['additive λ2·E[lat], exact mode', { mode: 'exact', latencyLoss: 'additive', lambda: 0.05, lr: 0.05 }],
    ['normalized λ·(E[lat] − T)/T', { latencyLoss: 'normalized', budget: 8, lr: 0.05 }],
    ['multiplicative α_r·CE·(log E[lat] / log T)^β', { budget: 8, lr: 0.05 }],
  ];
  for (const [name, options] of cases) {
    it(`${name}: p moves to the lowest-latency candidate`, async () => {
      const { result, elat, strategy } = await equalQualitySearch(options);
      for (const [label, p] of Object.entries(result.probabilities)) {
        expect(argmax(p), `${label}: p = ${p}`).toBe(1);
        expect(p[1]).toBeGreaterThan(0.5);
      }
      expect(result.latency).toBe(2 + 1 + 1);
      expect(elat.at(-1)!).toBeLessThan(elat[0]! - 2);
      expect(strategy.latencyLoss).toBe(options.latencyLoss ?? 'multiplicative');
    });
  }
});

describe('hard budget', () => {
  it('adapts μ by dual ascent and derives an architecture within T (the same search without a budget derives 5×5 twice: 52 ms, see search.test.ts)', async () => {
    const dataset = await fashionMnist(1200, 240);
    const space = new FixtureSpace(dataset.input, [
      { width: 8, stride: 2, kernels: [1, 5] },
      { width: 8, stride: 1, kernels: [1, 5] },
    ]);
    const target = 30; // fixed 2 + (1 or 25) + (1 or 25): the 5×5 conv fits in one block only
    const trace: { mu: number; elat: number }[] = [];
    const logs: string[] = [];
    const rec: SearchPlugin = {
      name: 'Rec',
      apply: (s) => s.hooks.afterArchStep.tapPromise('Rec', async (i) => void trace.push({ mu: i.metrics['dualLambda']!, elat: i.metrics['expectedLatency']! })),
    };
    const { result, strategy } = await runSearch({
      seed: 1,
      dataset,
      space,
      latency: kernelLatency,
      strategy: { mode: 'two', lr: 0.03, hardBudget: true, budget: target, latencyLoss: 'none' },
      trainer: { epochs: 4, warmupEpochs: 2, lr: 0.1, batchSize: 32, archUpdateEvery: 1, evaluateEachEpoch: false, checkpointEvery: 0 },
      plugins: [rec],
      log: (m) => logs.push(m),
    });
    const report = strategy.deriveReport();
    expect(report.rule).toBe('within-budget');
    expect(report.latency).toBeLessThanOrEqual(target);
    expect(report.fits).toBe(true);
    expect(result.latency).toBe(report.latency);
    expect(result.architecture).toEqual(report.architecture);
    // it is the most probable architecture that fits (enumerated)
    const ops = Object.entries(result.probabilities).map(([label, probs]) => ({ label, names: ['1x1', '5x5'], probs, latency: [1, 25] }));
    expect(mostProbableWithin(ops, 2, target, 1).choice.map((j) => ['1x1', '5x5'][j])).toEqual(Object.values(result.architecture));
    // μ rose while E[lat] exceeded T and E[lat] was pulled back towards T
    const maxMu = Math.max(...trace.map((t) => t.mu));
    expect(maxMu).toBeGreaterThan(0);
    expect(trace.at(-1)!.elat).toBeLessThan(1.15 * target);
    expect(logs.some((l) => /derived architecture .* vs budget 30 ms: fits/.test(l))).toBe(true);
    console.log(`hard budget: μ max ${maxMu.toFixed(3)}, last μ ${trace.at(-1)!.mu.toFixed(3)}, E[lat] first ${trace[0]!.elat.toFixed(2)} last ${trace.at(-1)!.elat.toFixed(2)}, argmax ${JSON.stringify(report.argmax)}, derived ${JSON.stringify(result.architecture)} ${report.latency} ms`);
  });
});

describe('the derive checked on the hardware (measureDerived)', () => {
  /**
   * The search above without the budget in the loss, derived within T = 30 ms, on a device whose
   * whole networks cost more than the op table says: 1.25 × the table sum (+1 ms). The table derives 1x1 + 5x5 (28 ms ≤ T = 30), which measures
   * 36 ms on the device; the checked derive must find the most probable network that measures ≤ T.
   */
  const device = (arch: Record<string, string>) => 1 + 1.25 * (2 + Object.values(arch).reduce((s, c) => s + (c === '5x5' ? 25 : 1), 0));

  async function budgetSearch(measureDerived?: number) {
    const dataset = await fashionMnist(1200, 240);
    const space = new FixtureSpace(dataset.input, [
      { width: 8, stride: 2, kernels: [1, 5] },
      { width: 8, stride: 1, kernels: [1, 5] },
    ]);
    const logs: string[] = [];
    const measured: string[] = [];
    const run = await runSearch({
      seed: 1,
      dataset,
      space,
      latency: kernelLatency,
      // no latency term in the loss: p favours 5×5 in both blocks, so the budget binds at the derive
      strategy: { mode: 'two', lr: 0.03, budget: 30, derive: 'within-budget', latencyLoss: 'none', ...(measureDerived !== undefined ? { measureDerived } : {}) },
      trainer: { epochs: 4, warmupEpochs: 2, lr: 0.1, batchSize: 32, archUpdateEvery: 1, evaluateEachEpoch: false, checkpointEvery: 0 },
      log: (m) => logs.push(m),
      measureLatency: async (arch) => {
        measured.push(JSON.stringify(arch));
        return device(arch);
      },
    });
    return { ...run, logs, measured };
  }

  it('re-derives under a corrected budget until the derived network measures ≤ T, and records what it measured', async () => {
    const { result, strategy, logs, measured } = await budgetSearch();
    // what the table alone derives does not hold on the device
    const unchecked = strategy.deriveReport(30);
    expect(device(unchecked.architecture)).toBeGreaterThan(30);
    // the result: measured ≤ T, and the most probable such network (enumerated over all four)
    expect(result.measuredLatency).toBe(device(result.architecture));
    expect(result.measuredLatency).toBeLessThanOrEqual(30);
    expect(result.latencyBudget).toBe(30);
    const p = result.probabilities;
    const all = ['1x1', '5x5'].flatMap((a) => ['1x1', '5x5'].map((b) => ({ b0: a, b1: b })));
    const logp = (arch: Record<string, string>) => Object.entries(arch).reduce((s, [l, c]) => s + Math.log(p[l]![c === '1x1' ? 0 : 1]!), 0);
    const best = all.filter((a) => device(a) <= 30).sort((x, y) => logp(y) - logp(x))[0]!;
    expect(result.architecture).toEqual(best);
    // each network was measured five times (the least is kept) and never again; the log says what was measured against T
    const counts = [...new Set(measured)].map((a) => measured.filter((m) => m === a).length);
    expect(counts.every((n) => n === 5)).toBe(true);
    expect(counts.length).toBeLessThanOrEqual(6);
    expect(logs.some((l) => /derived network measured 36\.00 ms .* vs budget 30 ms: over/.test(l))).toBe(true);
  });

  it('a budget that does not bind: every such T derives the same network, within budgetTolerance of the slowest, and the log says so', async () => {
    const { strategy, logs } = await budgetSearch(0);
    // the table: 2 ms fixed + 1 or 25 ms per block, so the slowest network is 5x5 + 5x5 at 52 ms, and
    // the window [0.95 · 52, 52] holds only that one; T = 60 ms or more leaves it more than 5% under T
    const reports = [60, 100, 103, 250].map((T) => strategy.deriveReport(T));
    for (const r of reports) expect(r).toMatchObject({ architecture: { b0: '5x5', b1: '5x5' }, latency: 52, fits: true });
    expect(logs.filter((l) => /vs budget \d+ ms: fits \(the budget does not bind: the slowest architecture of the space, 52\.00 ms/.test(l)).length).toBeGreaterThan(0);
  });

  it('measureDerived: 0 trusts the table (the result then says nothing measured)', async () => {
    const { result, measured } = await budgetSearch(0);
    expect(measured).toEqual([]);
    expect(result.measuredLatency).toBeUndefined();
    expect(result.latency).toBeLessThanOrEqual(30);
    expect(device(result.architecture)).toBeGreaterThan(30);
  });
});


describe('what the hard budget constrains (budgetOn)', () => {
  /**
   * One mixed op priced 1, 9, 25 and 0 (zero) over fixed layers f, T = f + 11. Two α, each where
   * E[lat] and the argmax architecture lie on opposite sides of T: μ follows the argmax with
   * `derived` (the default) and E[lat] with `expected`.
   */
  it('μ rises while the argmax architecture is over T, not while E[lat] is', async () => {
    const data = await fashionMnist(64, 32);
    const batch = data.validation.batches(16)[Symbol.iterator]().next().value!;
    const space = new FixtureSpace(data.input, [{ width: 4, stride: 1, kernels: [1, 3, 5], zero: true }]);
    const network = space.buildSupernet(new Rng(3));
    const latency = createExpectedLatency(network, kernelLatency);
    const T = latency.fixed + 11;
    const mu = async (budgetOn: 'derived' | 'expected', p: number[]) => {
      network.mixedOps[0]!.alpha.assign(tf.tensor1d(p.map(Math.log)));
      // lr ≈ 0: α stays where it was put, so the step's E[lat] and argmax are the ones above
      const s = new BinaryConnectStrategy(binaryConnectOptions.parse({ budget: T, hardBudget: true, latencyLoss: 'none', budgetOn, lr: 1e-9, dualLr: 1 }), new Rng(1));
      s.setup({ network, space, latency, loss: (l, y) => softmaxCrossEntropy(l, y) });
      const m = await s.archStep({ batch, epoch: 0, step: 0, forward: { training: true } });
      return { mu: s.dualLambda, elat: m['expectedLatency']!, argmax: m['argmaxLatency']! };
    };
    try {
      // [p, the setting whose latency is over T, the other]: argmax 5×5 (f + 25) over T with E[lat]
      // f + 9.5 under it; argmax zero (f) under T with E[lat] f + 12.1 over it
      const cases = [
        [[0.3, 0.05, 0.35, 0.3], 'derived', 'expected'],
        [[0.01, 0.01, 0.48, 0.5], 'expected', 'derived'],
      ] as const;
      for (const [p, over, under] of cases) {
        const r = await mu(over, [...p]);
        const lat = over === 'derived' ? r.argmax : r.elat;
        expect(lat).toBeGreaterThan(T);
        expect(over === 'derived' ? r.elat : r.argmax).toBeLessThan(T);
        expect(r.mu).toBeCloseTo((lat - T) / T, 5);
        expect((await mu(under, [...p])).mu).toBe(0);
      }
    } finally {
      tf.dispose([batch.x, batch.y]);
    }
  });
});

/**
 * Three blocks of 1×1 / 3×3 / 5×5 convs (27 networks), p fixed, on a device that disagrees with the
 * table by a few percent, unevenly, as a calibrated table does: 1×1 costs 1.05 (table 1), 3×3 9.6
 * (9), 5×5 25.9 (25), and the fixed layers 0.5 more. `everyNetwork` lists the 27.
 */
async function threeBlocks() {
  const data = await fashionMnist(64, 32);
  const space = new FixtureSpace(data.input, [
    { width: 4, stride: 1, kernels: [1, 3, 5] },
    { width: 4, stride: 1, kernels: [1, 3, 5] },
    { width: 4, stride: 1, kernels: [1, 3, 5] },
  ]);
  const network = space.buildSupernet(new Rng(3));
  network.mixedOps.forEach((op, i) => op.alpha.assign(tf.tensor1d([[0.2, 0.5, 0.3], [0.4, 0.35, 0.25], [0.3, 0.3, 0.4]][i]!.map(Math.log))));
  const latency = createExpectedLatency(network, kernelLatency);
  const cost: Record<string, number> = { '1x1': 1.05, '3x3': 9.6, '5x5': 25.9 };
  const device = (arch: Record<string, string>) => latency.fixed + 0.5 + Object.values(arch).reduce((s, c) => s + cost[c]!, 0);
  const names = ['1x1', '3x3', '5x5'];
  const everyNetwork = names.flatMap((a) => names.flatMap((b) => names.map((c) => ({ b0: a, b1: b, b2: c }))));
  return { space, network, latency, device, everyNetwork };
}

describe('the checked derive aims for [(1 − budgetTolerance)·T, T] on the device', () => {
  /**
   * On `threeBlocks`: for every T whose window holds a
   * network on the device that the table orders alike, the checked derive must end inside it,
   * having measured at most `measureDerived` networks; it must never end over T.
   */
  it('ends inside the window whenever the device has a network there', async () => {
    const { space, network, latency, device, everyNetwork } = await threeBlocks();
    let reachable = 0;
    for (let t = 10; t <= 90; t += 4) {
      const T = latency.fixed + t;
      const measured = new Set<string>();
      const logs: string[] = [];
      const s = new BinaryConnectStrategy(binaryConnectOptions.parse({ budget: T, hardBudget: true, latencyLoss: 'none', measureDerived: 6 }), new Rng(1), (m) => logs.push(m));
      s.setup({
        network,
        space,
        latency,
        loss: (l, y) => softmaxCrossEntropy(l, y),
        measureLatency: async (arch) => {
          measured.add(JSON.stringify(arch));
          return device(arch);
        },
      });
      const r = await s.deriveChecked();
      const got = r.measuredLatency!;
      expect(got).toBe(device(r.architecture));
      expect(measured.size).toBeLessThanOrEqual(6);
      if (everyNetwork.some((a) => device(a) <= T)) expect(got).toBeLessThanOrEqual(T);
      if (everyNetwork.some((a) => device(a) <= T && device(a) >= 0.95 * T)) {
        reachable++;
        expect(got, `T = ${T}: derived ${JSON.stringify(r.architecture)} measured ${got}\n${logs.join("\n")}`).toBeGreaterThanOrEqual(0.95 * T);
      }
    }
    expect(reachable).toBeGreaterThan(3);
  });
});

describe('the checked derive measures the network it keeps a second time (confirmRounds)', () => {
  /**
   * `threeBlocks`, on a device whose first reading of each network comes out 7%
   * low, as the reading that made a network look ≤ T does more often than not, and whose later
   * readings are right. Without the second measurement the derive keeps networks that are over T;
   * with it, every network it reports as ≤ T is ≤ T, and the figure it reports is the second one.
   * When every network it kept reads over T the second time, it derives further below T: whenever
   * the device has a network ≤ T, the derive ends ≤ T.
   */
  it('drops a network whose first reading was low, and reports the independent reading', async () => {
    const { space, network, latency, device, everyNetwork } = await threeBlocks();
    let keptOver = 0;
    let confirmedRuns = 0;
    let descended = 0;
    for (let t = 10; t <= 90; t += 2) {
      const T = latency.fixed + t;
      const derive = async (confirmRounds: number) => {
        const seen = new Map<string, number>();
        const rounds: number[] = [];
        const logs: string[] = [];
        const s = new BinaryConnectStrategy(binaryConnectOptions.parse({ budget: T, hardBudget: true, latencyLoss: 'none', measureDerived: 6, confirmRounds }), new Rng(1), (m) => logs.push(m));
        s.setup({
          network,
          space,
          latency,
          loss: (l, y) => softmaxCrossEntropy(l, y),
          measureLatency: async (arch) => device(arch),
          measureLatencies: async (archs, n) => {
            rounds.push(n ?? 0);
            return archs.map((a) => {
              const k = JSON.stringify(a);
              const times = seen.get(k) ?? 0;
              seen.set(k, times + 1);
              return device(a) * (times === 0 ? 0.93 : 1);
            });
          },
        });
        return { r: await s.deriveChecked(), rounds, logs };
      };
      const plain = await derive(0);
      if (device(plain.r.architecture) > T && plain.r.measuredLatency! <= T) keptOver++;
      const { r, rounds, logs } = await derive(8);
      if (r.measuredLatency! <= T) {
        expect(device(r.architecture), `T = ${T}\n${logs.join('\n')}`).toBeLessThanOrEqual(T);
        expect(r.measuredLatency).toBe(device(r.architecture));
      }
      // when every network that fitted read over T the second time, the derive goes further below T
      if (logs.some((l) => l.includes('below the networks that measured over T the second time'))) descended++;
      if (everyNetwork.some((a) => device(a) <= T)) expect(r.measuredLatency!, `T = ${T}\n${logs.join('\n')}`).toBeLessThanOrEqual(T);
      if (rounds.includes(8)) {
        confirmedRuns++;
        expect(rounds.filter((n) => n === 8).length).toBeLessThanOrEqual(5); // 3 kept networks, then 2 further below T
        expect(logs.some((l) => /derived network measured again .* \(8 rounds; first .*\) vs budget/.test(l))).toBe(true);
      }
    }
    expect(keptOver).toBeGreaterThan(2); // the case exists on this device
    expect(confirmedRuns).toBeGreaterThan(10);
    expect(descended).toBeGreaterThan(2); // and so does the case where every kept network reads over T the second time
  });
});
