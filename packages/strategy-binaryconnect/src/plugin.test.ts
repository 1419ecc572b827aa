import { composeSearch, ConfigError, type SearchPlugin, type StrategyMetrics } from '@proxyless/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { subsetDir } from '../test/fixtures.js';

/** A config naming this package by its npm name, as users write it (resolved and imported by core). */
function writeConfig(strategyOptions: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'binaryconnect-'));
  const file = join(dir, 'search.json');
  writeFileSync(
    file,
    JSON.stringify({
      seed: 3,
      backend: { use: '@proxyless/backend-wasm' },
      data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 320, test: 64 }, validation: 64 } },
      space: { use: '@proxyless/test-utils', options: { stem: 4, blocks: [{ width: 4, stride: 2 }, { width: 4, stride: 1 }], kernels: [3, 5] } },
      strategy: { use: '@proxyless/strategy-binaryconnect', options: strategyOptions },
      trainer: { use: 'search', options: { epochs: 2, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, checkpointEvery: 0 } },
    }),
  );
  return file;
}

describe('the binaryconnect plugin in a config', () => {
  it('runs a search composed from a config and reports p and the loss terms through afterArchStep', async () => {
    const metrics: StrategyMetrics[] = [];
    const rec: SearchPlugin = { name: 'Rec', apply: (s) => s.hooks.afterArchStep.tapPromise('Rec', async (i) => void metrics.push(i.metrics)) };
    const { session } = await composeSearch({ config: writeConfig({ mode: 'exact' }), noRunDir: true, plugins: [rec], log: () => {} });
    expect(session.components.strategy.name).toBe('binaryconnect');
    const result = await session.run();
    expect(metrics.length).toBe(4); // 8 search batches (256 training images), every 2
    expect(Object.keys(metrics[0]!)).toEqual(expect.arrayContaining(['loss', 'ce', 'p/b0/3x3_conv', 'p/b1/zero']));
    expect(Object.keys(result.architecture)).toEqual(['b0', 'b1']);
  });

  it('rejects bad options before anything runs, naming the field', async () => {
    const err = await composeSearch({ config: writeConfig({ mode: 'three' }), noRunDir: true, log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String((err as Error).message)).toMatch(/strategy\.options\.mode/);
    const err2 = await composeSearch({ config: writeConfig({ latencyLoss: 'normalized' }), noRunDir: true, log: () => {} }).catch((e: unknown) => e);
    expect(String((err2 as Error).message)).toMatch(/strategy\.options\.budget/);
  });

  it('fails before anything loads, naming the missing latency slot, when a latency loss has no latency provider', async () => {
    const err = await composeSearch({ config: writeConfig({ budget: 20 }), noRunDir: true, log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      { path: 'latency', value: 'nothing (field missing)', expected: 'a latency plugin: strategy.options: latencyLoss "multiplicative" needs E[lat] (add `latency: { use: … }` to the config)' },
    ]);
  });
});
