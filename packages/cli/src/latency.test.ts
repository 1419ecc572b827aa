// `proxyless latency build|predict` as a user runs them: child processes on the built dist/bin.js.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCliProcess, writeLatencySpaceConfig } from '../test/run-cli.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const fast = ['--warmup', '1', '--min-runs', '3', '--min-duration-ms', '2'];

function setup(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'proxyless-latency-cli-'));
  const config = writeLatencySpaceConfig(dir);
  return { dir, config };
}

beforeAll(() => assertBuilt());

describe('proxyless latency build', () => {
  it('measures the space into an official-format table, and a limited (interrupted) build resumes without losing entries', async () => {
    const { dir, config } = setup();
    const table = join(dir, 'wasm.yaml');
    const first = await runCliProcess(['latency', 'build', config, '--out', table, '--limit', '3', ...fast, '--json'], { cwd: repoRoot });
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout) as { total: number; measured: { key: string }[]; remaining: number; kept: number };
    expect(r1.measured.length).toBe(3);
    expect(r1.total).toBe(8); // stem + 3 blocks × 2 kernels + Logits
    expect(r1.remaining).toBe(5);
    const saved = readFileSync(table, 'utf8');
    expect(saved).toMatch(/^conv-input:\S+:\n {2}count: \d+\n {2}mean: [\d.e-]+\n {2}var: [\d.e-]+\n/m);

    const second = await runCliProcess(['latency', 'build', config, '--out', table, ...fast], { cwd: repoRoot });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('5 entries measured, 3 kept, 0 left');
    expect(second.stderr).toContain('latency build 8/8');
    const text = readFileSync(table, 'utf8');
    // The three earlier entries are still there, byte for byte.
    for (const block of saved.split(/\n(?=\S)/)) expect(text).toContain(block.trim());
    expect(text).toContain('Logits-input:4x4x8-output:10:');
    expect(text.match(/^\S.*:$/gm)!.length).toBe(8);
  });

  it('rejects a bad flag value and a config without an input shape (exit 2)', async () => {
    const { dir, config } = setup();
    const bad = await runCliProcess(['latency', 'build', config, '--out', join(dir, 't.yaml'), '--max-spread', 'x'], { cwd: repoRoot });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-spread: got "x"');
    const noInput = join(dir, 'no-input.yaml');
    writeFileSync(noInput, 'space: { use: "@proxyless/test-utils" }\n');
    const r = await runCliProcess(['latency', 'build', noInput, '--out', join(dir, 't.yaml')], { cwd: repoRoot });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(noInput);
    expect(r.stderr).toContain('input');
  });
});

describe('proxyless latency predict', () => {
  it('fits a predictor on measured networks and writes predictor.json, report.json, samples.jsonl and the interactive scatter page', async () => {
    const { dir, config } = setup();
    const table = join(dir, 'wasm.json');
    const b = await runCliProcess(['latency', 'build', config, '--out', table, ...fast, '-q'], { cwd: repoRoot });
    expect(b.code, b.stderr).toBe(0);
    const out = join(dir, 'pred');
    const r = await runCliProcess(['latency', 'predict', config, '--table', table, '--fit', '6', '--test', '3', '--out', out, ...fast], { cwd: repoRoot });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/table sum\s+RMSE [\d.]+ ms\s+MAPE [\d.]+%\s+R² -?[\d.]+/);
    expect(r.stdout).toMatch(/predictor\s+RMSE/);
    for (const f of ['predictor.json', 'report.json', 'samples.jsonl', 'scatter.html']) expect(existsSync(join(out, f))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { measured: number; metrics: { predictor: { n: number } } };
    expect(report.measured).toBe(9);
    expect(report.metrics.predictor.n).toBe(3);
    expect(readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').length).toBe(9);
    // one self-contained page: uPlot inlined, the held-out points as data, a y = x line
    const page = readFileSync(join(out, 'scatter.html'), 'utf8');
    expect(page).toContain('<figure class="chart predicted-vs-measured"');
    expect(page).toMatch(/<script>\/\*! uPlot [\d.]+ \(github.com\/leeoniya\/uPlot\)\nThe MIT License/);
    expect(page).not.toMatch(/<script[^>]*\bsrc=|<link\b/);
    const data = JSON.parse(page.match(/<script type="application\/json" class="chart-data">([\s\S]*?)<\/script>/)![1]!) as { series: { name: string; y: number[] }[] };
    expect(data.series.map((s) => s.name.replace(/ \(.*/, ''))).toEqual(['y = x', 'table sum', 'predictor']);
    expect(data.series[2]!.y).toHaveLength(3);
  });

  it('names every key the table lacks (bad input: exit 2)', async () => {
    const { dir, config } = setup();
    const table = join(dir, 'partial.yaml');
    writeFileSync(table, 'Logits-input:4x4x8-output:10:\n  count: 3\n  mean: 0.01\n  var: 0.0\n');
    const r = await runCliProcess(['latency', 'predict', config, '--table', table, '--fit', '2', '--test', '1', '--out', join(dir, 'p'), ...fast], { cwd: repoRoot });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no entry for 7 ops');
    expect(r.stderr).toContain('conv-input:16x16x1-output:16x16x4-kernel:3-stride:1');
    expect(r.stderr).toContain('conv-input:8x8x4-output:8x8x4-kernel:5-stride:1-idskip:1');
  });

  it('latency build checks --out before measuring: a folder, an unknown extension, a file where a folder is needed (exit 2)', async () => {
    const { dir, config } = setup();
    const cases: [string, string][] = [
      [dir, `latency build: --out ${dir}: is a folder; expected a table file (.yaml, .yml or .json) to write`],
      [join(dir, 'table.txt'), `latency build: --out ${join(dir, 'table.txt')}: expected a table file ending in .yaml, .yml (the official format) or .json`],
      [join(config, 'table.yaml'), `latency build: --out ${join(config, 'table.yaml')}: ${config} is a file; expected a folder to write the table in`],
    ];
    for (const [out, message] of cases) {
      const t0 = Date.now();
      const r = await runCliProcess(['latency', 'build', config, '--out', out, ...fast], { cwd: repoRoot });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`proxyless: ${message}\n`); // before the backend starts: no "backend:" line, nothing measured
      expect(Date.now() - t0).toBeLessThan(15_000);
    }
  });
});

