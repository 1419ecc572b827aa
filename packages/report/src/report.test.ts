import { composeSearch, RunFiles, type SearchPlugin } from '@proxyless/core';
import { XMLValidator } from 'fast-xml-parser';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from '../../../test/helpers.js';
import { copyRun, makeRun, type RealRun } from '../test/make-run.js';
import { esc, scriptJson } from './format.js';
import { ReportFiles, readRun, RunReadError, ReportPlugin, renderReport, ReportSections, writeReport } from './index.js';

let run: RealRun;
let plugin: ReportPlugin;
let candidates: Record<string, string[]>;
/** report.html as a user refreshing it would see it right after each epoch (read by a later-stage tap). */
const afterEpoch: { epoch: number; html: string }[] = [];

beforeAll(async () => {
  plugin = new ReportPlugin();
  const reader: SearchPlugin = {
    name: 'read-report-after-epoch',
    apply: (session) =>
      session.hooks.afterEpoch.tapPromise({ name: 'read-report-after-epoch', stage: 200 }, async (e) => {
        afterEpoch.push({ epoch: e.epoch, html: readFileSync(join(session.components.runDir!, ReportFiles.report), 'utf8') });
      }),
  };
  run = await makeRun([plugin, reader]);
  candidates = JSON.parse(readFileSync(join(run.dir, RunFiles.candidates), 'utf8')) as Record<string, string[]>;
});

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;
const svgs = (html: string) => html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];

function expectValidSvg(html: string): void {
  const all = svgs(html);
  expect(all.length).toBeGreaterThan(0);
  expect(count(html, /<svg\b/g)).toBe(all.length); // no nested or unclosed svg
  for (const svg of all) {
    const v = XMLValidator.validate(svg);
    expect(v, typeof v === 'object' ? `${v.err.msg} in ${svg.slice(0, 200)}` : '').toBe(true);
    expect(svg).not.toMatch(/="[^"]*(NaN|undefined|Infinity)[^"]*"/);
  }
}

/** The data of each chart (`<figure class="chart ID">` with its inline JSON), by id; every JSON script parses. */
function chartData(html: string): Record<string, { title: string; xs: number[][]; series: { name: string; xi: number; y: (number | null)[]; labels?: string[]; style: string }[] }> {
  const out: Record<string, ReturnType<typeof chartData>[string]> = {};
  for (const m of html.matchAll(/<figure class="chart ([\w-]+)"[^>]*>[\s\S]*?<script type="application\/json" class="chart-data">([\s\S]*?)<\/script><\/figure>/g)) {
    out[m[1]!] = JSON.parse(m[2]!);
  }
  return out;
}

