// The JSON Schema of a search config (`proxyless schema`, shipped as @proxyless/cli/schema.json): it is
// the one the current plugins generate, every example config points at it with `$schema` and passes
// both it and `proxyless validate`, and it rejects what core rejects. Configs are checked against the
// JSON Schema through zod's own JSON-Schema reader (`z.fromJSONSchema`), a real interpretation of it.
import { z } from '@proxyless/core';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCliProcess } from '../packages/cli/test/run-cli.js';
import { repoRoot, tempDir } from './helpers.js';

const shipped = join(repoRoot, 'packages/cli/schema/search-config.schema.json');
const examples = ['examples/fashion-mnist', 'examples/tree-cell'].flatMap((d) =>
  readdirSync(join(repoRoot, d))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(repoRoot, d, f)),
);

beforeAll(() => assertBuilt());

function validator(schema: unknown) {
  return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
}

describe('proxyless schema', () => {
  it('generates exactly the shipped schema file (regenerate with `npm run schema`)', async () => {
    const r = await runCliProcess(['schema'], { cwd: repoRoot });
    expect(r.code).toBe(0);
    expect(r.stdout, 'packages/cli/schema/search-config.schema.json is stale: run `npm run schema`').toBe(readFileSync(shipped, 'utf8'));
    const s = JSON.parse(r.stdout) as { $schema: string; properties: Record<string, { anyOf?: { title?: string }[] }> };
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const titles = (slot: string) => (s.properties[slot]!.anyOf ?? []).map((a) => a.title).filter(Boolean);
    expect(titles('backend')).toEqual(expect.arrayContaining(['backend "cpu" (built-in)', 'backend "wasm" of @proxyless/backend-wasm']));
    expect(titles('strategy')).toEqual(expect.arrayContaining(['strategy "binaryconnect" of @proxyless/strategy-binaryconnect', 'strategy "reinforce" of @proxyless/strategy-reinforce']));
    expect(titles('space')).toEqual(expect.arrayContaining(['space "mbconv" of @proxyless/space-mbconv']));
  });

  it('is shipped in @proxyless/cli as @proxyless/cli/schema.json', async () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pkg.files).toContain('schema');
    expect(pkg.exports['./schema.json']).toBe('./schema/search-config.schema.json');
    const viaPackage = (await import('@proxyless/cli/schema.json', { with: { type: 'json' } })) as { default: unknown };
    expect(viaPackage.default).toEqual(JSON.parse(readFileSync(shipped, 'utf8')));
  });

  it('rejects what core rejects, and accepts the short forms', () => {
    const v = validator(JSON.parse(readFileSync(shipped, 'utf8')));
    const ok = {
      data: { use: 'fashion-mnist', options: { validation: 0.1 } },
      space: { use: '@proxyless/space-mbconv', options: { preset: 'small' } },
      strategy: '@proxyless/strategy-binaryconnect',
      latency: { use: '@proxyless/backend-wasm', name: 'measured', options: { target: 'cpu' } },
      trainer: { options: { epochs: 2 } },
    };
    expect(v.safeParse(ok).success).toBe(true);
    expect(v.safeParse({ ...ok, backend: 'cpu' }).success).toBe(true);
    expect(v.safeParse({ ...ok, trainer: { options: { epoch: 2 } } }).success).toBe(false); // typo
    expect(v.safeParse({ ...ok, space: { use: '@proxyless/space-mbconv', options: { preset: 'huge' } } }).success).toBe(false);
    expect(v.safeParse({ ...ok, strategy: 'proxyless-strategy-not-installed' }).success).toBe(false);
    expect(v.safeParse({ ...ok, latency: { use: '@proxyless/latency', options: {} } }).success).toBe(false); // several latency plugins: name needed
    expect(v.safeParse({ ...ok, latency: { use: '@proxyless/latency', name: 'flops' } }).success).toBe(true);
    const { data: _d, ...noData } = ok;
    expect(v.safeParse(noData).success).toBe(false);
  });

  it('adds third-party packages with --plugin and writes a file with --out', async () => {
    const out = join(tempDir('proxyless-schema-'), 'nested/schema.json');
    const r = await runCliProcess(['schema', '--plugin', 'proxyless-strategy-uniform', '--out', out], { cwd: repoRoot });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${out}`);
    const v = validator(JSON.parse(readFileSync(out, 'utf8')));
    const cfg = { data: 'fashion-mnist', space: '@proxyless/space-mbconv', strategy: { use: 'proxyless-strategy-uniform' } };
    expect(v.safeParse(cfg).success).toBe(true);
    expect(validator(JSON.parse(readFileSync(shipped, 'utf8'))).safeParse(cfg).success).toBe(false);
    const bad = await runCliProcess(['schema', '--plugin', 'proxyless-no-such-package'], { cwd: repoRoot });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('npm install proxyless-no-such-package');
  });
});

describe('the example configs', () => {
  it('are all found', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples.map((f) => [f.slice(repoRoot.length)]))('%s names the shipped schema with $schema and passes it and `proxyless validate`', async (rel) => {
    const file = join(repoRoot, rel);
    const raw = parseYaml(readFileSync(file, 'utf8')) as { $schema?: string };
    expect(raw.$schema).toBeDefined();
    expect(resolve(dirname(file), raw.$schema!)).toBe(shipped);
    expect(existsSync(resolve(dirname(file), raw.$schema!))).toBe(true);
    const r = validator(JSON.parse(readFileSync(shipped, 'utf8'))).safeParse(raw);
    expect(r.success ? [] : r.error.issues).toEqual([]);
    const cli = await runCliProcess(['validate', file]);
    expect(cli.code, cli.stderr).toBe(0);
  });
});
