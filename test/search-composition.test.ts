import * as tf from '@tensorflow/tfjs-core';
import { composeSearch, RunFiles, type SearchPlugin, type SearchSession } from '@proxyless/core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from './helpers.js';

class HookRecorder implements SearchPlugin {
  readonly name = 'HookRecorder';
  readonly events: string[] = [];
  apply(session: SearchSession): void {
    const h = session.hooks;
    h.beforeSearch.tapPromise(this.name, async () => void this.events.push('beforeSearch'));
    h.beforeEpoch.tapPromise(this.name, async (e) => void this.events.push(`beforeEpoch:${e.epoch}:${e.phase}`));
    h.sampleGates.tap(this.name, (g) => {
      this.events.push('sampleGates');
      return g;
    });
    h.afterWeightStep.tapPromise(this.name, async () => void this.events.push('afterWeightStep'));
    h.afterArchStep.tapPromise(this.name, async () => void this.events.push('afterArchStep'));
    h.afterEpoch.tapPromise(this.name, async (e) => void this.events.push(`afterEpoch:${e.epoch}`));
    h.checkpoint.tapPromise(this.name, async (r) => void this.events.push(`checkpoint:${r.reason}`));
    h.architectureDerived.tapPromise(this.name, async () => void this.events.push('architectureDerived'));
    h.done.tapPromise(this.name, async () => void this.events.push('done'));
  }
}

describe('a search composed from a config file with a third-party strategy package', () => {
  it('runs end to end, calls the hooks in order and writes the run directory', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, smallConfig());
    const recorder = new HookRecorder();
    const runDir = join(dir, 'run');
    const { session } = await composeSearch({ config, runDir, plugins: [recorder], log: () => {} });
    expect(session.components.strategy.name).toBe('uniform');
    expect(tf.getBackend()).toBe('wasm');
    const result = await session.run();

    // 320 train − 64 validation = 256 examples = 8 batches of 32 per epoch.
    const ev = recorder.events;
    expect(ev[0]).toBe('beforeSearch');
    expect(ev[1]).toBe('beforeEpoch:0:warmup');
    expect(ev.slice(2, 4)).toEqual(['sampleGates', 'afterWeightStep']);
    const warm = ev.slice(0, ev.indexOf('afterEpoch:0'));
    expect(warm.filter((e) => e === 'afterWeightStep')).toHaveLength(8);
    expect(warm).not.toContain('afterArchStep');
    const search = ev.slice(ev.indexOf('beforeEpoch:1:search'));
    expect(search.filter((e) => e === 'afterArchStep')).toHaveLength(4); // every 2nd of 8 steps
    // an arch step follows the weight step that triggered it
    expect(search[search.indexOf('afterArchStep') - 1]).toBe('afterWeightStep');
    expect(ev.slice(-4)).toEqual(['afterEpoch:1', 'checkpoint:epoch', 'architectureDerived', 'done']);

    expect(Object.keys(result.architecture).sort()).toEqual(['b0', 'b1']);
    for (const f of Object.values(RunFiles)) expect(existsSync(join(runDir, f)), f).toBe(true);
    const lines = readFileSync(join(runDir, RunFiles.metrics), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'step')).toHaveLength(16);
    expect(lines.filter((l) => l.type === 'epoch')).toHaveLength(2);
    const arch = JSON.parse(readFileSync(join(runDir, RunFiles.architecture), 'utf8'));
    expect(arch.architecture).toEqual(result.architecture);
    expect(arch.space.use).toBe('@proxyless/test-utils');
    expect(JSON.parse(readFileSync(join(runDir, RunFiles.candidates), 'utf8'))).toEqual({ b0: ['3x3_conv', '5x5_conv'], b1: ['3x3_conv', '5x5_conv', 'zero'] });
  });
});

describe('a search with a measured latency provider', () => {
  it('prices every candidate, reports E[lat] after arch steps and can measure an architecture', async () => {
    const dir = tempDir();
    const cfg = smallConfig({
      latency: { use: '@proxyless/backend-wasm', name: 'measured', options: { minRuns: 3, minDurationMs: 5, warmup: 1 } },
      strategy: { use: '@proxyless/test-utils', options: { lr: 0.5 } },
    });
    const { session } = await composeSearch({ config: writeConfig(dir, cfg), noRunDir: true, log: () => {} });
    const { latency, measureLatency } = session.components;
    expect(latency!.unit).toBe('ms');
    expect(latency!.table['b0']!.every((ms) => ms > 0)).toBe(true);
    expect(latency!.table['b1']![2]).toBe(0); // zero
    const seen: number[] = [];
    session.hooks.afterArchStep.tap('t', (s) => void seen.push(s.expectedLatency!));
    const result = await session.run();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((v) => v > latency!.fixed)).toBe(true);
    expect(result.latency).toBeCloseTo(latency!.ofArchitecture(result.architecture), 6);
    const measured = await measureLatency!(result.architecture);
    expect(measured).toBeGreaterThan(0);
  });
});
