import * as tf from '@tensorflow/tfjs-core';
import { SearchInterrupted, type SearchPlugin, type SessionSnapshot } from '@proxyless/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fashionMnist, FixtureSpace, kernelLatency, runSearch, useWasm } from '../test/fixtures.js';
import type { BinaryConnectOptionsInput, BinaryConnectStrategy } from './index.js';

beforeAll(useWasm);

/** Records α (as p) and μ after every arch step, the live tensor count, and can stop the run at a step. */
class Recorder implements SearchPlugin {
  readonly name = 'Recorder';
  readonly trace: number[][] = [];
  readonly tensors: number[] = [];
  snapshot: SessionSnapshot | undefined;
  constructor(private readonly stopAtStep?: number) {}
  apply(session: Parameters<SearchPlugin['apply']>[0]): void {
    session.hooks.afterWeightStep.tapPromise(this.name, async (s) => {
      if (this.stopAtStep !== undefined && s.step + 1 === this.stopAtStep) session.requestStop('test');
    });
    session.hooks.afterArchStep.tapPromise(this.name, async (s) => {
      this.trace.push([...Object.values(s.probabilities).flat(), s.metrics['dualLambda']!]);
      this.tensors.push(tf.memory().numTensors);
    });
    session.hooks.checkpoint.tapPromise(this.name, async (r) => {
      if (r.reason !== 'signal') return;
      // what a checkpoint file holds: JSON state plus tensors (copies)
      const snap = session.snapshot();
      this.snapshot = { json: JSON.parse(JSON.stringify(snap.json)), tensors: snap.tensors };
    });
  }
}

const strategy: BinaryConnectOptionsInput = { mode: 'two', lr: 0.05, beta1: 0.5, hardBudget: true, budgetOn: 'expected', budget: 20, latencyLoss: 'normalized' }; // E[lat] starts over T: μ moves
const trainer = { epochs: 3, warmupEpochs: 1, lr: 0.1, batchSize: 32, archUpdateEvery: 2, archStepsPerUpdate: 2, evaluateEachEpoch: false, checkpointEvery: 0 };

async function search(plugin: Recorder, resume?: SessionSnapshot) {
  const dataset = await fashionMnist(600, 120);
  const space = new FixtureSpace(dataset.input, [
    { width: 8, stride: 2, kernels: [1, 3, 5] },
    { width: 8, stride: 1, kernels: [1, 3, 5], zero: true },
  ]);
  return runSearch({ seed: 5, dataset, space, latency: kernelLatency, strategy, trainer, plugins: [plugin], ...(resume ? { resume } : {}) });
}

const finalState = (r: Awaited<ReturnType<typeof search>>) => ({
  alpha: r.session.network.mixedOps.map((op) => Array.from(op.alpha.dataSync())),
  mu: (r.strategy as BinaryConnectStrategy).dualLambda,
  architecture: r.result.architecture,
});

describe('determinism and resume', () => {
  it('the same seed reproduces the α and μ trajectory with a flat tensor count; a run resumed from a checkpoint ends where an uninterrupted one does', async () => {
    const a = new Recorder();
    const ra = await search(a);
    const b = new Recorder();
    const rb = await search(b);
    expect(a.trace.length).toBe(15 * 2); // updates after global steps 16, 18, …, 44 (15 batches per epoch), 2 arch steps each
    expect(b.trace).toEqual(a.trace);
    expect(finalState(rb)).toEqual(finalState(ra));
    // α and μ really moved, so the comparison is not vacuous
    expect(ra.session.network.mixedOps.some((op) => Math.max(...Array.from(op.alpha.dataSync(), Math.abs)) > 0.1)).toBe(true);
    expect(a.trace.some((t) => t.at(-1)! > 0)).toBe(true);
    // tensor hygiene: Adam's slots appear with the first update; after that the live count never changes
    expect(new Set(a.tensors.slice(1)).size).toBe(1);

    // interrupted in the middle of the first search epoch (after the update at step 24), then resumed
    const c = new Recorder(15 + 9);
    await expect(search(c)).rejects.toBeInstanceOf(SearchInterrupted);
    expect(c.snapshot).toBeDefined();
    expect(Object.keys(c.snapshot!.tensors).some((k) => k.startsWith('strategy/adam/'))).toBe(true);
    const d = new Recorder();
    const rd = await search(d, c.snapshot);
    expect([...c.trace, ...d.trace]).toEqual(a.trace);
    expect(finalState(rd)).toEqual(finalState(ra));
    tf.dispose(Object.values(c.snapshot!.tensors));
  });
});
