import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Where Chromium is looked for when `PROXYLESS_CHROMIUM` and the options name none (Debian, Ubuntu, Chrome). */
export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'] as const;

export const INSTALL_HINT = 'install Chromium (Debian/Ubuntu: `apt-get install chromium`) or point PROXYLESS_CHROMIUM (or the `executablePath` option) at a Chromium or Chrome binary';

/** The Chromium binary to drive: the given path, else `PROXYLESS_CHROMIUM`, else the first of `CHROMIUM_CANDIDATES` that exists; `undefined` when none. */
export function findChromium(executablePath?: string): string | undefined {
  const named = executablePath ?? process.env['PROXYLESS_CHROMIUM'];
  if (named) return named;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** Chromium flags for measuring: headless, no background network, no component updates, no throttling of a hidden page. */
export function chromiumArgs(backend: string): string[] {
  return [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-default-apps',
    '--disable-extensions',
    '--disable-sync',
    '--disable-domain-reliability',
    '--no-first-run',
    '--no-default-browser-check',
    '--metrics-recording-only',
    '--disable-breakpad',
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--disable-dev-shm-usage',
    // WebGL without a GPU: ANGLE on SwiftShader (software Vulkan), as Chromium ships it.
    ...(backend === 'webgl' ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'] : []),
    ...(backend === 'webgpu' ? ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--ignore-gpu-blocklist'] : []),
  ];
}

/** A launched headless Chromium with a fresh user-data dir (removed on close). */
export interface LaunchedChromium {
  readonly executablePath: string;
  readonly version: string;
  readonly context: BrowserContext;
  readonly browser: Browser | null;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium (Playwright's driver on the system binary; no browser download) with a
 * fresh user-data dir. A missing binary or a browser that does not start is an error naming what to
 * install.
 */
export async function launchChromium(o: { backend: string; executablePath?: string; extraArgs?: readonly string[] }): Promise<LaunchedChromium> {
  const executablePath = findChromium(o.executablePath);
  if (!executablePath) throw new Error(`browser latency: no Chromium found (looked at ${CHROMIUM_CANDIDATES.join(', ')}); ${INSTALL_HINT}`);
  if (!existsSync(executablePath)) throw new Error(`browser latency: Chromium ${executablePath} does not exist; ${INSTALL_HINT}`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'proxyless-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...chromiumArgs(o.backend), ...(o.extraArgs ?? [])],
      timeout: 60_000,
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    const first = String((err as Error).message ?? err).split('\n').slice(0, 6).join('\n');
    throw new Error(`browser latency: Chromium ${executablePath} did not start (${first}); ${INSTALL_HINT}`);
  }
  const browser = context.browser();
  const version = browser?.version() ?? 'unknown';
  let closed = false;
  return {
    executablePath,
    version,
    context,
    browser,
    close: async () => {
      if (closed) return;
      closed = true;
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
