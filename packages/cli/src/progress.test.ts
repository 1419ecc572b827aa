// In-process tests of the progress output and the programmatic entry (no search runs here).
import { createSearchHooks, type SearchSession } from '@proxyless/core';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { ProgressPlugin, trainProgressCallbacks } from './progress-plugin.js';
import { EpochProgress } from './progress.js';

function sink() {
  const chunks: string[] = [];
  return { write: (s: string) => void chunks.push(s), text: () => chunks.join(''), isTTY: false };
}

function fakeSession(unit?: string): SearchSession {
  return { hooks: createSearchHooks(), components: unit ? { latency: { unit } } : {} } as unknown as SearchSession;
}

describe('ProgressPlugin (not a TTY)', () => {
  it('prints a line about every 10% of an epoch, E[lat] once reported, and an epoch summary line', async () => {
    const stream = sink();
    let t = 0;
    const plugin = new ProgressPlugin({ stream, now: () => t });
    const session = fakeSession('ms');
    plugin.apply(session);
    const h = session.hooks;
    await h.beforeSearch.promise({ epochs: 2, batchesPerEpoch: 20 });
    await h.beforeEpoch.promise({ epoch: 1, epochs: 2, batchesPerEpoch: 20, lr: 0.1, phase: 'search', startBatch: 0 });
    for (let b = 0; b < 20; b++) {
      t += 500;
      const step = { epoch: 1, batch: b, batchesPerEpoch: 20, step: 20 + b, phase: 'search' as const };
      await h.afterWeightStep.promise({ ...step, loss: 2 - b / 20, accuracy: b / 20, lr: 0.1, gates: {} });
      if (b === 9) await h.afterArchStep.promise({ ...step, metrics: {}, probabilities: {}, expectedLatency: 12.345 });
    }
    await h.afterEpoch.promise({
      epoch: 1,
      epochs: 2,
      phase: 'search',
      trainLoss: 1.5,
      trainAccuracy: 0.5,
      validationLoss: 1.6,
      validationAccuracy: 0.45,
      probabilities: {},
      expectedLatency: 11.5,
      architecture: { b0: 'k3', b1: 'zero' },
      seconds: 10,
    });
    await h.done.promise({ architecture: {}, probabilities: {}, epochs: 2, steps: 40, seconds: 20 });
    const lines = stream.text().trim().split('\n');
    expect(lines).toHaveLength(10); // 9 progress lines (10%…90%) + the epoch line
    expect(lines[0]).toBe('epoch 2/2 search  batch 2/20  10%  loss 1.9500  acc 0.050  lr 0.1  ETA 9.0s  run ETA 9.0s');
    expect(lines[4]).toBe('epoch 2/2 search  batch 10/20  50%  loss 1.5500  acc 0.450  lr 0.1  ETA 5.0s  run ETA 5.0s');
    // the arch step after batch 10 reports E[lat]; later lines show it
    expect(lines[5]).toBe('epoch 2/2 search  batch 12/20  60%  loss 1.4500  acc 0.550  lr 0.1  E[lat] 12.35 ms  ETA 4.0s  run ETA 4.0s');
    expect(lines[9]).toBe('epoch 2/2 search done | train loss 1.5000 acc 0.500 | val acc 0.450 | E[lat] 11.50 ms | arch b0:k3 b1:zero | 10s');
  });

  it('says where a resumed search continues and counts the ETA from the resumed batch', async () => {
    const stream = sink();
    let t = 0;
    const plugin = new ProgressPlugin({ stream, now: () => t });
    const session = fakeSession();
    plugin.apply(session);
    const h = session.hooks;
    await h.beforeSearch.promise({ epochs: 1, batchesPerEpoch: 10, resumedFrom: { epoch: 0, batch: 5, step: 5 } });
    await h.beforeEpoch.promise({ epoch: 0, epochs: 1, batchesPerEpoch: 10, lr: 0.1, phase: 'warmup', startBatch: 5 });
    t += 1000;
    await h.afterWeightStep.promise({ epoch: 0, batch: 5, batchesPerEpoch: 10, step: 5, phase: 'warmup', loss: 1, accuracy: 1, lr: 0.1, gates: {} });
    const lines = stream.text().trim().split('\n');
    expect(lines[0]).toBe('resuming at epoch 1/1, batch 5/10 (step 5)');
    expect(lines[1]).toBe('epoch 1/1 warmup  batch 6/10  60%  loss 1.0000  acc 1.000  lr 0.1  ETA 4.0s  run ETA 4.0s');
  });

  it('gives the ETA of the whole run: every epoch left, warm-up and search batches priced apart, plus each epoch\'s validation', async () => {
    const stream = sink();
    let t = 0;
    const plugin = new ProgressPlugin({ stream, now: () => t });
    const session = { hooks: createSearchHooks(), components: { trainer: { options: { warmupEpochs: 1 } } } } as unknown as SearchSession;
    plugin.apply(session);
    const h = session.hooks;
    await h.beforeSearch.promise({ epochs: 3, batchesPerEpoch: 10 });
    const summary = (epoch: number, phase: 'warmup' | 'search') => ({ epoch, epochs: 3, phase, trainLoss: 1, trainAccuracy: 0.5, validationLoss: 1, validationAccuracy: 0.5, probabilities: {}, architecture: {}, seconds: 1 });
    const epoch = async (e: number, phase: 'warmup' | 'search', msPerBatch: number) => {
      await h.beforeEpoch.promise({ epoch: e, epochs: 3, batchesPerEpoch: 10, lr: 0.1, phase, startBatch: 0 });
      for (let b = 0; b < 10; b++) {
        t += msPerBatch;
        await h.afterWeightStep.promise({ epoch: e, batch: b, batchesPerEpoch: 10, step: e * 10 + b, phase, loss: 1, accuracy: 0.5, lr: 0.1, gates: {} });
      }
      t += 2000; // validation
      await h.afterEpoch.promise(summary(e, phase));
    };
    await epoch(0, 'warmup', 1000);
    // warm-up batch 5 of 10 at 1 s each: 5 s of this epoch, then 2 search epochs not timed yet (priced like warm-up): 5 + 20
    // search batches at 3 s each: 15 s of this epoch + its validation (2 s) + one more epoch (30 s + 2 s)
    await epoch(1, 'search', 3000);
    await epoch(2, 'search', 3000);
    await h.done.promise({ architecture: {}, probabilities: {}, epochs: 3, steps: 30, seconds: 98 });
    const at = (e: number, batch: number) => stream.text().split('\n').find((l) => l.startsWith(`epoch ${e}/3`) && l.includes(`batch ${batch}/10 `))!;
    expect(at(1, 5)).toMatch(/  ETA 5\.0s  run ETA 25s$/);
    expect(at(2, 5)).toMatch(/  ETA 15s  run ETA 49s$/);
    expect(at(3, 5)).toMatch(/  ETA 15s  run ETA 17s$/);
    // and it is right: from epoch 2, batch 5 (t = 12 + 15 s) the run ended 49 s later
    expect(t / 1000 - (12 + 15)).toBe(49);
  });
});