function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/https?:\/\//);
  expect(html).not.toMatch(/(src|href)="\/\//);
  expect(html).not.toMatch(/<link\b/);
  expect(html).not.toMatch(/<script[^>]*\bsrc=/);
  expect(html).not.toMatch(/@import|url\(/);
}

describe('a report of a real search', () => {
  it('is written into the run directory by ReportPlugin when the search is done', () => {
    const file = join(run.dir, ReportFiles.report);
    expect(plugin.file).toBe(file);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<!DOCTYPE html>');
    // written after result.json: the summary has the final totals
    expect(html).toContain(`<dt>Weight steps</dt><dd>${run.result.steps}</dd>`);
    expect(html).not.toContain('No result.json');
    expect(readdirSync(run.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('is rewritten after every epoch while the search runs (atomically), so a refresh shows the progress', () => {
    expect(afterEpoch.map((a) => a.epoch)).toEqual([0, 1]);
    expect(plugin.writes).toBe(3); // two epochs and done
    const [first, second] = afterEpoch;
    expect(first!.html).toContain('<dt>Epochs</dt><dd>1 of 2</dd>');
    expect(first!.html).toContain('No result.json');
    expect(first!.html).toContain('No expected latency recorded yet'); // the warm-up has no architecture steps
    expect(chartData(first!.html)['curve-loss']!.series[0]!.y).toHaveLength(8); // the warm-up epoch's steps
    expect(second!.html).toContain('<dt>Epochs</dt><dd>2</dd>');
    expect(chartData(second!.html)['curve-loss']!.series[0]!.y).toHaveLength(16);
    expect(second!.html).toContain('class="chart latency-chart"'); // the search epoch's arch steps
    expect(readdirSync(run.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('readRun parses every record of the run directory', () => {
    const data = readRun(run.dir);
    // smallConfig: 8 batches per epoch, 2 epochs (1 warm-up), an arch step every 2nd search step
    expect(data.steps).toHaveLength(16);
    expect(data.archSteps).toHaveLength(4);
    expect(data.epochs.map((e) => e.phase)).toEqual(['warmup', 'search']);
    expect(data.archSteps.every((a) => a.expectedLatency !== null && a.expectedLatency > 0)).toBe(true);
    expect(data.candidates).toEqual(candidates);
    expect(data.result?.architecture).toEqual(run.result.architecture);
    expect(data.result?.latencyUnit).toBe('ms');
    expect(data.start?.batchesPerEpoch).toBe(8);
    expect(data.warnings).toEqual([]);
  });

  it('has every section, one block per label, a heatmap row per (label, candidate), valid SVG and no external references', () => {
    const html = renderReport(readRun(run.dir));
    for (const id of ReportSections) expect(html).toContain(`<section id="${id}">`);
    const labels = Object.keys(candidates);
    expect(count(html, /<g class="arch-block[^"]*" data-label=/g)).toBe(labels.length);
    for (const [label, op] of Object.entries(run.result.architecture)) {
      expect(html).toContain(`data-label="${label}" data-op="${op}"`);
      const names = candidates[label]!;
      for (const name of names) expect(count(html, new RegExp(`<g class="heat-row[^"]*" data-label="${label}" data-candidate="${name}">`, 'g'))).toBe(1);
      // the derived choice is the marked row
      expect(html).toContain(`<g class="heat-row chosen" data-label="${label}" data-candidate="${op}">`);
    }
    const rows = Object.values(candidates).reduce((s, c) => s + c.length, 0);
    expect(count(html, /<g class="heat-row/g)).toBe(rows);
    const skipped = Object.values(run.result.architecture).filter((op) => op === 'zero').length;
    expect(count(html, /class="arch-block skipped"/g)).toBe(skipped);
    // curves: per-step, smoothed, epoch train and validation series in both charts, one point per step
    const data = chartData(html);
    for (const id of ['curve-loss', 'curve-accuracy']) {
      expect(data[id]!.series.map((s) => s.name)).toEqual(['train (per step)', 'train (smoothed)', 'train (epoch mean)', 'validation (epoch)']);
      expect(data[id]!.series[0]!.y).toHaveLength(16);
      expect(data[id]!.series[3]!.y).toHaveLength(2);
    }
    // path probabilities: one chart per block (chosen with a select), one series per candidate
    expect(count(html, /<option value=/g)).toBe(labels.length);
    labels.forEach((label, i) => {
      const chosen = run.result.architecture[label];
      expect(data[`prob-${i}`]!.series.map((s) => s.name)).toEqual(candidates[label]!.map((n) => (n === chosen ? `${n} (chosen)` : n)));
      expect(data[`prob-${i}`]!.series[0]!.y).toHaveLength(4); // one point per arch step
    });
    // expected latency chart with the provider's latency of the derived network as a reference line
    expect(data['latency-chart']!.series.map((s) => s.name)).toEqual(['E[lat] at each architecture step', expect.stringMatching(/^derived network \(lookup\): /)]);
    expect(html).toContain('No comparisons yet');
    expectValidSvg(html);
    expectSelfContained(html);
  });

  it('draws comparisons.json as a scatter and shows a measured latency from latency.json', () => {
    const dir = copyRun(run.dir);
    const comparisons = [
      { name: 'searched', latency: 0.5, latencyUnit: 'ms', accuracy: 0.91, kind: 'searched' },
      { name: 'MBv2 ×0.5', latency: 0.3, latencyUnit: 'ms', accuracy: 0.86, kind: 'baseline', series: 'MobileNetV2' },
      { name: 'MBv2 ×0.75', latency: 0.45, latencyUnit: 'ms', accuracy: 0.885, kind: 'baseline', series: 'MobileNetV2' },
      { name: 'MBv2 ×1.0', latency: 0.62, latencyUnit: 'ms', accuracy: 0.9, kind: 'baseline', series: 'MobileNetV2' },
      { name: 'no latency loss', latency: 0.9, latencyUnit: 'ms', accuracy: 0.915, kind: 'ablation', note: 'without the latency loss' },
    ];
    writeFileSync(join(dir, ReportFiles.comparisons), JSON.stringify(comparisons));
    writeFileSync(join(dir, ReportFiles.latency), JSON.stringify({ measured_latency_ms: 0.42, target: 'cpu (wasm)', measurements: [{ target: 'flops', latency: 1.5, unit: 'MFLOPs' }] }));
    const html = renderReport(readRun(dir));
    expect(html).not.toContain('No comparisons yet');
    const scatter = chartData(html)['scatter']!;
    // the baseline curve, then one marker series per kind, each point labelled with its network
    expect(scatter.series.map((s) => [s.name, s.style])).toEqual([
      ['MobileNetV2', 'line'],
      ['searched', 'markers'],
      ['baseline', 'markers'],
      ['ablation', 'markers'],
    ]);
    const markers = scatter.series.filter((s) => s.style === 'markers');
    expect(markers.flatMap((s) => s.labels).sort()).toEqual(comparisons.map((c) => c.name).sort());
    expect(markers.reduce((a, s) => a + s.y.length, 0)).toBe(comparisons.length);
    expect(html).toContain('derived network (measured): 0.42 ms');
    expect(html).toContain('Measured on flops');
    expectValidSvg(html);
    expectSelfContained(html);
  });

  it('keeps every string from the run as text: HTML-escaped in the page, \\u003c-escaped in the chart JSON', () => {
    const dir = copyRun(run.dir);
    const evil = '</script><script>window.pwned=1</script><!--<img src=x onerror=alert(1)>&amp;\u2028';
    writeFileSync(
      join(dir, ReportFiles.comparisons),
      JSON.stringify([
        { name: evil, latency: 0.5, latencyUnit: `ms${evil}`, accuracy: 0.9, kind: evil, series: evil, note: evil },
        { name: 'b', latency: 0.6, latencyUnit: `ms${evil}`, accuracy: 0.8, kind: evil, series: evil },
      ]),
    );
    writeFileSync(join(dir, ReportFiles.latency), JSON.stringify({ measured_latency_ms: 0.4, target: evil, note: evil }));
    const html = renderReport(readRun(dir));
    expect(html).not.toContain('<script>window.pwned');
    expect(html).not.toContain('<!--');
    expect(html).not.toContain('<img src=x');
    expect(count(html, /<script\b/g)).toBe(count(html, /<\/script>/g));
    // the strings survive as data: the scatter's series and labels are the originals
    const scatter = Object.entries(chartData(html)).find(([id]) => id === 'scatter')![1];
    expect(scatter.title).toBe(`Accuracy vs latency (ms${evil})`);
    expect(scatter.series.map((s) => s.name)).toEqual([evil, evil]); // the series line, the kind's markers
    expect(scatter.series[1]!.labels).toEqual([evil, 'b']);
    expect(html).toContain(esc(evil));
    expectSelfContained(html);
  });

  it('scriptJson escapes what could end a script or open a comment, and round-trips', () => {
    const value = { a: '</script><!-- & \u2028\u2029 >', n: [1, NaN, Infinity, null] };
    const json = scriptJson(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual({ a: value.a, n: [1, null, null, null] });
  });

  it('marks a skipped (zero) block, draws MBConv blocks from the stored descriptions, and falls back to indices without candidates.json', () => {
    const dir = copyRun(run.dir);
    const labels = Object.keys(candidates);
    const mb: Record<string, string[]> = Object.fromEntries(
      labels.map((l) => [l, candidates[l]!.map((n, i) => (n === 'zero' ? 'zero' : ['3x3_MBConv3', '5x5_MBConv6', '7x7_MBConv6'][i]!))]),
    );
    const withZero = labels.find((l) => candidates[l]!.includes('zero'))!;
    const arch = Object.fromEntries(labels.map((l) => [l, l === withZero ? 'zero' : '5x5_MBConv6']));
    // what an MBConv space stores in architecture.json for these choices
    const candidateDescriptions = Object.fromEntries(
      labels.map((l) => [l, l === withZero ? { name: 'zero', kind: 'zero' } : { name: '5x5_MBConv6', kind: 'mbconv', kernel: 5, expand: 6 }]),
    );
    for (const f of [RunFiles.result, RunFiles.architecture]) {
      const j = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      writeFileSync(join(dir, f), JSON.stringify({ ...j, architecture: arch, ...(f === RunFiles.architecture ? { candidateDescriptions } : {}) }));
    }
    writeFileSync(join(dir, RunFiles.candidates), JSON.stringify(mb));
    const html = renderReport(readRun(dir));
    expect(html).toContain(`<g class="arch-block skipped" data-label="${withZero}" data-op="zero">`);
    expect(count(html, /class="arch-block skipped"/g)).toBe(1);
    expect(html).toMatch(/data-op="5x5_MBConv6" data-kernel="5" data-expand="6"/);
    expect(html).toContain('K5 E6');
    expect(html).toContain('stroke-dasharray="4 3"');
    expectValidSvg(html);

    rmSync(join(dir, RunFiles.candidates));
    const plain = renderReport(readRun(dir));
    expect(plain).toContain(`data-label="${labels[0]}" data-candidate="#0"`);
    expect(plain).toContain('No candidates.json');
    expectValidSvg(plain);
  });

  it('renders a run without result.json (interrupted) with what was recorded', () => {
    const dir = copyRun(run.dir);
    rmSync(join(dir, RunFiles.result));
    rmSync(join(dir, RunFiles.architecture));
    const html = renderReport(readRun(dir));
    expect(html).toContain('No result.json');
    expect(count(html, /<g class="arch-block/g)).toBe(Object.keys(candidates).length); // from the last epoch
    expectValidSvg(html);
  });

  it('writeReport writes atomically to --out and returns the path', () => {
    const out = join(copyRun(run.dir), 'nested', 'r.html');
    const r = writeReport(join(out, '..', '..'), { out });
    expect(r.file).toBe(out);
    expect(readFileSync(out, 'utf8')).toContain('<section id="architecture">');
    expect(readdirSync(join(out, '..')).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('the report plugin from a config file', () => {
  it('`plugins: [{ use: "@proxyless/report" }]` writes the report where options.out says', async () => {
    const root = tempDir('proxyless-report-plugin-');
    const config = writeConfig(root, smallConfig({ plugins: [{ use: '@proxyless/report', options: { out: 'out/r.html' } }] }));
    const { session } = await composeSearch({ config, runDir: join(root, 'run'), log: () => {} });
    await session.run();
    expect(readFileSync(join(root, 'out', 'r.html'), 'utf8')).toContain('<section id="latency">');
  });
});

describe('a failed search', () => {
  it('still gets a report, rewritten when it fails, that says why', async () => {
    const root = tempDir('proxyless-report-failed-');
    const plugin = new ReportPlugin();
    const breaker: SearchPlugin = {
      name: 'break-after-first-epoch',
      apply: (session) =>
        session.hooks.afterEpoch.tapPromise({ name: 'break-after-first-epoch', stage: 300 }, async () => {
          throw new Error('disk on fire <b>');
        }),
    };
    const { session } = await composeSearch({ config: writeConfig(root, smallConfig()), runDir: join(root, 'run'), plugins: [plugin, breaker], log: () => {} });
    await expect(session.run()).rejects.toThrow('disk on fire');
    expect(plugin.writes).toBe(2); // after the first epoch, and when the search failed
    const html = readFileSync(join(root, 'run', ReportFiles.report), 'utf8');
    expect(html).toContain('The search failed: Error: disk on fire &lt;b&gt;');
  });
});

describe('readRun errors', () => {
  it('names the file and line of a corrupt metrics.jsonl record', () => {
    const dir = copyRun(run.dir);
    const path = join(dir, RunFiles.metrics);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[4] = '{"type":"step","epoch":0,'; // cut in the middle
    writeFileSync(path, lines.join('\n'));
    expect(() => readRun(dir)).toThrow(RunReadError);
    expect(() => readRun(dir)).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 5: not valid JSON`));
  });

  it('names the field of a record with a wrong type', () => {
    const dir = copyRun(run.dir);
    const path = join(dir, RunFiles.metrics);
    const lines = readFileSync(path, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"type":"arch"'));
    lines[i] = lines[i]!.replace(/"probabilities":\{/, '"probabilities":"oops","x":{');
    writeFileSync(path, lines.join('\n'));
    expect(() => readRun(dir)).toThrow(`line ${i + 1}: "arch" record has "probabilities": "oops" (expected an object of label: number[])`);
  });

  it('skips a torn last line (a crash while appending) with a warning', () => {
    const dir = copyRun(run.dir);
    appendFileSync(join(dir, RunFiles.metrics), '{"type":"step","epo');
    const data = readRun(dir);
    expect(data.steps).toHaveLength(16);
    expect(data.warnings).toHaveLength(1);
    expect(data.warnings[0]).toMatch(/metrics\.jsonl line \d+: incomplete last record skipped/);
    expect(renderReport(data)).toContain('incomplete last record skipped');
  });

  it('rejects a missing run directory, a missing metrics file and a bad optional file', () => {
    expect(() => readRun('/nonexistent/run')).toThrow('/nonexistent/run: no such run directory');
    const dir = copyRun(run.dir);
    writeFileSync(join(dir, ReportFiles.comparisons), JSON.stringify([{ name: 'x', latency: 1, latencyUnit: 'ms', accuracy: 91 }]));
    expect(() => readRun(dir)).toThrow(`${join(dir, ReportFiles.comparisons)}: entry 0 has "accuracy": 91 (expected a fraction in [0, 1]`);
    rmSync(join(dir, ReportFiles.comparisons));
    writeFileSync(join(dir, RunFiles.result), '{"architecture": ');
    expect(() => readRun(dir)).toThrow(`${join(dir, RunFiles.result)}: not valid JSON`);
    rmSync(join(dir, RunFiles.metrics));
    expect(existsSync(join(dir, RunFiles.metrics))).toBe(false);
    expect(() => readRun(dir)).toThrow('has no metrics.jsonl');
  });
});
