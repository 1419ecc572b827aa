import { composeSearch, type SearchPlugin, type SearchSession } from '@proxyless/core';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from './helpers.js';

/** After every weight step, checks which candidate paths' weights changed. */
class PathWatcher implements SearchPlugin {
  readonly name = 'PathWatcher';
  readonly changed: { active: Record<string, number>; moved: Record<string, number[]> }[] = [];
  apply(session: SearchSession): void {
    const ops = session.network.mixedOps;
    const values = () => ops.map((op) => op.candidates.map((c) => c.module.variables().filter((v) => v.trainable).map((v) => Array.from(v.variable.dataSync()))));
    let before = values();
    session.hooks.afterWeightStep.tapPromise(this.name, async (s) => {
      const after = values();
      const moved: Record<string, number[]> = {};
      ops.forEach((op, i) => {
        moved[op.label] = op.candidates.map((_, j) => j).filter((j) => JSON.stringify(after[i]![j]) !== JSON.stringify(before[i]![j]));
      });
      this.changed.push({ active: Object.fromEntries(Object.entries(s.gates).map(([k, g]) => [k, g.chosen])), moved });
      before = after;
    });
  }
}

describe('a weight step', () => {
  it('trains only the sampled paths (with weight decay and momentum on): unsampled paths keep their weights', async () => {
    const watcher = new PathWatcher();
    const cfg = smallConfig({ trainer: { use: 'search', options: { epochs: 1, warmupEpochs: 1, batchSize: 32, weightDecay: 0.01, momentum: 0.9, maxBatchesPerEpoch: 6 } } });
    const { session } = await composeSearch({ config: writeConfig(tempDir(), cfg), noRunDir: true, plugins: [watcher], log: () => {} });
    await session.run();
    expect(watcher.changed).toHaveLength(6);
    for (const step of watcher.changed) {
      for (const [label, chosen] of Object.entries(step.active)) {
        const zero = session.network.mixedOps.find((op) => op.label === label)!.candidates[chosen]!.isZero;
        expect(step.moved[label], `${label}`).toEqual(zero ? [] : [chosen]);
      }
    }
  });
});
