// The strategy lifecycle that packages/core/src/strategies/strategy.ts documents, observed on a real
// search (wasm backend, Fashion-MNIST subset, the test-utils weighted strategy): the order of the
// calls on a fresh and on a resumed search, the warm-up phase of `sampleGates`, `onEpochEnd`, the
// epoch numbering of `ArchStepInput`, and who disposes the arch step's batch.
import { composeSearch, SearchInterrupted, type ArchitectureStrategy, type ArchStepInput, type SearchPlugin, type SearchSession, type StrategyEpochEnd } from '@proxyless/core';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from './helpers.js';

const config = () =>
  smallConfig({
    strategy: { use: '@proxyless/test-utils', options: { lr: 0.5 } },
    trainer: { use: 'search', options: { epochs: 3, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 4, checkpointEvery: 3, evaluateEachEpoch: false } },
  });

interface Observed {
  readonly calls: string[];
  readonly phases: string[];
  readonly epochEnds: StrategyEpochEnd[];
  readonly archEpochs: number[];
  /** Whether the batch tensors were live during `archStep`, and disposed once it settled. */
  readonly batchLive: boolean[];
  readonly batches: ArchStepInput['batch'][];
}

/** Wraps the real strategy's methods to record how the trainer calls them (behaviour unchanged). */
function observe(strategy: ArchitectureStrategy): Observed {
  const o: Observed = { calls: [], phases: [], epochEnds: [], archEpochs: [], batchLive: [], batches: [] };
  const s = strategy as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['setup', 'setState', 'derive']) {
    const real = s[name]!.bind(strategy);
    s[name] = (...args: unknown[]) => {
      o.calls.push(name);
      return real(...args);
    };
  }
  const sample = s['sampleGates']!.bind(strategy);
  s['sampleGates'] = (phase: unknown) => {
    if (o.calls.at(-1) !== 'sampleGates') o.calls.push('sampleGates');
    o.phases.push(String(phase));
    return sample(phase);
  };
  const arch = s['archStep']!.bind(strategy);
  s['archStep'] = async (input: unknown) => {
    const i = input as ArchStepInput;
    o.calls.push('archStep');
    o.archEpochs.push(i.epoch);
    o.batchLive.push(!i.batch.x.isDisposed && !i.batch.y.isDisposed);
    o.batches.push(i.batch);
    return arch(input);
  };
  s['onEpochEnd'] = (info: unknown) => {
    o.calls.push('onEpochEnd');
    o.epochEnds.push(info as StrategyEpochEnd);
  };
  return o;
}

class StopAt implements SearchPlugin {
  readonly name = 'StopAt';
  constructor(private readonly step: number) {}
  apply(session: SearchSession): void {
    session.hooks.afterWeightStep.tapPromise(this.name, async (s) => {
      if (s.step + 1 === this.step) session.requestStop('test');
    });
  }
}

describe('the strategy lifecycle', () => {
  it('a fresh search: setup first, warm-up gates from sampleGates("warmup"), onEpochEnd per epoch, 0-based arch-step epochs, batches disposed by the trainer', async () => {
    const { session } = await composeSearch({ config: writeConfig(tempDir(), config()), noRunDir: true, log: () => {} });
    const o = observe(session.components.strategy);
    await session.run();
    expect(o.calls[0]).toBe('setup');
    expect(o.calls.filter((c) => c === 'setup')).toHaveLength(1);
    expect(o.calls).not.toContain('setState');
    // 3 epochs × 8 batches: the first 8 weight steps are warm-up
    expect(o.phases).toEqual([...Array(8).fill('warmup'), ...Array(16).fill('search')]);
    expect(o.epochEnds).toEqual([
      { epoch: 0, epochs: 3, phase: 'warmup' },
      { epoch: 1, epochs: 3, phase: 'search' },
      { epoch: 2, epochs: 3, phase: 'search' },
    ]);
    // onEpochEnd comes after the epoch's arch steps and before its summary's derive
    const firstSearchEnd = o.calls.indexOf('onEpochEnd', o.calls.indexOf('archStep'));
    expect(o.calls[firstSearchEnd - 1]).toBe('archStep');
    expect(o.calls[firstSearchEnd + 1]).toBe('derive');
    // an arch step every 4 weight steps in epochs 1 and 2 (printed "epoch 2/3" and "epoch 3/3")
    expect(o.archEpochs).toEqual([1, 1, 2, 2]);
    expect(o.batchLive).toEqual([true, true, true, true]);
    expect(o.batches.every((b) => b.x.isDisposed && b.y.isDisposed)).toBe(true);
  });

  it('a resumed search: setup runs before setState, then the loop continues where it stopped', async () => {
    const dir = tempDir();
    const runDir = join(dir, 'run');
    const first = await composeSearch({ config: writeConfig(dir, config()), runDir, plugins: [new StopAt(13)], log: () => {} });
    await expect(first.session.run()).rejects.toBeInstanceOf(SearchInterrupted);
    const resumed = await composeSearch({ resume: runDir, log: () => {} });
    const o = observe(resumed.session.components.strategy);
    await resumed.session.run(resumed.resume);
    expect(o.calls.slice(0, 3)).toEqual(['setup', 'setState', 'sampleGates']);
    // stopped after step 13 (epoch 1, batch 5): the rest of epoch 1 and epoch 2 remain
    expect(o.phases).toEqual(Array(11).fill('search'));
    expect(o.epochEnds.map((e) => e.epoch)).toEqual([1, 2]);
  });
});
