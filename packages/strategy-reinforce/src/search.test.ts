import { ConfigError, composeSearch, deriveFromRun, RunFiles, SearchInterrupted, type Architecture, type SearchPlugin, type SearchResult, type SearchSession } from '@proxyless/core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { subsetDir, tempDir, writeConfig } from '../test/helpers.js';
import { RewardPlugin } from './reward.js';

/** Records the strategy's arch-step metrics and α (as p) after each arch step; can stop the search at a weight step. */
class Recorder implements SearchPlugin {
  readonly name = 'Recorder';
  readonly metrics: Record<string, number>[] = [];
  readonly probabilities: number[][] = [];
  constructor(private readonly stopAtStep?: number) {}
  apply(session: SearchSession): void {
    session.hooks.afterArchStep.tapPromise(this.name, async (s) => {
      this.metrics.push(s.metrics);
      this.probabilities.push(Object.values(s.probabilities).flat());
    });
    session.hooks.afterWeightStep.tapPromise(this.name, async (s) => {
      if (this.stopAtStep !== undefined && s.step + 1 === this.stopAtStep) session.requestStop('test');
    });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

// Tests in this file run one after another, so that no other search of this file competes for the
// CPU while latencies are measured.
describe('searches on a Fashion-MNIST subset', () => {
  /**
   * Blocks whose candidates differ ~50× in multiply-adds (1×1 vs 7×7 convs, 32 channels; all-7×7 measures ≈ 0.55 ms, all-1×1 ≈ 0.16 ms here), so the
   * measured latency of an architecture is dominated by its choices and not by timing noise.
   */
  const latencyConfig = (w: number, T: number) => ({
    seed: 3,
    backend: { use: '@proxyless/backend-wasm' },
    data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 640, test: 64 }, validation: 128 } },
    space: {
      use: '@proxyless/test-utils',
      options: { stem: 8, blocks: [{ width: 32, stride: 2 }, { width: 32, stride: 2 }, { width: 32, stride: 1 }], kernels: [1, 7], zero: true },
    },
    strategy: { use: '@proxyless/strategy-reinforce', options: { samples: 6, lr: 0.1, reward: { use: 'latency', budget: T, w, latencySource: 'measured' } } },
    // each architecture is measured once (the strategy caches LAT), so one noisy measurement would steer the whole
    // search: a median over ≥ 30 ms keeps a busy machine's spikes out of it
    latency: { use: '@proxyless/backend-wasm', name: 'measured', options: { minRuns: 10, minDurationMs: 30 } },
    trainer: { use: 'search', options: { epochs: 3, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 1, validationBatchSize: 32, checkpointEvery: 0, evaluateEachEpoch: false } },
  });

  it('a latency reward without a latency slot fails before anything loads, naming the slot', async () => {
    const { latency: _omitted, ...config } = latencyConfig(-0.07, 0.1);
    const err = await composeSearch({ config: writeConfig(tempDir(), config), noRunDir: true, log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      { path: 'latency', value: 'nothing (field missing)', expected: 'a latency plugin: strategy.options.reward: the latency reward ACC·(LAT/T)^w needs LAT (add `latency: { use: … }` to the config)' },
    ]);
  });

