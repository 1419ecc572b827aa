import { composeSearch, loadCheckpoint, RunFiles, SearchDiverged } from '@proxyless/core';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from './helpers.js';

describe('a diverging search', () => {
  it('stops at the step whose loss is not finite, naming it, and keeps the last good checkpoint', async () => {
    const dir = tempDir();
    const runDir = join(dir, 'run');
    const cfg = smallConfig({
      trainer: { use: 'search', options: { epochs: 3, warmupEpochs: 3, batchSize: 32, lr: 1e9, lrSchedule: 'constant', momentum: 0, checkpointEvery: 1, labelSmoothing: 0 } },
    });
    const { session } = await composeSearch({ config: writeConfig(dir, cfg), runDir, log: () => {} });
    const err = await session.run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SearchDiverged);
    const d = err as SearchDiverged;
    expect(d.message).toMatch(/^search diverged: (the training loss became (NaN|Infinity|-Infinity)|\S+ became non-finite) at epoch \d+, batch \d+ \(step \d+\); the last good checkpoint is kept/);
    expect(d.where!.step).toBeGreaterThan(0);
    // the checkpoint on disk is from before the bad step and holds only finite numbers
    expect(existsSync(join(runDir, RunFiles.checkpoint))).toBe(true);
    const ckpt = loadCheckpoint(join(runDir, RunFiles.checkpoint));
    expect((ckpt.json as { saved: { step: number } }).saved.step).toBeLessThanOrEqual(d.where!.step);
    for (const [name, t] of Object.entries(ckpt.tensors)) {
      expect(Array.from(t.dataSync()).every(Number.isFinite), name).toBe(true);
    }
    tf.dispose(Object.values(ckpt.tensors));
    expect(existsSync(join(runDir, RunFiles.result))).toBe(false);
  });
});
