import * as tf from '@tensorflow/tfjs-core';
import { composeSearch, RunFiles, SearchInterrupted, type GateSample, type SearchPlugin, type SearchSession } from '@proxyless/core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from './helpers.js';

/** Records gates, α after each arch step, and the live tensor count after each step. */
class Recorder implements SearchPlugin {
  readonly name = 'Recorder';
  readonly gates: GateSample[] = [];
  readonly alphas: number[][] = [];
  readonly tensorsAfterStep: number[] = [];
  /** Per entry of `tensorsAfterStep`: whether that step trained a path for the first time (its momentum slots appear then). */
  readonly firstTraining: boolean[] = [];
  private readonly trained = new Set<string>();
  constructor(private readonly stopAtStep?: number) {}
  apply(session: SearchSession): void {
    session.hooks.afterWeightStep.tapPromise(this.name, async (s) => {
      this.gates.push(s.gates);
      this.tensorsAfterStep.push(tf.memory().numTensors);
      const paths = Object.entries(s.gates).map(([label, g]) => `${label}/${g.chosen}`);
      this.firstTraining.push(this.trained.size === 0 || paths.some((p) => !this.trained.has(p)));
      paths.forEach((p) => this.trained.add(p));
      if (this.stopAtStep !== undefined && s.step + 1 === this.stopAtStep) session.requestStop('test');
    });
    session.hooks.afterArchStep.tapPromise(this.name, async (s) => {
      this.alphas.push(Object.values(s.probabilities).flat());
      this.tensorsAfterStep.push(tf.memory().numTensors);
      this.firstTraining.push(false);
    });
  }
}

const config = () =>
  smallConfig({
    strategy: { use: '@proxyless/test-utils', options: { lr: 0.5 } },
    trainer: { use: 'search', options: { epochs: 3, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, checkpointEvery: 3 } },
  });

async function run(dir: string, plugin: Recorder, runDir?: string) {
  const file = writeConfig(dir, config());
  const { session } = await composeSearch({ config: file, ...(runDir ? { runDir } : { noRunDir: true }), plugins: [plugin], log: () => {} });
  const result = await session.run();
  const alphas = session.network.mixedOps.map((op) => Array.from(op.alpha.dataSync()));
  return { result, alphas };
}

describe('determinism, resume and tensor hygiene', () => {
  const a = new Recorder();
  let ra: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    ra = await run(tempDir(), a);
  });

  it('the same seed on the same backend reproduces the gates and the α trajectory', async () => {
    const b = new Recorder();
    const rb = await run(tempDir(), b);
    expect(a.gates.length).toBe(24);
    expect(b.gates).toEqual(a.gates);
    expect(a.alphas.length).toBe(8);
    expect(b.alphas).toEqual(a.alphas);
    expect(rb.alphas).toEqual(ra.alphas);
    // α really moved, so the comparison is not vacuous
    expect(ra.alphas.flat().some((v) => Math.abs(v) > 1e-2)).toBe(true);
    expect(rb.result.architecture).toEqual(ra.result.architecture);
  });

  it('a different seed gives different gates', async () => {
    const b = new Recorder();
    const cfg = config();
    const file = writeConfig(tempDir(), { ...cfg, seed: 99, trainer: { use: 'search', options: { epochs: 1, warmupEpochs: 1, batchSize: 32 } } });
    const { session } = await composeSearch({ config: file, noRunDir: true, plugins: [b], log: () => {} });
    await session.run();
    expect(b.gates).toHaveLength(8);
    expect(b.gates).not.toEqual(a.gates.slice(0, 8));
  });

  it('keeps the number of live tensors flat across weight and arch steps', () => {
    // momentum slots are created lazily, when a path is trained for the first time: the count may
    // grow at such a step only, and never changes at any other weight or arch step
    const counts = a.tensorsAfterStep;
    expect(counts.length).toBe(32);
    const changedElsewhere = counts.map((n, i) => i > 0 && !a.firstTraining[i] && n !== counts[i - 1]);
    expect(changedElsewhere.filter(Boolean)).toEqual([]);
    const lastFirst = a.firstTraining.lastIndexOf(true);
    expect(counts.length - lastFirst).toBeGreaterThan(15);
    expect(new Set(counts.slice(lastFirst)).size).toBe(1);
  });

  it('an interrupted search resumed from its checkpoint ends with the same α and architecture', async () => {
    const dir = tempDir();
    const full = ra;

    const runDir = join(dir, 'interrupted');
    const file = writeConfig(dir, config(), 'again.json');
    const first = await composeSearch({ config: file, runDir, plugins: [new Recorder(13)], log: () => {} });
    await expect(first.session.run()).rejects.toBeInstanceOf(SearchInterrupted);
    expect(existsSync(join(runDir, RunFiles.checkpoint))).toBe(true);
    expect(existsSync(join(runDir, RunFiles.result))).toBe(false);

    const resumed = await composeSearch({ resume: runDir, log: () => {} });
    const result = await resumed.session.run(resumed.resume);
    const alphas = resumed.session.network.mixedOps.map((op) => Array.from(op.alpha.dataSync()));
    expect(alphas).toEqual(full.alphas);
    expect(result.architecture).toEqual(full.result.architecture);
    // the metrics log has each step once, as an uninterrupted run's does
    const steps = readFileSync(join(runDir, RunFiles.metrics), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'step');
    expect(steps.map((s) => s.step)).toEqual([...Array(24).keys()]);
  });
});

describe('resume with dropout (MBConv space, BinaryConnect)', () => {
  const dropoutConfig = () =>
    smallConfig({
      space: {
        use: '@proxyless/space-mbconv',
        options: {
          preset: 'small',
          firstConv: { width: 8, stride: 2 },
          firstBlock: { width: 8 },
          stages: [{ width: 8, blocks: 2, stride: 2 }],
          featureMix: 16,
          candidates: ['3x3_MBConv3', '5x5_MBConv3'],
          dropout: 0.5,
        },
      },
      strategy: { use: '@proxyless/strategy-binaryconnect', options: { lr: 0.05 } },
      trainer: { use: 'search', options: { epochs: 2, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, checkpointEvery: 3 } },
    });

  it('an interrupted search resumes with the same dropout masks: same α as an uninterrupted run', async () => {
    const dir = tempDir();
    const full = await composeSearch({ config: writeConfig(dir, dropoutConfig(), 'full.json'), noRunDir: true, log: () => {} });
    await full.session.run();
    const expected = full.session.network.mixedOps.map((op) => Array.from(op.alpha.dataSync()));
    expect(expected.flat().some((v) => Math.abs(v) > 1e-3)).toBe(true);

    const runDir = join(dir, 'interrupted');
    const first = await composeSearch({ config: writeConfig(dir, dropoutConfig(), 'again.json'), runDir, plugins: [new Recorder(11)], log: () => {} });
    await expect(first.session.run()).rejects.toBeInstanceOf(SearchInterrupted);
    const resumed = await composeSearch({ resume: runDir, log: () => {} });
    await resumed.session.run(resumed.resume);
    expect(resumed.session.network.mixedOps.map((op) => Array.from(op.alpha.dataSync()))).toEqual(expected);
  }, 120_000);
});
