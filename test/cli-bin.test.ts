// The `proxyless` command as the README uses it: `npx proxyless …` from the repository root right after
// `npm ci && npm run example`. `npm ci` links the workspaces' bins before anything is built and skips a
// bin whose target is missing, so the bin must be a committed, executable file (packages/cli/bin/proxyless.js)
// that loads dist/ at run time, not dist/bin.js itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from './helpers.js';

const cliDir = join(repoRoot, 'packages/cli');
const cliPkg = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };

/** `npx proxyless …` run from the repository root, as a user types it. */
export function npxProxyless(args: readonly string[], cwd = repoRoot) {
  return spawnSync('npx', ['--no-install', 'proxyless', ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, npm_config_yes: 'false' } });
}

/** The `npx proxyless …` lines of the README's "Using it" block, without their comments. */
export function readmeCommands(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Using it'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith('npx proxyless '));
}

describe('the proxyless bin', () => {
  it('is a committed executable file outside dist/, shipped in the package', () => {
    const target = join(cliDir, cliPkg.bin.proxyless!);
    expect(cliPkg.bin.proxyless).toBe('./bin/proxyless.js');
    expect(cliPkg.files).toContain('bin');
    expect(statSync(target).mode & 0o111).not.toBe(0);
    expect(readFileSync(target, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const git = spawnSync('git', ['ls-files', '-s', 'packages/cli/bin/proxyless.js'], { cwd: repoRoot, encoding: 'utf8' });
    if (git.status === 0 && git.stdout.trim()) expect(git.stdout.split(' ')[0]).toBe('100755');
  });

  it('is linked by a fresh npm install of the workspace although nothing is built yet', () => {
    // A fresh workspace with the cli package as committed (no dist/, dependencies left out: only the bin
    // linking is under test); npm must link node_modules/.bin/proxyless to the committed file.
    const root = tempDir('proxyless-bin-');
    const pkg = join(root, 'packages/cli');
    mkdirSync(pkg, { recursive: true });
    cpSync(join(cliDir, 'bin'), join(pkg, 'bin'), { recursive: true });
    const { dependencies: _d, devDependencies: _dd, peerDependencies: _p, ...bare } = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(pkg, 'package.json'), JSON.stringify(bare));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'fresh-clone', private: true, workspaces: ['packages/*'] }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: root, stdio: 'pipe' });
    const link = join(root, 'node_modules/.bin/proxyless');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(realpathSync(link)).toBe(realpathSync(join(pkg, 'bin/proxyless.js')));
    // not built yet: it says what to do instead of a stack trace
    const r = spawnSync(link, ['--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('run `npm run build`');
  });

  it('runs as `npx proxyless --help` from the repository root', () => {
    expect(existsSync(join(repoRoot, 'node_modules/.bin/proxyless'))).toBe(true);
    const r = npxProxyless(['--help']);
    expect(r.stderr).not.toContain('E404');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: proxyless /);
  });

  it("knows every subcommand of the README's `npx proxyless` lines", () => {
    const lines = readmeCommands();
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const subcommands = [...new Set(lines.map((l) => l.split(/\s+/)[2]!))].filter((s) => !s.startsWith('-'));
    for (const sub of subcommands) {
      const r = npxProxyless([sub, '--help']);
      expect(r.status, `npx proxyless ${sub} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`Usage: proxyless ${sub}`);
    }
  });
});

describe("the README's commands", () => {
  it('`npx proxyless validate examples/fashion-mnist/quick.yaml` runs as written', () => {
    const line = readmeCommands().find((l) => l.startsWith('npx proxyless validate '));
    expect(line).toBe('npx proxyless validate examples/fashion-mnist/quick.yaml');
    const r = npxProxyless(line!.split(/\s+/).slice(2));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('quick.yaml: valid');
  });
});
