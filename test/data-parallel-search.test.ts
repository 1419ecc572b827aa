// A search whose weight and arch steps run data-parallel on worker threads (trainer.options.workers):
// deterministic for a given seed and worker count, and a worker that dies stops the search with a
// clear error, keeping the last checkpoint (from which it resumes to the uninterrupted result).
// Real CLI processes and real threads; `auto` gives one worker on a one-core machine, so these tests
// ask for 2 explicitly (threads then share the core).
import { autoWorkers, composeSearch, loadCheckpoint, RunFiles, type SearchPlugin, type SearchSession } from '@proxyless/core';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../packages/cli/test/run-cli.js';
import { assertNothingHalfWritten, smallConfig, tempDir, writeConfig } from './helpers.js';

tf.enableProdMode();

const config = (strategy: unknown, workers: number | 'auto' = 2) =>
  smallConfig({
    strategy,
    trainer: { use: 'search', options: { epochs: 3, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, checkpointEvery: 3, workers } },
  });
const binaryConnect = { use: '@proxyless/strategy-binaryconnect', options: { lr: 0.05 } };
const reinforce = { use: '@proxyless/strategy-reinforce', options: { samples: 4, lr: 0.1, mode: 'combined' } };

/** Gates and losses of every weight step. */
class Trace implements SearchPlugin {
  readonly name = 'Trace';
  readonly steps: { gates: unknown; loss: number }[] = [];
  workers: number | undefined;
  apply(session: SearchSession): void {
    session.hooks.beforeSearch.tapPromise(this.name, async (s) => {
      this.workers = s.workers;
    });
    session.hooks.afterWeightStep.tapPromise(this.name, async (s) => {
      this.steps.push({ gates: s.gates, loss: s.loss });
    });
  }
}

async function search(cfg: Record<string, unknown>) {
  const trace = new Trace();
  const { session } = await composeSearch({ config: writeConfig(tempDir(), cfg), noRunDir: true, plugins: [trace], log: () => {} });
  const result = await session.run();
  const alphas = session.network.mixedOps.map((op) => Array.from(op.alpha.dataSync()));
  const weights = session.network.variables().filter((v) => !v.name.endsWith('/alpha')).map((v) => Array.from(v.variable.dataSync()));
  return { result, alphas, weights, trace };
}

const alphasOf = (runDir: string): Record<string, number[]> => {
  const ckpt = loadCheckpoint(join(runDir, RunFiles.checkpoint));
  try {
    return Object.fromEntries(Object.entries(ckpt.tensors).filter(([n]) => /^net\/.+\/alpha$/.test(n)).map(([n, t]) => [n, Array.from(t.dataSync())]));
  } finally {
    tf.dispose(Object.values(ckpt.tensors));
  }
};

describe('a data-parallel search (2 workers)', () => {
  it.each([
    ['binaryconnect (gate gradients on every rank)', binaryConnect],
    ['reinforce, combined mode (evaluations and gate gradients on every rank)', reinforce],
  ])('%s: the same seed and worker count reproduce the gates, α, weights and architecture', async (_name, strategy) => {
    const a = await search(config(strategy));
    const b = await search(config(strategy));
    expect(a.trace.workers).toBe(2);
    expect(a.trace.steps).toHaveLength(24);
    expect(b.trace.steps).toEqual(a.trace.steps);
    expect(b.alphas).toEqual(a.alphas);
    expect(b.weights).toEqual(a.weights);
    expect(b.result.architecture).toEqual(a.result.architecture);
    // α moved, so the comparison is not vacuous; the losses are finite and the training went somewhere
    expect(a.alphas.flat().some((v) => Math.abs(v) > 1e-2)).toBe(true);
    expect(a.trace.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
  }, 120_000);

  it.each([
    ['binaryconnect', binaryConnect],
    ['reinforce, combined mode (evaluateEach over the ranks)', reinforce],
  ])('%s: combines the whole batch: without batch norm, 2 workers take the steps of one process (up to float summation order)', async (_name, strategy) => {
    const cfg = (workers: number) => {
      const base = config(strategy, workers);
      const space = base['space'] as { use: string; options: Record<string, unknown> };
      return {
        ...base,
        space: { ...space, options: { ...space.options, batchNorm: false } },
        trainer: { use: 'search', options: { epochs: 2, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, maxBatchesPerEpoch: 4, evaluateEachEpoch: false, workers } },
      };
    };
    const one = await search(cfg(1));
    const two = await search(cfg(2));
    expect(two.trace.workers).toBe(2);
    expect(two.trace.steps.map((s) => s.gates)).toEqual(one.trace.steps.map((s) => s.gates));
    two.trace.steps.forEach((s, i) => expect(s.loss).toBeCloseTo(one.trace.steps[i]!.loss, 5));
    const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
    expect(maxDiff(two.weights, one.weights)).toBeLessThan(1e-5);
    expect(maxDiff(two.alphas, one.alphas)).toBeLessThan(1e-5);
    // the steps moved the weights and α well beyond that tolerance
    expect(maxDiff(two.alphas, two.alphas.map((r) => r.map(() => 0)))).toBeGreaterThan(1e-3);
  }, 60_000);

  it('`workers: auto` runs one worker per core, at most 4 (one on a one-core machine)', async () => {
    const r = await search({ ...config(binaryConnect, 'auto'), trainer: { use: 'search', options: { epochs: 1, warmupEpochs: 1, batchSize: 32, maxBatchesPerEpoch: 2, evaluateEachEpoch: false, workers: 'auto' } } });
    expect(r.trace.workers).toBe(Math.min(4, availableParallelism()));
    expect(autoWorkers()).toBe(r.trace.workers);
    expect(r.trace.steps).toHaveLength(2);
  }, 60_000);

  it('`search --workers` rejects a bad value with one line naming the flag', async () => {
    const dir = tempDir('proxyless-dp-');
    const r = await runCliProcess(['search', writeConfig(dir, config(binaryConnect)), '--workers', '0'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/search: invalid option: --workers: got "0"; expected a positive integer \(at most 64\) or "auto"/);
  });

  it('a worker that dies fails the search with a clear error and keeps the last checkpoint; --resume then ends where an uninterrupted run does', async () => {
    const dir = tempDir('proxyless-dp-');
    const file = writeConfig(dir, config(binaryConnect));
    const straight = await runCliProcess(['search', file, '--out', join(dir, 'straight')], { cwd: dir });
    expect(straight.code, straight.stderr).toBe(0);

    const runDir = join(dir, 'failed');
    const failed = await runCliProcess(['search', file, '--out', runDir], { cwd: dir, env: { PROXYLESS_TEST_FAIL_WORKER: '1:13' } });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/data-parallel search: worker 1 exited \(code 3\) at epoch 2, batch 6 \(step 13\); the search stopped and its last checkpoint is kept/);
    expect(existsSync(join(runDir, RunFiles.result))).toBe(false);
    expect((loadCheckpoint(join(runDir, RunFiles.checkpoint)).json as { saved: { step: number } }).saved.step).toBe(12);
    await assertNothingHalfWritten(runDir);

    const resumed = await runCliProcess(['search', '--resume', runDir], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(alphasOf(runDir)).toEqual(alphasOf(join(dir, 'straight')));
    const arch = (d: string) => JSON.parse(readFileSync(join(d, RunFiles.architecture), 'utf8')).architecture;
    expect(arch(runDir)).toEqual(arch(join(dir, 'straight')));
  }, 120_000);
});
