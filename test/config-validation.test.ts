import { ConfigError, loadConfigFile, validateConfig, composeSearch } from '@proxyless/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from './helpers.js';

async function validationError(config: unknown, name = 'search.json'): Promise<ConfigError> {
  const dir = tempDir();
  const file = writeConfig(dir, config, name);
  try {
    await validateConfig(loadConfigFile(file));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.file).toBe(file);
    expect(e.message).toContain(file);
    return e;
  }
  throw new Error('expected a ConfigError');
}

describe('config validation', () => {
  it('accepts the small config', async () => {
    const dir = tempDir();
    const resolved = await validateConfig(loadConfigFile(writeConfig(dir, smallConfig())));
    expect([...resolved.keys()].sort()).toEqual(['backend', 'data', 'space', 'strategy', 'trainer']);
    expect(resolved.get('strategy')!.from).toMatch(/strategy-uniform/);
    expect(resolved.get('data')!.from).toBe('builtin');
    expect(resolved.get('backend')!.from).toMatch(/backend-wasm/);
  });

  it('names the field, the bad value and what was expected for a bad plugin option', async () => {
    const cfg = smallConfig();
    (cfg.trainer as { options: Record<string, unknown> }).options.lr = -1;
    const e = await validationError(cfg);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]!.path).toBe('trainer.options.lr');
    expect(e.problems[0]!.value).toBe('-1');
    expect(e.problems[0]!.expected).toMatch(/>\s*0|positive|greater/i);
    expect(e.message).toContain('trainer.options.lr: got -1');
  });

  it('reports an unknown field with its path (typo in a plugin option)', async () => {
    const cfg = smallConfig();
    (cfg.trainer as { options: Record<string, unknown> }).options.epoch = 3;
    const e = await validationError(cfg);
    expect(e.problems[0]!.path).toBe('trainer.options.epoch');
    expect(e.problems[0]!.expected).toMatch(/unknown key/);
  });

  it('reports a wrong type at the top level and in a space option together', async () => {
    const cfg = smallConfig({ seed: 'abc' });
    (cfg.space as { options: Record<string, unknown> }).options.kernels = [4];
    const dir = tempDir();
    const file = writeConfig(dir, cfg);
    // the top level fails first, before plugins are looked at
    expect(() => loadConfigFile(file)).toThrow(/seed: got "abc"; expected .*number/);
    cfg.seed = 1;
    const e = await validationError(cfg);
    expect(e.problems.map((p) => p.path)).toEqual(['space.options.kernels.0']);
    expect(e.problems[0]!.value).toBe('4');
  });

  it('says which package could not be resolved and how to install it', async () => {
    const e = await validationError(smallConfig({ strategy: { use: 'proxyless-strategy-does-not-exist' } }));
    expect(e.problems[0]!.path).toBe('strategy.use');
    expect(e.message).toContain('package "proxyless-strategy-does-not-exist" could not be resolved');
    expect(e.message).toContain('npm install proxyless-strategy-does-not-exist');
  });

  it('says what a package provides when it has no plugin of the requested kind', async () => {
    const e = await validationError(smallConfig({ space: { use: 'proxyless-strategy-uniform' } }));
    expect(e.problems[0]!.path).toBe('space.use');
    expect(e.message).toContain('strategy "uniform"');
  });

  it('reports a missing required slot', async () => {
    const cfg = smallConfig();
    delete cfg.space;
    const dir = tempDir();
    expect(() => loadConfigFile(writeConfig(dir, cfg))).toThrow(/space: got nothing \(field missing\)/);
  });

  it('reads YAML and reports YAML syntax errors with the file name', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'seed: [1,\n');
    expect(() => loadConfigFile(bad)).toThrow(ConfigError);
    expect(() => loadConfigFile(bad)).toThrow(bad);
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'seed: 3\ndata: fashion-mnist\nspace: "@proxyless/test-utils"\nstrategy: proxyless-strategy-uniform\n');
    const loaded = loadConfigFile(good);
    expect(loaded.config.seed).toBe(3);
    expect(loaded.config.strategy.use).toBe('proxyless-strategy-uniform');
    expect(loaded.config.trainer.use).toBe('search');
  });

  it('fails before any training: composeSearch throws without creating the run directory', async () => {
    const cfg = smallConfig();
    (cfg.trainer as { options: Record<string, unknown> }).options.batchSize = 0;
    const dir = tempDir();
    const runDir = join(dir, 'run');
    await expect(composeSearch({ config: writeConfig(dir, cfg), runDir, log: () => {} })).rejects.toThrow(/trainer\.options\.batchSize: got 0/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(runDir)).toBe(false);
  });
});

describe('optional native backends', () => {
  it('selecting @proxyless/backend-tfjs-node without @tensorflow/tfjs-node fails before training with the install command', async () => {
    const { isInstalled } = await import('@proxyless/backend-tfjs-node');
    if (isInstalled('@tensorflow/tfjs-node')) return; // the package is present: nothing to check here
    const dir = tempDir();
    const cfg = smallConfig({ backend: { use: '@proxyless/backend-tfjs-node', name: 'tensorflow' } });
    await expect(composeSearch({ config: writeConfig(dir, cfg), runDir: join(dir, 'run'), log: () => {} })).rejects.toThrow(
      'npm install @tensorflow/tfjs-node@4.22.0',
    );
  });
});
