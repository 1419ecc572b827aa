import type { Page } from 'playwright-core';
import type { Architecture, DeviceDescription, OpFeatures } from '@proxyless/core';
import { launchChromium, type LaunchedChromium } from './chromium.js';
import { bundlePage, servePage, type PageBundleSource } from './page-server.js';
import type { BrowserBackend, PageApi, PageDevice, PageInit, PageTiming } from './page/protocol.js';

export type { BrowserBackend, PageTiming } from './page/protocol.js';
/** Backends the page offers. */
export const BROWSER_BACKENDS = ['wasm', 'webgl', 'webgpu'] as const satisfies readonly BrowserBackend[];

/** The space the page rebuilds: its package (or module file), plugin name, options and input. */
export interface PageSpace extends PageBundleSource {
  readonly name?: string;
  readonly options?: unknown;
  readonly input: PageInit['space']['input'];
}

export interface BrowserRuntimeOptions {
  readonly backend: BrowserBackend;
  readonly space: PageSpace;
  /** wasm threads in the page (default 1). */
  readonly threads?: number;
  /** Chromium binary (default: PROXYLESS_CHROMIUM, else /usr/bin/chromium …). */
  readonly executablePath?: string;
  readonly log?: (line: string) => void;
}

/** Timing defaults: on webgl (and webgpu) every run reads its outputs back, the only sure synchronization; on wasm (eager) no read-back. */
export function pageTiming(backend: BrowserBackend, o: Partial<PageTiming> = {}): PageTiming {
  return {
    batchSize: o.batchSize ?? 1,
    warmup: o.warmup ?? 3,
    minRuns: o.minRuns ?? 10,
    minDurationMs: o.minDurationMs ?? 100,
    readback: o.readback ?? (backend === 'wasm' ? 'none' : 'data'),
  };
}

/** Thrown when the page fails: the error with the page's console output. */
export class BrowserPageError extends Error {
  constructor(message: string, readonly consoleLines: readonly string[]) {
    super(`${message}${consoleLines.length ? `\npage console (last ${Math.min(consoleLines.length, 40)} lines):\n${consoleLines.slice(-40).map((l) => `  ${l}`).join('\n')}` : '\n(the page printed nothing to its console)'}`);
    this.name = 'BrowserPageError';
  }
}

/**
 * One headless Chromium with one page that runs TensorFlow.js on `backend` and the space rebuilt in
 * it. Created by `BrowserRuntime.start`; `close()` ends the browser and the server.
 */
export class BrowserRuntime {
  private constructor(
    private readonly chromium: LaunchedChromium,
    private readonly page: Page,
    private readonly server: { url: string; close(): Promise<void> },
    private readonly consoleLines: string[],
    readonly backend: BrowserBackend,
    readonly pageDevice: PageDevice,
  ) {}

  static async start(o: BrowserRuntimeOptions): Promise<BrowserRuntime> {
    const bundle = await bundlePage(o.space);
    const server = await servePage(bundle);
    let chromium: LaunchedChromium | undefined;
    const consoleLines: string[] = [];
    try {
      chromium = await launchChromium({ backend: o.backend, ...(o.executablePath ? { executablePath: o.executablePath } : {}) });
      const page = await chromium.context.newPage();
      page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
      page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
      page.on('crash', () => consoleLines.push('[crash] the page crashed'));
      await page.goto(`${server.url}/`);
      try {
        await page.waitForFunction(() => (globalThis as { __proxylessReady?: boolean }).__proxylessReady === true, undefined, { timeout: 60_000 });
      } catch (err) {
        throw new BrowserPageError(`browser latency: the page did not start (${(err as Error).message.split('\n')[0]})`, consoleLines);
      }
      const init: PageInit = {
        backend: o.backend,
        wasmPath: `${server.url}/wasm/`,
        threads: o.threads ?? 1,
        space: { ...(o.space.name ? { name: o.space.name } : {}), options: o.space.options ?? {}, input: o.space.input },
      };
      const device = await call(page, consoleLines, 'init', init);
      o.log?.(`browser: Chromium ${chromium.version} (${chromium.executablePath}), TensorFlow.js ${device.backend}, ${device.ops} ops in the page's space`);
      return new BrowserRuntime(chromium, page, server, consoleLines, o.backend, device);
    } catch (err) {
      await chromium?.close();
      await server.close();
      throw err;
    }
  }

  /** Browser, version and backend, in the form measured latencies are keyed by. */
  describe(): DeviceDescription {
    const details = this.pageDevice.details;
    return {
      backend: `browser-${this.pageDevice.backend}`,
      device: `Chromium ${this.chromium.version} (headless) · TensorFlow.js ${this.pageDevice.backend}${details['renderer'] ? ` on ${String(details['renderer'])}` : details['adapter'] ? ` on ${String(details['adapter'])}` : ''}`,
      details: { browser: 'Chromium', version: this.chromium.version, executable: this.chromium.executablePath, ...details },
    };
  }

  /** Timed runs (ms) of each op (found in the page's space by its features). */
  measureOps(features: readonly OpFeatures[], timing: Partial<PageTiming> = {}): Promise<number[][]> {
    return call(this.page, this.consoleLines, 'measureOps', features, pageTiming(this.backend, timing));
  }

  /** Timed runs (ms) of the compact network of `architecture`. */
  measureArchitecture(architecture: Architecture, timing: Partial<PageTiming> = {}): Promise<number[]> {
    return call(this.page, this.consoleLines, 'measureArchitecture', architecture, pageTiming(this.backend, timing));
  }

  /** Live tensors in the page. */
  tensorsInPage(): Promise<number> {
    return call(this.page, this.consoleLines, 'memory');
  }

  /** What the page printed so far. */
  console(): readonly string[] {
    return this.consoleLines;
  }

  async close(): Promise<void> {
    await this.chromium.close();
    await this.server.close();
  }
}

/** Calls the page's API; a failure (an exception in the page, a crash) is a `BrowserPageError` with the page's console. */
async function call<M extends keyof PageApi>(page: Page, consoleLines: string[], method: M, ...args: Parameters<PageApi[M]>): Promise<Awaited<ReturnType<PageApi[M]>>> {
  try {
    return (await page.evaluate(
      ([m, a]) => {
        const api = (globalThis as unknown as { __proxyless?: Record<string, (...x: unknown[]) => unknown> }).__proxyless;
        if (!api) throw new Error('the page did not install its API');
        return api[m]!(...a);
      },
      [method, args] as [string, unknown[]],
    )) as Awaited<ReturnType<PageApi[M]>>;
  } catch (err) {
    throw new BrowserPageError(`browser latency: ${method} failed in the page: ${(err as Error).message.split('\n')[0]}`, consoleLines);
  }
}