  it('with a measured latency reward runs end to end, and the derived latency moves toward T as |w| grows', async () => {
    // T below every architecture of this space, so "toward T" means "faster": half the fastest one's
    // latency as measured on this machine (a fixed ms figure is below it on one machine, above on a faster one)
    const probe = (await composeSearch({ config: writeConfig(tempDir(), latencyConfig(-0.07, 1)), noRunDir: true, log: () => {} })).session;
    const fastest = Object.fromEntries(probe.network.mixedOps.map((m) => [m.label, m.candidates.find((c) => c.isZero)?.name ?? m.candidates[0]!.name]));
    const probed: number[] = [];
    for (let i = 0; i < 5; i++) probed.push(await probe.components.measureLatency!(fastest));
    const T = 0.5 * median(probed);
    const runs: { w: number; result: SearchResult; recorder: Recorder; session: SearchSession }[] = [];
    for (const w of [-0.07, -2]) {
      const recorder = new Recorder();
      const { session } = await composeSearch({ config: writeConfig(tempDir(), latencyConfig(w, T)), noRunDir: true, plugins: [recorder], log: () => {} });
      const result = await session.run();
      runs.push({ w, result, recorder, session });
    }
    for (const { recorder, result } of runs) {
      expect(recorder.metrics).toHaveLength(32);
      const last = recorder.metrics.at(-1)!;
      for (const k of ['reward/mean', 'reward/min', 'reward/max', 'baseline', 'baseline/next', 'advantage/mean', 'advantage/std', 'accuracy/mean', 'latency/mean']) {
        expect(Number.isFinite(last[k]), k).toBe(true);
      }
      expect(last['reward/min']).toBeLessThanOrEqual(last['reward/mean']! + 1e-9);
      expect(last['reward/max']).toBeGreaterThanOrEqual(last['reward/mean']! - 1e-9);
      for (const [label, p] of Object.entries(result.probabilities)) {
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(last[`p/${label}/1x1_conv`]).toBeCloseTo(p[0]!, 6);
      }
    }
    // Measure both derived architectures again on one session, interleaved, five times each.
    const measure = runs[1]!.session.components.measureLatency!;
    const samples: number[][] = [[], []];
    for (let i = 0; i < 5; i++) for (const [j, r] of runs.entries()) samples[j]!.push(await measure(r.result.architecture as Architecture));
    const [weak, strong] = samples.map(median) as [number, number];
    const [aw, as] = runs.map((r) => r.result.architecture);
    // w = −2 trades accuracy for speed; w = −0.07 (paper) keeps the accurate 7×7 paths
    // on failure, say what each search saw: its final p and the sampled LAT of its last arch steps
    const seen = runs.map((r) => `w=${r.w}: p ${JSON.stringify(r.result.probabilities)}, LAT of the last steps ${r.recorder.metrics.slice(-5).map((m) => m['latency/mean']!.toFixed(3)).join(' ')}`).join('; ');
    expect(as, `w=-2 derived ${JSON.stringify(as)} (${strong} ms), w=-0.07 derived ${JSON.stringify(aw)} (${weak} ms); ${seen}`).not.toEqual(aw);
    expect(strong).toBeGreaterThan(T);
    expect(Math.abs(strong - T)).toBeLessThan(Math.abs(weak - T));
    expect(strong).toBeLessThan(0.8 * weak);
    // the sampled architectures' latency (the reward's LAT) falls with |w| too
    const tail = (r: (typeof runs)[number]) => r.recorder.metrics.slice(-10).reduce((s, m) => s + m['latency/mean']!, 0) / 10;
    expect(tail(runs[1]!)).toBeLessThan(tail(runs[0]!));
  });

  it('a resumed search (combined mode, plugin reward) ends exactly where an uninterrupted one does', async () => {
    const config = {
      seed: 5,
      backend: { use: '@proxyless/backend-wasm' },
      data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 320, test: 64 }, validation: 64 } },
      space: { use: '@proxyless/test-utils', options: { stem: 4, blocks: [{ width: 4, stride: 2 }, { width: 4, stride: 1 }], kernels: [3, 5] } },
      strategy: { use: '@proxyless/strategy-reinforce', options: { mode: 'combined', samples: 4, lr: 0.05, reward: { use: 'small', options: { penalty: 0.05 } } } },
      trainer: { use: 'search', options: { epochs: 3, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, checkpointEvery: 3 } },
    };
    // a plugin reward: accuracy minus a penalty per non-zero block
    const small = () =>
      new RewardPlugin('small', async (ctx) => {
        const { accuracy } = await ctx.evaluate();
        return accuracy - (ctx.options.penalty as number) * Object.values(ctx.architecture).filter((c) => c !== 'zero').length;
      });
    const alphasOf = (s: SearchSession) => s.network.mixedOps.map((op) => Array.from(op.alpha.dataSync()));

    const full = new Recorder();
    const a = await composeSearch({ config: writeConfig(tempDir(), config), noRunDir: true, plugins: [small(), full], log: () => {} });
    const fullResult = await a.session.run();
    expect(full.metrics).toHaveLength(8);
    expect(full.metrics.every((m) => Number.isFinite(m['bc/loss']))).toBe(true);

    const dir = tempDir();
    const runDir = join(dir, 'interrupted');
    const first = await composeSearch({ config: writeConfig(dir, config), runDir, plugins: [small(), new Recorder(13)], log: () => {} });
    await expect(first.session.run()).rejects.toBeInstanceOf(SearchInterrupted);
    expect(existsSync(join(runDir, RunFiles.checkpoint))).toBe(true);
    const resumed = await composeSearch({ resume: runDir, plugins: [small()], log: () => {} });
    const result = await resumed.session.run(resumed.resume);
    expect(alphasOf(resumed.session)).toEqual(alphasOf(a.session));
    expect(result.architecture).toEqual(fullResult.architecture);
    // `proxyless derive` on the run works without the reward plugin (setup does not need it)
    expect((await deriveFromRun(runDir, { log: () => {} })).architecture).toEqual(fullResult.architecture);
    // α really moved, so the comparison is not vacuous
    expect(alphasOf(a.session).flat().some((v) => Math.abs(v) > 0.05)).toBe(true);
  });
});
