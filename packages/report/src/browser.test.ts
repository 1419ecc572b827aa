// Loads real reports in headless Chromium (Debian's `chromium` package, driven by playwright-core) and
// checks what a user sees offline: every section, charts drawn by the inlined uPlot (screenshots of the
// chart canvases decoded with pngjs must show the series' colours), hover, zoom and the block choice,
// hostile strings from the run staying text, and no console error or page error at all.
// Skipped, with the reason printed, when /usr/bin/chromium is absent.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { copyRun, makeRun, type RealRun } from '../test/make-run.js';
import { chartPage, ReportFiles, ReportSections, writeReport } from './index.js';

const CHROMIUM = process.env['PROXYLESS_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`report browser test skipped: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);

const HOSTILE = '</script><script>window.pwned=1</script><!--<img src=x onerror="window.pwned=2">';

/** Pixels of a PNG within `tolerance` (max channel difference) of a #rrggbb colour, and pixels that are not near-white. */
function pixels(png: Buffer, color: string, tolerance = 40): { total: number; nonWhite: number; colored: number } {
  const img = PNG.sync.read(png);
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  let nonWhite = 0;
  let colored = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    const [pr, pg, pb] = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
    if (Math.min(pr, pg, pb) < 235) nonWhite++;
    if (Math.max(Math.abs(pr - r!), Math.abs(pg - g!), Math.abs(pb - b!)) <= tolerance) colored++;
  }
  return { total: img.width * img.height, nonWhite, colored };
}

