// Loads a real report in headless Chromium (Debian's `chromium` package) and checks the DOM it
// renders offline. Skipped, with the reason printed, when /usr/bin/chromium is absent.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { makeRun, type RealRun } from '../test/make-run.js';
import { ReportFiles, ReportSections, writeReport } from './index.js';

const CHROMIUM = process.env['PROXYLESS_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`report browser test skipped: ${CHROMIUM} not found (install Debian's chromium: apt-get install -y chromium)`);

function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${tempDir('proxyless-chromium-')}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, [...flags, ...args], { timeout: 45_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe.skipIf(!haveChromium)('the report in a real headless browser', () => {
  let run: RealRun;
  let file: string;
  beforeAll(async () => {
    run = await makeRun();
    writeFileSync(
      join(run.dir, ReportFiles.comparisons),
      JSON.stringify([
        { name: 'searched', latency: 0.5, latencyUnit: 'ms', accuracy: 0.9, kind: 'searched' },
        { name: 'baseline', latency: 0.6, latencyUnit: 'ms', accuracy: 0.88, kind: 'baseline' },
      ]),
    );
    file = writeReport(run.dir).file;
  });

  it('renders every section, the charts, the heatmap and the architecture, and runs its script (offline)', async () => {
    const { stdout: dom } = await chromium(['--dump-dom', pathToFileURL(file).href]);
    expect(dom).toContain('<html');
    // the inline script ran: it fills the table of contents and marks the body
    expect(dom).toContain('data-report-js="ready"');
    const toc = dom.match(/<a href="#h-[a-z]+" class="toc-link">/g) ?? [];
    expect(toc).toHaveLength(ReportSections.length);
    for (const id of ReportSections) expect(dom).toContain(`<section id="${id}">`);
    // inline SVG parsed into the DOM
    expect((dom.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(6); // 2 curves, heatmap, architecture, latency, scatter
    const labels = Object.keys(run.result.architecture);
    expect((dom.match(/<g class="arch-block/g) ?? []).length).toBe(labels.length);
    expect(dom).toMatch(/<g class="heat-row[^"]*" data-label="b0" data-candidate="3x3_conv">/);
    expect(dom).toContain('class="chart scatter"');
  });
});
