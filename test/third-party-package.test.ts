// A latency provider and a search plugin added by a package (test/fixtures/proxyless-extras, linked
// into the config's node_modules as `npm link` would), not by editing core; a search runs with them.
import { composeSearch } from '@proxyless/core';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from './helpers.js';

const extrasDir = fileURLToPath(new URL('./fixtures/proxyless-extras', import.meta.url));

describe('a third-party package adding a latency provider and a hook plugin', () => {
  it('is resolved by name from the config folder, prices every op and logs E[lat] after each arch step', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(extrasDir, join(dir, 'node_modules', 'proxyless-extras'), 'dir');
    const cfg = smallConfig({
      strategy: { use: '@proxyless/test-utils', options: { lr: 0.5 } },
      latency: { use: 'proxyless-extras', name: 'kernel-cost', options: { perKMacs: 2 } },
      plugins: [{ use: 'proxyless-extras', name: 'latency-log' }],
    });
    const runDir = join(dir, 'run');
    const { session } = await composeSearch({ config: writeConfig(dir, cfg), runDir, log: () => {} });
    const { latency } = session.components;
    expect(latency!.unit).toBe('kmacs');
    expect(latency!.target).toBe('kmacs');
    // every candidate priced by the package's formula
    const { kernelCost } = (await import(join(extrasDir, 'index.js'))) as { kernelCost: (f: unknown, k: number) => number };
    const b0 = session.components.space.describe().find((m) => m.label === 'b0')!;
    expect(latency!.table['b0']).toEqual(b0.candidates.map((c) => kernelCost(c.features, 2)));
    expect(latency!.table['b1']![2]).toBe(0); // zero
    expect(session.components.plugins.map((p) => p.name)).toEqual(['LatencyLog', 'RunDirectoryPlugin']);

    const seen: number[] = [];
    session.hooks.afterArchStep.tap('test', (s) => void seen.push(s.expectedLatency!));
    const result = await session.run();
    const logged = readFileSync(join(runDir, 'latency-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { expectedLatency: number });
    expect(logged.map((l) => l.expectedLatency)).toEqual(seen);
    expect(seen.length).toBe(4);
    expect(new Set(seen).size).toBeGreaterThan(1); // α moved, so E[lat] did
    expect(result.latencyUnit).toBe('kmacs');
    expect(result.latency).toBe(latency!.ofArchitecture(result.architecture));
  });
});