describe('trainProgressCallbacks', () => {
  it('draws trainNetwork progress with the same lines', () => {
    const stream = sink();
    const cb = trainProgressCallbacks(new EpochProgress({ stream }), 1);
    for (let b = 0; b < 4; b++) cb.onStep({ epoch: 0, batch: b, batchesPerEpoch: 4, loss: 2, accuracy: 0.25, lr: 0.05 });
    cb.onEpoch({ epoch: 0, epochs: 1, trainLoss: 2, trainAccuracy: 0.25, validationLoss: 2.1, validationAccuracy: 0.2, seconds: 1.5 });
    const lines = stream.text().trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^epoch 1\/1  batch 1\/4  25%  loss 2\.0000  acc 0\.250  lr 0\.05  ETA /);
    expect(lines[3]).toBe('epoch 1/1 done | train loss 2.0000 acc 0.250 | val loss 2.1000 acc 0.200 | 1.5s');
  });
});

describe('runCli (in process)', () => {
  it('returns exit codes and writes help to the given streams', async () => {
    const stdout = sink();
    const stderr = sink();
    const io = { stdout, stderr, env: {} };
    expect(await runCli(['node', 'proxyless', '--help'], io)).toBe(0);
    expect(stdout.text()).toContain('Usage: proxyless');
    expect(await runCli(['node', 'proxyless', 'latency', 'predict', '--json'], io)).toBe(2);
    expect(stderr.text()).toMatch(/^proxyless: /m);
    expect(JSON.parse(stdout.text().trim().split('\n').at(-1)!)).toMatchObject({ ok: false, exitCode: 2 });
  });
});
