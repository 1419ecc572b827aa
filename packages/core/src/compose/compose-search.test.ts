import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { RunFiles } from '../artifacts/run-directory-plugin.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load-config.js';
import type { SearchPlugin } from '../session/search-session.js';
import { created, microConfig, microModule } from '../../test/micro-plugins.js';
import { composeSearch, searchSlots, validateConfig } from './compose-search.js';

const write = (config: unknown): { dir: string; file: string } => {
  const dir = mkdtempSync(join(tmpdir(), 'proxyless-compose-'));
  const file = join(dir, 'search.json');
  writeFileSync(file, JSON.stringify(config));
  return { dir, file };
};
const extra: SearchPlugin = { name: 'extra', apply: () => {} };

beforeEach(() => void created.splice(0));

describe('composeSearch: the runtime and search stages in one container', () => {
  it('creates every part after the backend, in dependency order, with the hook plugins in binding order', async () => {
    const { dir, file } = write(microConfig({ plugins: [{ use: 'recorder', options: { tag: 'a' } }, { use: 'recorder', options: { tag: 'b' } }] }));
    const logs: string[] = [];
    const { session, runDir } = await composeSearch({ config: file, runDir: join(dir, 'run'), modules: [microModule], plugins: [extra], log: (m) => logs.push(m) });
    expect(logs[0]).toMatch(/^backend: cpu on /); // the backend is initialized before data, space and the rest
    expect(created.map((c) => c.kind)).toEqual(['space', 'strategy', 'plugin:a', 'plugin:b']);
    expect(created.every((c) => c.backend === 'cpu')).toBe(true);
    // config plugins, then the built-in run directory, then the ones given in code
    expect(session.components.plugins.map((p) => p.name)).toEqual(['a', 'b', 'RunDirectoryPlugin', 'extra']);
    expect(session.components.space.input).toEqual({ shape: [28, 28, 1], numClasses: 10 });
    expect(session.network.mixedOps.map((m) => m.label)).toEqual(['b0']);
    expect(runDir).toBe(join(dir, 'run'));
  });

  it('leaves the run-directory plugin out with noRunDir', async () => {
    const { file } = write(microConfig());
    const { session, runDir } = await composeSearch({ config: file, noRunDir: true, modules: [microModule], log: () => {} });
    expect(runDir).toBeUndefined();
    expect(session.components.plugins).toEqual([]);
  });

  it("reports a plugin's cross-slot problem (validate) before any backend, data or part is created", async () => {
    const { dir, file } = write(microConfig({ strategy: { use: 'keep', options: { latencyWeight: 0.5 } } }));
    const logs: string[] = [];
    const err = await composeSearch({ config: file, runDir: join(dir, 'run'), modules: [microModule], log: (m) => logs.push(m) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).file).toBe(file);
    expect((err as ConfigError).problems).toEqual([
      { path: 'latency', value: 'nothing (field missing)', expected: 'a latency plugin: strategy.options.latencyWeight > 0 prices E[lat] (add `latency: { use: … }` to the config)' },
    ]);
    expect((err as Error).message).toContain('  - latency: got nothing (field missing); expected a latency plugin');
    expect(logs).toEqual([]);
    expect(created).toEqual([]);
    expect(existsSync(join(dir, 'run'))).toBe(false);
    // with the slot filled, the same config is valid
    const ok = write(microConfig({ strategy: { use: 'keep', options: { latencyWeight: 0.5 } }, latency: 'measured' }));
    expect([...(await validateConfig(loadConfigFile(ok.file), [microModule])).keys()]).toEqual(['backend', 'data', 'space', 'strategy', 'latency', 'trainer']);
  });

  it('runs, then composes a resume from the run directory (stored config, checkpoint loaded once the backend is active)', async () => {
    const { dir, file } = write(microConfig());
    const runDir = join(dir, 'run');
    const first = await composeSearch({ config: file, runDir, modules: [microModule], log: () => {} });
    const result = await first.session.run();
    expect(Object.keys(result.architecture)).toEqual(['b0']);
    const arch = JSON.parse(readFileSync(join(runDir, RunFiles.architecture), 'utf8'));
    expect(arch.candidateDescriptions.b0).toMatchObject({ kind: 'conv', name: result.architecture['b0'], expand: 1 });
    expect(first.resume).toBeUndefined();

    const stored = JSON.parse(readFileSync(join(runDir, RunFiles.config), 'utf8'));
    expect(stored.$source).toEqual({ file, dir });
    const resumed = await composeSearch({ resume: runDir, modules: [microModule], log: () => {} });
    try {
      expect(resumed.runDir).toBe(runDir);
      expect(Object.keys(resumed.resume!.tensors).some((k) => k.startsWith('net/'))).toBe(true);
      expect((resumed.resume!.json as { saved?: { reason: string } }).saved?.reason).toBe('epoch');
      expect(resumed.session.components.plugins.map((p) => p.name)).toEqual(['RunDirectoryPlugin']);
    } finally {
      tf.dispose(Object.values(resumed.resume!.tensors));
    }
  });

  it('lists the slots of a config: runtime stage first, then strategy, latency, trainer and each hook plugin', () => {
    const { file } = write(microConfig({ plugins: ['recorder'] }));
    expect(searchSlots(loadConfigFile(file).config).map(([key, path, kind]) => `${key}@${path.join('.')}:${kind}`)).toEqual([
      'backend@backend:backend',
      'data@data:data',
      'space@space:space',
      'strategy@strategy:strategy',
      'latency@latency:latency',
      'trainer@trainer:trainer',
      'plugins.0@plugins.0:plugin',
    ]);
  });
});
