// The programmatic API as the README shows it: `search(config, { onEpoch })` and `composeSearch({ config })`
// with a config object. The README's snippet is read from README.md and run as written (node, from the
// repository root), so the two cannot drift apart.
import { composeSearch, ConfigError, search, type SearchConfigObject } from '@proxyless/core';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, smallConfig, subsetDir, tempDir } from './helpers.js';

function readmeSnippet(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const m = /### From code[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md has no ```js block under "### From code"');
  return m[1]!;
}

describe('the README snippet', () => {
  it('runs as written from the repository root: search() with onEpoch, then composeSearch({ config })', () => {
    const runDir = join(repoRoot, 'runs/from-code');
    rmSync(runDir, { recursive: true, force: true });
    const snippet = readmeSnippet();
    expect(snippet).toContain("import { composeSearch, search } from '@proxyless/core'");
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', snippet], { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    // onEpoch saw both epochs
    expect(r.stdout).toMatch(/^epoch 1\/2 \(warmup\): validation accuracy \d\.\d{3}$/m);
    expect(r.stdout).toMatch(/^epoch 2\/2 \(search\): validation accuracy \d\.\d{3}$/m);
    // composeSearch's session ran its architecture steps
    expect(r.stdout).toMatch(/^arch step at step \d+: E\[lat\] \d+\.\d{4}$/m);
    // the run directory it returned holds the result it returned
    expect(r.stdout).toContain(runDir);
    const result = JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8')) as { architecture: Record<string, string> };
    expect(Object.keys(result.architecture)).toEqual(['s1_b0', 's1_b1']);
    for (const [label, op] of Object.entries(result.architecture)) expect(r.stdout).toContain(`${label}: '${op}'`);
    rmSync(runDir, { recursive: true, force: true });
  });
});

describe('composeSearch({ config }) with a config object', () => {
  it('resolves relative option paths against baseDir and leaves the object unchanged', async () => {
    const config = smallConfig({
      data: { use: 'fashion-mnist', options: { dir: './data', limit: { train: 128, test: 64 }, validation: 64 } },
      trainer: { use: 'search', options: { epochs: 1, warmupEpochs: 1, batchSize: 32 } },
    });
    const before = JSON.stringify(config);
    const runDir = join(tempDir('proxyless-api-'), 'run');
    const { result, runDir: written } = await search(config as unknown as SearchConfigObject, { baseDir: join(subsetDir, '..'), runDir, log: () => {} });
    expect(written).toBe(runDir);
    expect(result.epochs).toBe(1);
    expect(JSON.stringify(config)).toBe(before);
    // the stored config says where its relative paths resolve, so a resume finds ./data again
    const stored = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { $source: { file: string; dir: string } };
    expect(stored.$source).toEqual({ file: '<config object>', dir: join(subsetDir, '..') });
  });

  it('fails without baseDir where the relative path does not resolve from the working directory', async () => {
    const config = smallConfig({ data: { use: 'fashion-mnist', options: { dir: './no-such-folder', validation: 64 } } });
    await expect(search(config as unknown as SearchConfigObject, { noRunDir: true, log: () => {} })).rejects.toThrow(/no-such-folder/);
  });

  it('reports a bad field of a config object with its path, before anything runs', async () => {
    const dir = tempDir('proxyless-api-');
    const runDir = join(dir, 'run');
    const bad = smallConfig({ trainer: { use: 'search', options: { epochs: 2, batchSize: 0 } } });
    const err = await composeSearch({ config: bad as unknown as SearchConfigObject, runDir, log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).file).toBe('<config object>');
    expect((err as ConfigError).message).toMatch(/trainer\.options\.batchSize: got 0/);
    expect(existsSync(runDir)).toBe(false);
    await expect(search({ seed: 'x' } as never, { noRunDir: true })).rejects.toThrow(/<config object>[\s\S]*seed: got "x"/);
  });
});
