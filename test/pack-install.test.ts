// The packages as a user outside this repository gets them: `npm pack` of every public package (and of
// examples/strategy-uniform, standing in for a third-party strategy package), the tarballs installed into
// a fresh project under the system's temp folder (third-party dependencies such as @tensorflow/* come from
// the npm registry, through the user's npm cache), and there `npx proxyless validate`, a two-step search
// with the third-party strategy, `export --format net-config`, `inspect`, and `export` of a LayersModel
// without the optional @tensorflow/tfjs-layers (a clear error).
//
// `npm test` builds first, so the packing here skips the `prepack` scripts (they build too, but rewriting
// dist/, the wasm kernels and core's gradient bundle while other test files load them would be a race).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, subsetDir, tempDir } from './helpers.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command as a user's shell would: without the `npm_*` variables that `npm test` exports (a
 * child npm would take `npm_config_*` as its own settings), except the cache, so installs share it.
 */
function run(cmd: string, args: readonly string[], cwd: string, timeout = 240_000): Promise<Run> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || /^npm_config_cache$/i.test(k)) env[k] = v;
  env['PROXYLESS_DEBUG'] = undefined;
  return new Promise((resolve) => {
    execFile(cmd, [...args], { cwd, env, timeout, maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr: err && code === 1 && !stderr ? String(err.message) : stderr });
    });
  });
}

/** Fails with the command's output when it did not exit 0. */
async function ok(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  const r = await run(cmd, args, cwd);
  expect(r.code, `${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code}\n${r.stderr}\n${r.stdout.slice(-2000)}`).toBe(0);
  return r.stdout;
}

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as Manifest;

/** Every public package of packages/, and the example strategy (private: an example, packed like a user's own package). */
const publicDirs = readdirSync(join(repoRoot, 'packages'))
  .map((d) => `packages/${d}`)
  .filter((d) => existsSync(join(repoRoot, d, 'package.json')) && !manifest(d).private);
const strategyDir = 'examples/strategy-uniform';
const packed = [...publicDirs, strategyDir];

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