describe.skipIf(!haveChromium)('reports in a real headless browser', () => {
  let browser: Browser;
  let run: RealRun;
  let file: string;
  let errors: string[];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    run = await makeRun();
    const dir = copyRun(run.dir);
    writeFileSync(
      join(dir, ReportFiles.comparisons),
      JSON.stringify([
        { name: 'searched', latency: 0.5, latencyUnit: 'ms', accuracy: 0.9, kind: 'searched' },
        { name: 'baseline', latency: 0.6, latencyUnit: 'ms', accuracy: 0.88, kind: 'baseline' },
        { name: HOSTILE, latency: 0.7, latencyUnit: 'ms', accuracy: 0.87, kind: 'ablation', note: HOSTILE },
      ]),
    );
    file = writeReport(dir).file;
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A page that records every console error and page error into `errors`; offline (requests other than file: fail the test). */
  async function open(url: string): Promise<Page> {
    errors = [];
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) errors.push(`request to ${r.url()}`);
    });
    await page.goto(url);
    await page.waitForSelector('body[data-charts="ready"]', { timeout: 20_000 });
    return page;
  }

  async function canvasPixels(page: Page, selector: string, color: string) {
    const canvas = page.locator(`${selector} canvas`);
    expect(await canvas.count()).toBe(1);
    return pixels(await canvas.screenshot(), color);
  }

  it('renders every section and draws each chart (the canvases show the series), with no console or page error', async () => {
    const page = await open(pathToFileURL(file).href);
    expect(await page.getAttribute('body', 'data-report-js')).toBe('ready');
    expect(await page.locator('a.toc-link').count()).toBe(ReportSections.length);
    for (const id of ReportSections) expect(await page.locator(`section#${id}`).count()).toBe(1);
    const labels = Object.keys(run.result.architecture);
    expect(await page.locator('g.arch-block').count()).toBe(labels.length);
    expect(await page.locator('g.heat-row[data-label="b0"][data-candidate="3x3_conv"]').count()).toBe(1);
    // every visible chart is built; the other blocks' probability charts wait until chosen
    const state = await page.$$eval('figure.chart', (figs) => figs.map((f) => [f.classList[1], f.getAttribute('data-chart-ready')]));
    expect(Object.fromEntries(state)).toEqual({
      'curve-loss': 'true',
      'curve-accuracy': 'true',
      'prob-0': 'true',
      ...Object.fromEntries(labels.slice(1).map((_, i) => [`prob-${i + 1}`, null])),
      'latency-chart': 'true',
      scatter: 'true',
    });
    // (a) screenshots of the chart areas: far from blank, and the series' own colours are drawn
    for (const [fig, color] of [
      ['figure.curve-loss', '#0072B2'], // train (smoothed)
      ['figure.curve-accuracy', '#D55E00'], // validation (epoch)
      ['figure.prob-0', '#0072B2'], // first candidate
      ['figure.latency-chart', '#0072B2'], // E[lat]
      ['figure.scatter', '#D55E00'], // the searched network
    ] as const) {
      const p = await canvasPixels(page, fig, color);
      expect(p.nonWhite / p.total, `${fig}: share of non-white pixels`).toBeGreaterThan(0.01);
      expect(p.colored, `${fig}: pixels of ${color}`).toBeGreaterThan(20);
    }
    // a blank canvas would fail the same check
    const blank = new PNG({ width: 50, height: 50 });
    blank.data.fill(255);
    expect(pixels(PNG.sync.write(blank), '#0072B2').colored).toBe(0);
    // (b) no console error, no page error, no request off this machine
    expect(errors).toEqual([]);
    await page.close();
  });

  it('hover shows values, a drag zooms and a double-click resets; choosing another block draws its chart and survives a refresh', async () => {
    const page = await open(pathToFileURL(file).href);
    const over = page.locator('figure.curve-loss .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const legendValue = page.locator('figure.curve-loss .u-legend .u-series').nth(2).locator('.u-value'); // train (smoothed)
    expect(Number(await legendValue.textContent())).toBeGreaterThan(0);
    const range = () => page.$eval('figure.curve-loss', (f) => {
      const u = (f as unknown as { uplot: { scales: { x: { min: number; max: number } } } }).uplot;
      return [u.scales.x.min, u.scales.x.max];
    });
    const [min0, max0] = await range();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const [min1, max1] = await range();
    expect(min1).toBeGreaterThan(min0!);
    expect(max1).toBeLessThan(max0!);
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    expect(await range()).toEqual([min0, max0]);

    const labels = Object.keys(run.result.architecture);
    await page.locator('select.chart-choice').scrollIntoViewIfNeeded();
    await page.selectOption('select.chart-choice', labels[1]!);
    await page.waitForSelector('figure.prob-1[data-chart-ready="true"]');
    expect(await page.isHidden('figure.prob-0')).toBe(true);
    const p = await canvasPixels(page, 'figure.prob-1', '#0072B2');
    expect(p.colored).toBeGreaterThan(20);
    // a refresh (a running search rewrote the report) keeps the chosen block
    await page.reload();
    await page.waitForSelector('body[data-charts="ready"]');
    expect(await page.inputValue('select.chart-choice')).toBe(labels[1]);
    expect(await page.getAttribute('figure.prob-1', 'data-chart-ready')).toBe('true');
    expect(await page.isHidden('figure.prob-0')).toBe(true);
    // a narrower window: the charts follow the page width
    const width = () => page.$eval('figure.curve-loss', (f) => (f as unknown as { uplot: { width: number } }).uplot.width);
    const wide = await width();
    await page.setViewportSize({ width: 600, height: 900 });
    await expect.poll(width).toBeLessThan(wide);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps strings from the run as text: a hostile network name runs no script and shows in the tooltip', async () => {
    const page = await open(pathToFileURL(file).href);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator('section#comparisons td', { hasText: HOSTILE }).count()).toBe(2); // name and note cells
    // hover the hostile point: the tooltip names it
    await page.locator('figure.scatter').scrollIntoViewIfNeeded();
    const at = await page.$eval('figure.scatter', (f) => {
      const u = (f as unknown as { uplot: { valToPos: (v: number, s: string) => number; over: { getBoundingClientRect(): { left: number; top: number } } } }).uplot;
      const r = u.over.getBoundingClientRect();
      return { x: r.left + u.valToPos(0.7, 'x'), y: r.top + u.valToPos(0.87, 'y') };
    });
    await page.mouse.move(at.x, at.y);
    await expect.poll(() => page.locator('figure.scatter .chart-tip').textContent()).toContain(HOSTILE);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws a standalone chart page (the latency predictor scatter) with a y = x line, and a lone point', async () => {
    const points = Array.from({ length: 40 }, (_, i) => [0.5 + i * 0.05, 0.5 + i * 0.05 + Math.sin(i) * 0.04] as const);
    const html = chartPage({
      title: 'predicted vs measured latency',
      charts: [{ id: 'predicted-vs-measured', title: 'predicted vs measured', xLabel: 'measured latency (ms)', yLabel: 'predicted latency (ms)', diagonal: 'y = x', height: 420, series: [{ name: 'predictor', color: '#1f63c6', style: 'markers', width: 6, points }] },
        // a line with a single point so far (the first architecture step of a running search) is still seen
        { id: 'lone', title: 'one point', xLabel: 'step', yLabel: 'ms', series: [{ name: 'E[lat]', color: '#009E73', points: [[0, 1]] }] },
      ],
    });
    const out = join(tempDir('proxyless-chart-page-'), 'scatter.html');
    writeFileSync(out, html);
    const page = await open(pathToFileURL(out).href);
    expect(await page.getAttribute('figure.predicted-vs-measured', 'data-chart-ready')).toBe('true');
    const p = await canvasPixels(page, 'figure.predicted-vs-measured', '#1f63c6');
    expect(p.colored).toBeGreaterThan(40 * 5); // 40 markers of about 6 px across
    expect(await page.locator('figure.predicted-vs-measured .u-legend').textContent()).toContain('y = x');
    expect((await canvasPixels(page, 'figure.lone', '#009E73')).colored).toBeGreaterThan(5);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('catches a chart that cannot be drawn: the page says so and the console error is seen by these checks', async () => {
    const html = chartPage({ title: 't', charts: [{ id: 'broken', title: 'broken', xLabel: 'x', yLabel: 'y', series: [{ name: 's', color: '#0072B2', points: [[0, 1], [1, 2]] }] }] });
    const out = join(tempDir('proxyless-chart-page-'), 'broken.html');
    writeFileSync(out, html.replace(/(<script type="application\/json" class="chart-data">)[\s\S]*?(<\/script>)/, '$1{"xs": [$2'));
    const page = await open(pathToFileURL(out).href);
    expect(await page.getAttribute('figure.broken', 'data-chart-ready')).toBe('error');
    expect(await page.locator('figure.broken').textContent()).toContain('This chart could not be drawn');
    expect(errors).toEqual([expect.stringMatching(/^console error: SyntaxError/)]);
    await page.close();
  });
});
