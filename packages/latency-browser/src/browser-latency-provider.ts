import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { definePlugin, z, type Architecture, type DeviceDescription, type LatencyProvider, type OpFeatures, type OpSpec, type PluginContext } from '@proxyless/core';
import { LatencyTable, MissingLatencyKeysError, isZeroOp, latencyKey, readLatencyTable } from '@proxyless/latency';
import { BROWSER_BACKENDS, BrowserRuntime, type PageSpace, type PageTiming } from './browser-runtime.js';
import { buildBrowserLatencyTable } from './browser-table.js';

export const browserLatencyOptions = z
  .object({
    backend: z.enum(['wasm', 'webgl', 'webgpu']).default('wasm').describe("TensorFlow.js backend in the page: wasm, webgl or webgpu (on Chromium's SwiftShader without a GPU)"),
    target: z.string().min(1).optional().describe('name of the target (default: browser-<backend>)'),
    table: z.string().min(1).optional().describe('latency table file (.yaml / .json) to read and complete with what is missing (resumable); relative to the config file; default: one in the run directory'),
    batchSize: z.number().int().positive().default(1),
    warmup: z.number().int().min(0).default(3),
    minRuns: z.number().int().min(1).default(10),
    minDurationMs: z.number().min(0).default(100),
    threads: z.number().int().min(1).default(1).describe('wasm threads in the page (1: the single-threaded binary)'),
    calibrate: z.number().int().min(0).default(10).describe('whole networks a search measures in the page to calibrate the op sum to whole-network latency (0: the op sum as it is)'),
    executablePath: z.string().min(1).optional().describe('Chromium binary (default: PROXYLESS_CHROMIUM, else /usr/bin/chromium)'),
  })
  .strict();
export type BrowserLatencyOptions = z.input<typeof browserLatencyOptions>;

/**
 * The `browser` target: op latencies measured inside headless Chromium (`prepare` measures every
 * op missing from the table, which is written as it goes), and whole networks measured there too
 * (`measureArchitecture`, the median of the timed runs). The page rebuilds the space from its package.
 */
export class BrowserLatencyProvider implements LatencyProvider {
  readonly unit = 'ms';
  readonly target: string;
  private table: LatencyTable;
  private runtime: Promise<BrowserRuntime> | undefined;
  private idle: ReturnType<typeof setTimeout> | undefined;
  private readonly o: z.output<typeof browserLatencyOptions>;
  device: DeviceDescription | undefined;
  readonly calibrationNetworks: number;

  constructor(
    options: BrowserLatencyOptions,
    private readonly deps: { space: PageSpace; table: string; log?: (line: string) => void },
  ) {
    this.o = browserLatencyOptions.parse(options);
    this.target = this.o.target ?? `browser-${this.o.backend}`;
    this.calibrationNetworks = this.o.calibrate;
    this.table = existsSync(deps.table) ? readLatencyTable(deps.table) : new LatencyTable();
  }

  private timing(): Partial<PageTiming> {
    return { batchSize: this.o.batchSize, warmup: this.o.warmup, minRuns: this.o.minRuns, minDurationMs: this.o.minDurationMs };
  }

  async prepare(ops: readonly OpSpec[]): Promise<void> {
    const r = await buildBrowserLatencyTable({
      file: this.deps.table,
      ops,
      space: this.deps.space,
      backend: this.o.backend,
      threads: this.o.threads,
      ...(this.o.executablePath ? { executablePath: this.o.executablePath } : {}),
      ...this.timing(),
      ...(this.deps.log ? { log: this.deps.log } : {}),
      onStart: ({ total, kept, todo }) => this.deps.log?.(`browser latency (${this.o.backend}): ${total} distinct ops, ${kept} in ${this.deps.table}, ${todo} to measure in Chromium`),
      onEntry: (p) => this.deps.log?.(`browser latency ${p.done}/${p.total}: ${p.key} → ${p.entry.mean.toFixed(3)} ms`),
    });
    if (r.device) this.device = r.device;
    this.table = r.table;
  }

  latency(op: OpFeatures): number {
    if (isZeroOp(op)) return 0;
    const key = latencyKey(op);
    const e = this.table.get(key);
    if (!e) throw new MissingLatencyKeysError([key], this.deps.table);
    return e.mean;
  }

  /** Median forward time of the compact network of `architecture`, measured in the page. */
  async measureArchitecture(architecture: Architecture): Promise<number> {
    const rt = await this.browser();
    try {
      const samples = [...(await rt.measureArchitecture(architecture, this.timing()))].sort((a, b) => a - b);
      const mid = samples.length >> 1;
      return samples.length % 2 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
    } finally {
      this.closeWhenIdle();
    }
  }

  /** The page's browser, started on first use and closed after 10 s without a measurement. */
  private browser(): Promise<BrowserRuntime> {
    if (this.idle) clearTimeout(this.idle);
    this.runtime ??= BrowserRuntime.start({
      backend: this.o.backend,
      space: this.deps.space,
      threads: this.o.threads,
      ...(this.o.executablePath ? { executablePath: this.o.executablePath } : {}),
      ...(this.deps.log ? { log: this.deps.log } : {}),
    }).then((rt) => {
      this.device = rt.describe();
      return rt;
    });
    return this.runtime;
  }

  private closeWhenIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.close(), 10_000);
    this.idle.unref();
  }

  /** Ends the browser (if one runs). */
  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    const rt = this.runtime;
    this.runtime = undefined;
    if (rt) await (await rt.catch(() => undefined))?.close();
  }
}

/** The space a search config names, as the page rebuilds it: from the composition's resolved `space` slot. */
export function pageSpaceOf(ctx: PluginContext): PageSpace {
  const slot = ctx.slots?.get('space');
  if (!slot || !ctx.input) throw new Error('browser latency: needs the config\'s `space` slot and the input shape (run it inside a search composition)');
  if (slot.from === 'builtin') throw new Error(`browser latency: the space "${slot.name}" is built into core and cannot be bundled for the page; use a space package`);
  return { spaceImport: slot.from, resolveDir: ctx.configDir, name: slot.name, options: slot.options, input: { shape: ctx.input.shape, numClasses: ctx.input.numClasses } };
}

/** `latency: { use: "@proxyless/latency-browser", options: { backend: webgl } }` */
export const browserLatencyPlugin = definePlugin({
  kind: 'latency',
  name: 'browser',
  description: 'Latency measured inside headless Chromium on TensorFlow.js wasm or WebGL (ops into a resumable table, whole networks on request)',
  options: browserLatencyOptions,
  validate: (_o, view) => (view.slots.has('space') ? [] : [{ path: 'space', value: 'nothing (field missing)', expected: 'a space plugin: the browser latency provider rebuilds the space in the page' }]),
  create: (o, ctx): LatencyProvider => {
    const table = o.table
      ? (isAbsolute(o.table) ? o.table : resolve(ctx.configDir, o.table))
      : join(ctx.runDir ?? mkdtempSync(join(tmpdir(), 'proxyless-browser-latency-')), `latency-browser-${o.backend}.yaml`);
    return new BrowserLatencyProvider(o, { space: pageSpaceOf(ctx), table, log: (m) => ctx.log(m) });
  },
});

export { BROWSER_BACKENDS };
