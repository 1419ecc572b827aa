// `proxyless report` and the report `proxyless search` writes, through the real executable.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from '../../../test/helpers.js';
import { assertBuilt, runCliProcess } from '../test/run-cli.js';

let root: string;
let runDir: string;

beforeAll(async () => {
  assertBuilt();
  root = tempDir();
  runDir = join(root, 'run');
  const r = await runCliProcess(['search', writeConfig(root, smallConfig()), '--out', runDir, '--json'], { cwd: root });
  expect(r.code, r.stderr).toBe(0);
  const json = JSON.parse(r.stdout) as { files: { report?: string } };
  expect(json.files.report).toBe(join(runDir, 'report.html'));
});

describe('proxyless report', () => {
  it('proxyless search wrote report.html at the end', () => {
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('<section id="architecture">');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('writes the report of a run directory and prints its path', async () => {
    rmSync(join(runDir, 'report.html'));
    const r = await runCliProcess(['report', runDir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(join(runDir, 'report.html'));
    expect(readFileSync(join(runDir, 'report.html'), 'utf8')).toContain('<section id="probabilities">');

    const out = join(root, 'elsewhere', 'r.html');
    const j = await runCliProcess(['report', runDir, '--out', out, '--json']);
    expect(j.code, j.stderr).toBe(0);
    expect(JSON.parse(j.stdout)).toMatchObject({ command: 'report', runDir, file: out, warnings: [] });
    expect(existsSync(out)).toBe(true);
  });

  it('fails with one line naming the file and line of a corrupt metrics.jsonl (exit 2), writing nothing', async () => {
    const dir = join(root, 'corrupt');
    rmSync(dir, { recursive: true, force: true });
    const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n');
    metrics[2] = '{"type":"step", garbage';
    mkdirSync(dir, { recursive: true });
    for (const f of ['config.json', 'candidates.json', 'result.json']) copyFileSync(join(runDir, f), join(dir, f));
    writeFileSync(join(dir, 'metrics.jsonl'), metrics.join('\n'));
    const r = await runCliProcess(['report', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^proxyless: report: ${join(dir, 'metrics.jsonl').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 3: not valid JSON`));
    expect(r.stdout).toBe('');
    expect(existsSync(join(dir, 'report.html'))).toBe(false);

    const missing = await runCliProcess(['report', join(root, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^proxyless: report: .*nope does not exist/);
  });
});