describe('the packages installed from their tarballs, outside the repository', () => {
  it('every public package ships a LICENSE, an MIT license field, a prepack that builds; no runtime dependency on a test-only package', () => {
    expect(publicDirs.length).toBeGreaterThanOrEqual(10);
    expect(readFileSync(join(repoRoot, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    for (const dir of packed) {
      const m = manifest(dir);
      expect(m.license, dir).toBe('MIT');
      expect(readFileSync(join(repoRoot, dir, 'LICENSE'), 'utf8'), dir).toBe(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'));
      expect(m.files, dir).toContain('LICENSE');
      expect(m.scripts?.['prepack'], dir).toMatch(/tsc -b$/);
      for (const dep of Object.keys(m.dependencies ?? {})) {
        expect(existsSync(join(repoRoot, 'packages', dep.replace('@proxyless/', ''), 'package.json')) && manifest(`packages/${dep.replace('@proxyless/', '')}`).private, `${dir} depends on the private ${dep}`).not.toBe(true);
      }
    }
    // latency's table/predictor code runs on any backend: only its tests use the wasm backend
    expect(manifest('packages/latency').dependencies).not.toHaveProperty('@proxyless/backend-wasm');
    const shipped = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? shipped(join(d, e.name)) : /\.test\.ts$/.test(e.name) ? [] : [join(d, e.name)]));
    const importsWasm = shipped(join(repoRoot, 'packages/latency/src')).filter((f) => readFileSync(f, 'utf8').includes('@proxyless/backend-wasm'));
    expect(importsWasm).toEqual([]);
    // the LayersModel export's @tensorflow/tfjs-layers: an optional peer of the spaces that use it
    for (const dir of ['packages/space-mbconv', 'packages/space-tree-cell']) {
      const m = manifest(dir);
      expect(m.dependencies, dir).not.toHaveProperty('@tensorflow/tfjs-layers');
      expect(m.peerDependencies?.['@tensorflow/tfjs-layers'], dir).toBe('4.22.0');
      expect(m.peerDependenciesMeta?.['@tensorflow/tfjs-layers']?.optional, dir).toBe(true);
    }
  });

  it('packs (dist, README, LICENSE, the schema, the wasm kernels, the gradient bundle; no tests), installs and runs validate, a two-step search with a third-party strategy, export and inspect; the types check without the optional peers', async () => {
    for (const built of ['packages/cli/dist/bin.js', 'packages/core/vendor/tfjs-gradients.js', 'packages/backend-wasm/wasm/kernels-simd.wasm']) {
      expect(existsSync(join(repoRoot, built)), `${built} is missing: build first (npm run build)`).toBe(true);
    }
    const work = realpathSync(tempDir('proxyless-pack-'));
    expect(work.startsWith(repoRoot)).toBe(false);
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);

    // 1. npm pack, each workspace
    const out = await ok('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs, ...packed.flatMap((d) => ['-w', d])], repoRoot);
    const results = JSON.parse(out.slice(out.search(/^\[/m))) as PackResult[];
    expect(results.map((r) => r.name).sort()).toEqual(packed.map((d) => manifest(d).name).sort());
    const filesOf = (name: string) => results.find((r) => r.name === name)!.files.map((f) => f.path);
    for (const r of results) {
      const files = filesOf(r.name);
      for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts']) expect(files, `${r.name} lacks ${f}`).toContain(f);
      expect(files.filter((f) => /\.test\.|(^|\/)test\/|(^|\/)src\/|tsbuildinfo|vitest/.test(f)), r.name).toEqual([]);
    }
    expect(filesOf('@proxyless/cli')).toEqual(expect.arrayContaining(['bin/proxyless.js', 'dist/bin.js', 'schema/search-config.schema.json']));
    expect(filesOf('@proxyless/backend-wasm')).toEqual(expect.arrayContaining(['wasm/kernels-simd.wasm', 'wasm/kernels-simd-shared.wasm', 'wasm/kernels-scalar.wasm']));
    expect(filesOf('@proxyless/core')).toEqual(expect.arrayContaining(['vendor/tfjs-gradients.js', 'vendor/tfjs-gradients.d.ts']));
    expect(filesOf('@proxyless/latency')).toContain('tables/pixel1-mobile_trim.yaml');

    // 2. latency alone does not pull the wasm backend
    const lean = join(work, 'lean');
    mkdirSync(lean);
    writeFileSync(join(lean, 'package.json'), JSON.stringify({ name: 'lean', version: '0.0.0', private: true, type: 'module' }));
    const tgz = (name: string) => join(tarballs, results.find((r) => r.name === name)!.filename.split('/').pop()!);
    await ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tgz('@proxyless/core'), tgz('@proxyless/latency')], lean);
    expect(existsSync(join(lean, 'node_modules/@proxyless/latency/dist/index.js'))).toBe(true);
    expect(existsSync(join(lean, 'node_modules/@proxyless/backend-wasm'))).toBe(false);
    expect(existsSync(join(lean, 'node_modules/@tensorflow/tfjs-backend-wasm'))).toBe(false);
    const flops = await ok('node', ['--input-type=module', '-e', "const l = await import('@proxyless/latency'); console.log(typeof l.netConfigLayers)"], lean);
    expect(flops.trim()).toBe('function');

    // 3. a user's project: every tarball, the data next to the config
    const proj = join(work, 'project');
    mkdirSync(proj);
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'my-search', version: '0.0.0', private: true, type: 'module' }));
    // (and @types/node, as a TypeScript user of a Node tool has: playwright-core's types, through latency-browser, need it)
    await ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...results.map((r) => tgz(r.name)), '@types/node@^20.19.0'], proj);
    expect(existsSync(join(proj, 'node_modules/@tensorflow/tfjs-layers'))).toBe(false); // optional peer: not installed
    cpSync(subsetDir, join(proj, 'data'), { recursive: true, filter: (s) => !s.endsWith('README.md') });
    writeFileSync(
      join(proj, 'search.yaml'),
      [
        '$schema: ./node_modules/@proxyless/cli/schema/search-config.schema.json',
        'seed: 1',
        'backend: { use: "@proxyless/backend-wasm" }',
        'data: { use: fashion-mnist, options: { dir: ./data, validation: 32, limit: { train: 96, test: 32 } } }',
        'space:',
        '  use: "@proxyless/space-mbconv"',
        '  options: { firstConv: { width: 8 }, firstBlock: { width: 8 }, stages: [{ width: 16, blocks: 2, stride: 2 }], featureMix: 32 }',
        'strategy: { use: proxyless-strategy-uniform }',
        'trainer: { options: { epochs: 1, warmupEpochs: 0, batchSize: 32 } }',
        '',
      ].join('\n'),
    );
    expect(existsSync(join(proj, 'node_modules/@proxyless/cli/schema/search-config.schema.json'))).toBe(true);
    const npx = (args: string[]) => run('npx', ['--no', 'proxyless', ...args], proj);

    const validate = await npx(['validate', 'search.yaml', '--json']);
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    const v = JSON.parse(validate.stdout) as { ok: boolean; plugins: { slot: string; from: string }[] };
    expect(v.ok).toBe(true);
    const from = Object.fromEntries(v.plugins.map((p) => [p.slot, p.from]));
    expect(from['strategy']).toBe(join(proj, 'node_modules/proxyless-strategy-uniform/dist/index.js'));
    expect(from['space']).toBe(join(proj, 'node_modules/@proxyless/space-mbconv/dist/index.js'));
    expect(from['backend']).toBe(join(proj, 'node_modules/@proxyless/backend-wasm/dist/index.js'));

    const search = await npx(['search', 'search.yaml', '--out', 'run', '--json']);
    expect(search.code, search.stderr).toBe(0);
    const s = JSON.parse(search.stdout.trim().split('\n').pop()!) as { status: string; runDir: string; steps: number; architecture: Record<string, string> };
    expect(s.status).toBe('done');
    expect(s.runDir).toBe(join(proj, 'run'));
    const metrics = readFileSync(join(proj, 'run/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { steps?: number; step?: number });
    expect(metrics.length).toBeGreaterThan(0);
    expect(s.steps).toBe(2); // 64 training images (96 − 32 for validation), batches of 32
    expect(Object.keys(s.architecture)).toEqual(['s1_b0', 's1_b1']);

    // the architecture as an official net config, read back by inspect (no tfjs-layers needed)
    const exported = await npx(['export', 'run', '--format', 'net-config', '--json']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ format: 'ProxylessNASNets', readBack: 'same architecture' });
    const inspected = await npx(['inspect', 'run/exported/net-config.json', '--resolution', '28', '--json']);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect((JSON.parse(inspected.stdout) as { architecture: unknown }).architecture).toEqual(s.architecture);

    // a TypeScript user's strict check of every package's types (skipLibCheck off, default libs) passes without the optional peers
    const names = results.map((r) => r.name);
    writeFileSync(join(proj, 'check.ts'), names.map((n, i) => `import * as p${i} from '${n}';`).join('\n') + `\nexport const loaded: number = [${names.map((_, i) => `p${i}`).join(', ')}].length;\n`);
    writeFileSync(join(proj, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false }, files: ['check.ts'] }));
    await ok(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', '.'], proj);

    // a LayersModel export needs the optional peer: the error names it and the install line
    const trained = await npx(['train', 'run/architecture.json', '--epochs', '1', '--max-batches-per-epoch', '1', '--quiet']);
    expect(trained.code, trained.stderr).toBe(0);
    const layers = await npx(['export', 'run']);
    expect(layers.code).not.toBe(0);
    expect(layers.stderr).toContain('@proxyless/space-mbconv: exporting a TF.js LayersModel needs @tensorflow/tfjs-layers@4.22.0, an optional peer dependency that is not installed');
    expect(layers.stderr).toContain('npm install @tensorflow/tfjs-layers@4.22.0');
  }, 400_000);
});
