// `proxyless validate <config>` as a user runs it: real CLI processes on real config files.
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCliProcess } from '../packages/cli/test/run-cli.js';
import { repoRoot, smallConfig, tempDir, writeConfig } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/proxyless-needs-latency', import.meta.url));

beforeAll(() => assertBuilt());

/** A config whose data folder does not exist: anything that reads data fails on it. */
function noDataConfig(dir: string, overrides: Record<string, unknown> = {}) {
  const missing = join(dir, 'no-such-data');
  const base = smallConfig();
  return { ...base, data: { use: 'fashion-mnist', options: { dir: missing, validation: 64 } }, ...overrides };
}

describe('proxyless validate', () => {
  it('resolves every plugin and prints the resolved config, loading no data (the data folder does not exist)', async () => {
    const dir = tempDir('proxyless-validate-');
    const file = writeConfig(dir, noDataConfig(dir));
    const before = readdirSync(dir);
    const r = await runCliProcess(['validate', file, '--json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { ok: boolean; file: string; plugins: { slot: string; name: string; from: string }[]; config: Record<string, { options: Record<string, unknown>; name: string }> };
    expect(j.ok).toBe(true);
    expect(j.file).toBe(file);
    expect(j.plugins.map((p) => p.slot)).toEqual(['backend', 'data', 'space', 'strategy', 'trainer']);
    expect(j.plugins.find((p) => p.slot === 'strategy')!.from).toMatch(/strategy-uniform/);
    // options validated and defaulted, as the search would receive them
    expect(j.config['trainer']!.options['epochs']).toBe(2);
    expect(typeof j.config['trainer']!.options['lr']).toBe('number');
    expect(j.config['backend']!.name).toBe('wasm');
    expect(j.config['data']!.options['dir']).toBe(join(dir, 'no-such-data'));
    // nothing written, nothing created
    expect(readdirSync(dir)).toEqual(before);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
    // the same config does fail once something reads the data: validate really skipped it
    const search = await runCliProcess(['search', file, '--out', join(dir, 'run'), '--quiet'], { cwd: dir });
    expect(search.code).not.toBe(0);
    expect(search.stderr).toContain('no-such-data');
  });

  it('prints one human line per slot and exits 0 on the example config (YAML with $schema)', async () => {
    const r = await runCliProcess(['validate', join(repoRoot, 'examples/fashion-mnist/quick.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^strategy\s+@proxyless\/strategy-binaryconnect \(binaryconnect\)/m);
    expect(r.stdout).toMatch(/^latency\s+@proxyless\/backend-wasm \(measured\)/m);
    expect(r.stdout).toContain('quick.yaml: valid (6 plugins resolved');
  });

  it('exits 2 with the one-line error naming the file and the field of a bad option', async () => {
    const dir = tempDir('proxyless-validate-');
    const cfg = noDataConfig(dir);
    const file = writeConfig(dir, { ...cfg, trainer: { use: 'search', options: { epochs: 2, warmupEpochs: 1, batchSize: 0 } } }, 'bad.json');
    const r = await runCliProcess(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/trainer\.options\.batchSize: got 0/);
    const j = await runCliProcess(['validate', file, '--json']);
    expect(j.code).toBe(2);
    const e = JSON.parse(j.stdout) as { ok: boolean; exitCode: number; error: { file: string; problems: { path: string }[] } };
    expect(e).toMatchObject({ ok: false, exitCode: 2, error: { file } });
    expect(e.error.problems.map((p) => p.path)).toEqual(['trainer.options.batchSize']);
  });

  it("runs the cross-slot requirements of a third-party plugin (exit 2 without the slot it needs, 0 with it)", async () => {
    const dir = tempDir('proxyless-validate-');
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(fixture, join(dir, 'node_modules', 'proxyless-needs-latency'), 'dir');
    const plugins = [{ use: 'proxyless-needs-latency' }];
    const without = writeConfig(dir, noDataConfig(dir, { plugins }), 'without.json');
    const r = await runCliProcess(['validate', without]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/latency: got nothing \(field missing\); expected a latency plugin: plugins\.0 \(latency-watch\)/);
    const withLatency = writeConfig(dir, noDataConfig(dir, { plugins, latency: { use: '@proxyless/latency', name: 'flops' } }), 'with.json');
    const ok = await runCliProcess(['validate', withLatency]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^plugins\.0\s+proxyless-needs-latency \(latency-watch\)/m);
  });

  it('exits 2 naming a config file that does not exist', async () => {
    const r = await runCliProcess(['validate', '/no/such/config.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/no/such/config.yaml');
  });
});
