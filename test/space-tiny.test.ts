// The worked space example (examples/space-tiny) loaded by its package name from a config.
import { composeSearch, RunFiles } from '@proxyless/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from './helpers.js';

describe('proxyless-space-tiny, a space plugin package', () => {
  it('is loaded by name and searched; architecture.json describes the chosen candidates from their op features', async () => {
    const dir = tempDir();
    const cfg = smallConfig({
      space: { use: 'proxyless-space-tiny', options: { stem: 4, blocks: [{ width: 4, stride: 2 }, { width: 4, stride: 1 }, { width: 8, stride: 2 }], kernels: [3, 5, 7] } },
      trainer: { use: 'search', options: { epochs: 1, warmupEpochs: 0, batchSize: 32, archUpdateEvery: 4 } },
    });
    const runDir = join(dir, 'run');
    const { session } = await composeSearch({ config: writeConfig(dir, cfg), runDir, log: () => {} });
    expect(session.components.space.name).toBe('tiny');
    expect(session.network.mixedOps.map((m) => `${m.label}:${m.candidates.length}`)).toEqual(['b0:3', 'b1:4', 'b2:3']);
    const result = await session.run();
    const arch = JSON.parse(readFileSync(join(runDir, RunFiles.architecture), 'utf8'));
    expect(arch.space.use).toBe('proxyless-space-tiny');
    expect(arch.architecture).toEqual(result.architecture);
    for (const [label, name] of Object.entries(result.architecture)) {
      const d = arch.candidateDescriptions[label];
      expect(d.name).toBe(name);
      if (name === 'zero') expect(d).toEqual({ name, kind: 'zero' });
      else expect(d).toEqual({ name, kind: 'conv', kernel: Number(name[0]), expand: 1 });
    }
  });
});
