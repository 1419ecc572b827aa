import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { RunFiles } from '../artifacts/run-directory-plugin.js';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile } from '../config/load-config.js';
import type { SearchPlugin } from '../session/search-session.js';
import { created, microConfig, microModule } from '../../test/micro-plugins.js';
import { loadCheckpoint, saveCheckpoint } from '../artifacts/checkpoint.js';
import { RUN_LOCK_FILE } from '../artifacts/run-lock.js';
import { composeSearch, RunFinished, searchSlots, validateConfig } from './compose-search.js';

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
    const resumed = await composeSearch({ resume: runDir, allowFinished: true, modules: [microModule], log: () => {} });
    try {
      expect(resumed.runDir).toBe(runDir);
      expect(Object.keys(resumed.resume!.tensors).some((k) => k.startsWith('net/'))).toBe(true);
      expect((resumed.resume!.json as { saved?: { reason: string } }).saved?.reason).toBe('epoch');
      expect(resumed.session.components.plugins.map((p) => p.name)).toEqual(['RunDirectoryPlugin']);
    } finally {
      tf.dispose(Object.values(resumed.resume!.tensors));
      resumed.release();
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

describe('composeSearch: nothing lost, nothing overwritten, bad input refused before the run directory exists', () => {
  const snapshot = (d: string) => Object.fromEntries(readdirSync(d).map((n) => [n, readFileSync(join(d, n), 'utf8')]));
  async function finishedRun(): Promise<{ dir: string; file: string; runDir: string }> {
    const { dir, file } = write(microConfig());
    const runDir = join(dir, 'run');
    const c = await composeSearch({ config: file, runDir, modules: [microModule], log: () => {} });
    await c.session.run();
    expect(existsSync(join(runDir, RUN_LOCK_FILE)), 'the lock is released when the run ends').toBe(false);
    return { dir, file, runDir };
  }

  it('refuses a new search into an existing run (saying how to resume), replaces it only with force, and locks while it runs', async () => {
    const { file, runDir } = await finishedRun();
    const before = snapshot(runDir);
    await expect(composeSearch({ config: file, runDir, modules: [microModule], log: () => {} })).rejects.toThrow(
      `run directory ${runDir} already holds a finished run; choose another --out (or output.name), or pass --force to replace it`,
    );
    expect(snapshot(runDir)).toEqual(before);
    // a started (unfinished) run: the message says how to resume it
    const { dir: d2, file: f2 } = write(microConfig());
    const started = join(d2, 'run');
    const c = await composeSearch({ config: f2, runDir: started, modules: [microModule], log: () => {} });
    expect(readdirSync(started)).toEqual([RUN_LOCK_FILE]);
    // while the first holds the directory, a second writer (here: a resume or a forced search) fails at once
    await expect(composeSearch({ config: f2, runDir: started, force: true, modules: [microModule], log: () => {} })).rejects.toThrow(
      `${started} is in use by proxyless search (pid ${process.pid} on `,
    );
    c.release();
    writeFileSync(join(started, RunFiles.config), '{}');
    await expect(composeSearch({ config: f2, runDir: started, modules: [microModule], log: () => {} })).rejects.toThrow(
      `already holds a started run; continue it with: proxyless search --resume ${started}; `,
    );
    // --force: replaced, the old result gone until the new run writes its own
    const forced = await composeSearch({ config: file, runDir, force: true, modules: [microModule], log: () => {} });
    expect(existsSync(join(runDir, RunFiles.result))).toBe(false);
    await forced.session.run();
    expect(existsSync(join(runDir, RunFiles.result))).toBe(true);
  });

  it('resuming a finished run says it is finished and changes nothing', async () => {
    const { runDir } = await finishedRun();
    const before = snapshot(runDir);
    const err = await composeSearch({ resume: runDir, modules: [microModule], log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFinished);
    expect((err as Error).message).toBe(`${runDir} is a finished run (it has result.json); nothing to resume and nothing was changed — derive, report or train from it instead`);
    expect((err as RunFinished).result).toEqual(JSON.parse(before['result.json']!));
    expect(snapshot(runDir)).toEqual(before);
  });

  it('output.name must be a single path segment (checked with the config)', async () => {
    for (const name of ['../../elsewhere', 'a/b', '..', '']) {
      const { dir, file } = write(microConfig({ output: { dir: join(dir0, 'runs'), name } }));
      const err = await composeSearch({ config: file, modules: [microModule], log: () => {} }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems[0]!.path).toBe('output.name');
      expect(readdirSync(dir)).toEqual(['search.json']);
    }
  });
  const dir0 = mkdtempSync(join(tmpdir(), 'proxyless-name-'));

  it.each([
    ['validation: 0', { validation: 0 }, { path: 'data.options.validation', value: '0', expected: 'held-out examples (validation > 0): the validation split is empty, and the architecture steps (trainer.options.epochs 1 > warmupEpochs 0) and the validation after each epoch (trainer.options.evaluateEachEpoch) need it' }],
    ['validation larger than the data', { validation: 500 }, { path: 'data.options.validation', value: '500', expected: 'fewer than 96 (it holds out 500 of the 96 training images; at least one must stay for training)' }],
  ])('%s: refused before the first step as a config error of the file, and no run directory is left', async (_name, data, problem) => {
    const cfg = microConfig();
    const { dir, file } = write({ ...cfg, data: { ...(cfg['data'] as object), options: { ...(cfg['data'] as { options: object }).options, ...data } } });
    const runDir = join(dir, 'run');
    const err = await composeSearch({ config: file, runDir, modules: [microModule], log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).file).toBe(file);
    expect((err as ConfigError).problems).toEqual([problem]);
    expect(existsSync(runDir)).toBe(false);
  });

  it('a checkpoint is validated as a whole before anything is restored, naming the file and the field', async () => {
    const { runDir } = await finishedRun();
    const ckptFile = join(runDir, RunFiles.checkpoint);
    const good = readFileSync(ckptFile);
    const resume = () => composeSearch({ resume: runDir, allowFinished: true, modules: [microModule], log: () => {} });
    // a damaged header: JSON of the header, not "Expected ':' after property name in JSON at position 10"
    const broken = Buffer.from(good);
    broken.write('{"json":{x', 16, 'utf8');
    writeFileSync(ckptFile, broken);
    await expect(resume()).rejects.toThrow(`${ckptFile}: the checkpoint header is not valid JSON (`);
    // a loop position outside this run's schedule
    writeFileSync(ckptFile, good);
    const ckpt = loadCheckpoint(ckptFile);
    const json = ckpt.json as { trainer: { epoch: number } };
    saveCheckpoint(ckptFile, { json: { ...json, trainer: { ...json.trainer, epoch: 7 } }, tensors: ckpt.tensors });
    await expect(resume()).rejects.toThrow(`${ckptFile}: trainer.epoch: got 7; expected the epoch reached (trainer.options.epochs is 1), an integer in [0, 1]`);
    // a tensor of another shape than the network's variable
    const [name, t] = Object.entries(ckpt.tensors).find(([k]) => k.startsWith('net/'))!;
    saveCheckpoint(ckptFile, { json, tensors: { ...ckpt.tensors, [name]: tf.zeros([t.size + 1]) } });
    await expect(resume()).rejects.toThrow(`${ckptFile}: tensor ${name}.shape: got [${t.size + 1}]; expected [${t.shape}]`);
    tf.dispose(Object.values(ckpt.tensors));
    expect(existsSync(join(runDir, RUN_LOCK_FILE))).toBe(false);
  });
});

