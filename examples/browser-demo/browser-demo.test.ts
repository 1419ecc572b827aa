// The demo page in headless Chromium: its accuracy on the shipped test images equals Node's
// evaluation of the same exported model on the same images, on the wasm and the WebGL backend.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- plain JavaScript modules of the example
import { buildDemo } from './build.mjs';
// @ts-expect-error -- plain JavaScript modules of the example
import { evaluateInNode } from './node-eval.mjs';
// @ts-expect-error -- plain JavaScript modules of the example
import { serveDemo } from './serve.mjs';

const executablePath = process.env['PROXYLESS_CHROMIUM'] ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
if (!executablePath) console.warn('browser-demo-chromium: SKIPPED — no Chromium found at PROXYLESS_CHROMIUM or /usr/bin/chromium (install it: apt-get install chromium)');

interface DemoResult { backend: string; accuracy: number; correct: number; total: number; predictions: number[]; latencies: number[]; medianMs: number; tensorsLeft: number; error?: string }

describe.skipIf(!executablePath)('examples/browser-demo in headless Chromium', () => {
  let server: { url: string; close(): Promise<void> };
  let node: { predictions: number[]; correct: number; total: number; accuracy: number };
  beforeAll(async () => {
    await buildDemo();
    server = await serveDemo();
    node = await evaluateInNode();
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const backend of ['wasm', 'webgl'] as const) {
    it(`${backend}: the page's accuracy equals Node's on the same images, and each image's latency is shown`, async () => {
      const profile = mkdtempSync(join(tmpdir(), 'proxyless-demo-chromium-'));
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: executablePath!,
        headless: true,
        args: ['--disable-background-networking', '--disable-component-update', '--no-first-run', ...(backend === 'webgl' ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] : [])],
      });
      const consoleLines: string[] = [];
      try {
        const page = await context.newPage();
        page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
        page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
        await page.goto(`${server.url}?backend=${backend}`);
        await page.waitForFunction(() => (globalThis as { demoResult?: unknown }).demoResult !== undefined, undefined, { timeout: 240_000 });
        const r = (await page.evaluate(() => (globalThis as unknown as { demoResult: unknown }).demoResult)) as DemoResult;
        expect(r.error, consoleLines.join('\n')).toBeUndefined();
        expect(r.backend).toBe(backend);
        expect(r.total).toBe(node.total);
        expect(r.accuracy).toBe(node.accuracy);
        const agree = r.predictions.filter((p, i) => p === node.predictions[i]).length;
        expect(agree).toBe(node.total);
        expect(r.latencies.length).toBe(r.total);
        expect(r.latencies.every((ms) => ms > 0)).toBe(true);
        expect(r.tensorsLeft).toBe(0);
        // The page shows it: one figure per image and the summary line.
        expect(await page.locator('#grid figure').count()).toBe(r.total);
        expect(await page.locator('#status').textContent()).toMatch(new RegExp(`^${backend}: ${r.correct}/${r.total} correct \\(\\d+\\.\\d%\\), median \\d+\\.\\d\\d ms per image`));
        console.log(`browser-demo ${backend}: ${r.correct}/${r.total} correct (Node: ${node.correct}), median ${r.medianMs.toFixed(2)} ms per image`);
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    });
  }
});
