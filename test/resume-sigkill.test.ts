// A search killed with SIGKILL in the middle of an epoch (no handler runs, no checkpoint on exit)
// continues with `proxyless search --resume <dir>` from its last periodic checkpoint and ends with
// the α, the architecture and every metrics record of an uninterrupted run: real CLI processes, real files.
// SIGINT (checkpoint on request, exit 130, resume) is covered by packages/cli/src/interrupt.test.ts.
import { loadCheckpoint, RunFiles } from '@proxyless/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess, spawnCli } from '../packages/cli/test/run-cli.js';
import { assertNothingHalfWritten, smallConfig, tempDir, writeConfig } from './helpers.js';


/** 3 epochs of 8 batches, BinaryConnect arch steps every 2 weight steps from epoch 2, a checkpoint every 3 steps. */
const config = () =>
  smallConfig({
    strategy: { use: '@proxyless/strategy-binaryconnect', options: { lr: 0.05 } },
    trainer: { use: 'search', options: { epochs: 3, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, checkpointEvery: 3 } },
  });

tf.enableProdMode(); // no "running in Node.js" banner

function alphas(runDir: string): Record<string, number[]> {
  const ckpt = loadCheckpoint(join(runDir, RunFiles.checkpoint));
  try {
    const out: Record<string, number[]> = {};
    for (const [name, t] of Object.entries(ckpt.tensors)) if (/^net\/.+\/alpha$/.test(name)) out[name] = Array.from(t.dataSync());
    return out;
  } finally {
    tf.dispose(Object.values(ckpt.tensors));
  }
}

const records = (runDir: string): Record<string, unknown>[] =>
  readFileSync(join(runDir, RunFiles.metrics), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const architecture = (runDir: string): unknown => JSON.parse(readFileSync(join(runDir, RunFiles.architecture), 'utf8')).architecture;
const savedStep = (runDir: string): number => (loadCheckpoint(join(runDir, RunFiles.checkpoint)).json as { saved: { step: number } }).saved.step;

describe('proxyless search killed with SIGKILL', () => {
  it.each([
    ['one thread', []],
    // `--workers 2` on the first runs only: the resumed search keeps the count of its checkpoint
    ['2 data-parallel workers', ['--workers', '2']],
  ])('resumes from the last checkpoint and ends with the α and architecture of an uninterrupted run (%s)', async (_name, flags) => {
    const dir = tempDir('proxyless-kill-');
    const file = writeConfig(dir, config());

    const straightDir = join(dir, 'straight');
    const straight = await runCliProcess(['search', file, '--out', straightDir, ...flags], { cwd: dir });
    expect(straight.code, straight.stderr).toBe(0);

    const killedDir = join(dir, 'killed');
    const search = spawnCli(['search', file, '--out', killedDir, ...flags], { cwd: dir });
    // not a TTY: one progress line per batch here; epoch 2 is the first search epoch (arch steps run)
    await search.waitForStderr(/epoch 2\/3 search\s+batch 5\/8/);
    search.child.kill('SIGKILL');
    const killed = await search.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(killedDir, RunFiles.result)), 'the search finished before the kill').toBe(false);
    // a periodic checkpoint of epoch 2 is there: the kill lands after it, mid-epoch
    expect(savedStep(killedDir)).toBeGreaterThanOrEqual(9);
    expect(savedStep(killedDir)).toBeLessThan(24);
    await assertNothingHalfWritten(killedDir);

    const resumed = await runCliProcess(['search', '--resume', killedDir], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming at epoch 2\/3, batch \d\/8/);
    await assertNothingHalfWritten(killedDir);

    const a = alphas(straightDir);
    const b = alphas(killedDir);
    expect(Object.keys(a).sort()).toEqual(['net/b0/alpha', 'net/b1/alpha']);
    expect(b).toEqual(a);
    // α really moved away from its N(0, 1e-3) initialization, so the comparison is not vacuous
    expect(Object.values(a).flat().some((v) => Math.abs(v) > 1e-2)).toBe(true);
    expect(architecture(killedDir)).toEqual(architecture(straightDir));
    // the resumed run's metrics hold every weight step exactly once
    const steps = records(killedDir)
      .filter((l) => l.type === 'step')
      .map((l) => l.step);
    expect(steps).toEqual([...Array(24).keys()]);
    // and every record (steps, arch steps, epochs — the interrupted epoch's train loss and accuracy
    // included — and the end) equals the uninterrupted run's, but for wall-clock times
    const comparable = (d: string) => records(d).filter((r) => r.type !== 'start').map(({ time: _t, seconds: _s, ...r }) => r);
    const straightRecords = comparable(straightDir);
    expect(straightRecords.filter((r) => r.type === 'epoch')).toHaveLength(3);
    expect(comparable(killedDir)).toEqual(straightRecords);
    // the resumed run really ran on the same number of threads
    const last = loadCheckpoint(join(killedDir, RunFiles.checkpoint));
    tf.dispose(Object.values(last.tensors));
    expect((last.json as { trainer: { workers: number } }).trainer.workers).toBe(flags.length ? 2 : 1);
  }, 90_000);
});
