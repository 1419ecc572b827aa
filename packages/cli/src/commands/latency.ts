import { accessSync, constants as fsConstants, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { composeRuntime, Rng, writeFileAtomic } from '@proxyless/core';
import { chartPage } from '@proxyless/report';
import {
  buildLatencyTable,
  formatOf,
  readLatencyConfig,
  readLatencyTable,
  runPredictExperiment,
  spaceOps,
  type MeasureOptions,
  type PredictionMetrics,
} from '@proxyless/latency';
import { UsageError } from '../errors.js';
import { duration } from '../format.js';
import type { WritableText } from '../output.js';
import { onSigint, shellWord, signalExitCode, type CommandContext, type StopSignal } from './common.js';
import { addDistributedBuildOptions, latencyBuildDistributedCommand, type DistributedBuildFlags } from './latency-distributed.js';

/** Flags shared by `latency build` and `latency predict` (all strings, as commander gives them). */
interface MeasureFlags {
  backend?: string;
  batchSize?: string;
  warmup?: string;
  minRuns?: string;
  minDurationMs?: string;
}
export interface LatencyBuildFlags extends MeasureFlags {
  out: string;
  /** `browser`: measure inside headless Chromium (`--backend wasm|webgl` is then the page's TensorFlow.js backend). */
  target?: string;
  maxSpread?: string;
  retries?: string;
  limit?: string;
}
export interface LatencyPredictFlags extends MeasureFlags {
  table: string;
  /** `browser`: measure the networks inside headless Chromium (`--backend wasm|webgl`). */
  target?: string;
  out?: string;
  fit?: string;
  test?: string;
  seed?: string;
}

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: got ${JSON.stringify(v)}; expected an integer ≥ ${min}`);
  return n;
}
function real(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`${flag}: got ${JSON.stringify(v)}; expected a number ≥ ${min}`);
  return n;
}

function measureOptions(f: MeasureFlags): MeasureOptions {
  const o: { -readonly [K in keyof MeasureOptions]: MeasureOptions[K] } = {};
  const b = int('--batch-size', f.batchSize, 1);
  const w = int('--warmup', f.warmup, 0);
  const r = int('--min-runs', f.minRuns, 1);
  const d = real('--min-duration-ms', f.minDurationMs, 0);
  if (b !== undefined) o.batchSize = b;
  if (w !== undefined) o.warmup = w;
  if (r !== undefined) o.minRuns = r;
  if (d !== undefined) o.minDurationMs = d;
  return o;
}

/**
 * A count-based progress bar with ETA on stderr (cli-progress on a TTY; elsewhere a plain line about
 * every 10% and at the end), like the epoch bars of `search`.
 */
class CountProgress {
  private bar: cliProgress.SingleBar | undefined;
  private lastDecile = -1;
  private readonly t0 = Date.now();
  constructor(
    private readonly stream: WritableText & { isTTY?: boolean },
    private readonly label: string,
    private readonly total: number,
    private readonly start: number,
  ) {
    if (stream.isTTY === true && total > start) {
      this.bar = new cliProgress.SingleBar(
        { stream: stream as NodeJS.WritableStream, format: `${label} |{bar}| {value}/{total} | ETA {eta_formatted} | {info}`, barsize: 24, hideCursor: true, clearOnComplete: true, etaBuffer: 20, fps: 10 },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, start, { info: '' });
    }
  }
  update(done: number, info: string): void {
    if (this.bar) return void this.bar.update(done, { info });
    const decile = Math.floor((10 * done) / Math.max(1, this.total));
    if (decile > this.lastDecile || done === this.total) {
      this.lastDecile = decile;
      const ran = done - this.start;
      const eta = ran > 0 ? (((Date.now() - this.t0) / 1000) * (this.total - done)) / ran : NaN;
      this.stream.write(`${this.label} ${done}/${this.total}  ETA ${duration(eta)}  ${info}\n`);
    }
  }
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

/**
 * `latency build --out`, checked before anything is measured: a .yaml/.yml/.json file (not a
 * folder), in a folder that exists or can be created and is writable; an existing table must be
 * readable (it is resumed).
 */
function checkTableOut(file: string): void {
  const bad = (why: string) => new UsageError(`latency build: --out ${file}: ${why}`);
  if (existsSync(file) && statSync(file).isDirectory()) throw bad('is a folder; expected a table file (.yaml, .yml or .json) to write');
  try {
    formatOf(file);
  } catch {
    throw bad('expected a table file ending in .yaml, .yml (the official format) or .json');
  }
  let dir = dirname(file);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) throw bad(`${dir} is a file; expected a folder to write the table in`);
  try {
    accessSync(dir, fsConstants.W_OK);
    if (existsSync(file)) accessSync(file, fsConstants.R_OK | fsConstants.W_OK);
  } catch {
    throw bad(`${existsSync(file) ? file : dir} is not writable`);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** `proxyless latency build <config> --out <table>`: measures every distinct op of the space into a table. */
export async function latencyBuildCommand(ctx: CommandContext, config: string, flags: LatencyBuildFlags): Promise<number> {
  if ((flags as DistributedBuildFlags).redis !== undefined) return latencyBuildDistributedCommand(ctx, config, flags as DistributedBuildFlags); // on workers (runner-bullmq)
  const { out, io } = ctx;
  const measure = measureOptions(flags);
  const maxSpread = real('--max-spread', flags.maxSpread, 0);
  const retries = int('--retries', flags.retries, 0);
  const limit = int('--limit', flags.limit, 0);
  const file = resolve(flags.out);
  checkTableOut(file);
  const browser = browserTarget(flags);
  const source = readLatencyConfig(config, { ...(flags.backend && !browser ? { backend: flags.backend } : {}), log: out.info });
  const { space, input } = await composeRuntime(source);
  const controller = new AbortController();
  let progress: CountProgress | undefined;
  let stoppedBy: StopSignal = 'SIGINT';
  const removeSigint = onSigint(
    (signal) => {
      stoppedBy = signal;
      progress?.stop();
      out.error(`proxyless: interrupted${signal === 'SIGTERM' ? ' (SIGTERM)' : ''} — stopping after the op being measured (every measured entry is already saved); a second signal quits now`);
      controller.abort();
      return true;
    },
    () => progress?.stop(),
  );
  try {
    const t0 = Date.now();
    const build = browser
      ? async (o: Parameters<typeof buildLatencyTable>[0]) => {
          const { buildBrowserLatencyTable } = await importLatencyBrowser();
          const { spaceRef } = source;
          return buildBrowserLatencyTable({
            ...o,
            backend: browser,
            space: { spaceImport: spaceRef.use, resolveDir: source.configDir, ...(spaceRef.name ? { name: spaceRef.name } : {}), options: spaceRef.options ?? {}, input },
            log: out.info,
            onDevice: (d) => out.info(`measuring in ${d.device}`),
          });
        }
      : buildLatencyTable;
    const r = await build({
      file,
      ops: spaceOps(space, new Rng('latency-build-ops')),
      ...measure,
      ...(maxSpread !== undefined ? { maxSpread } : {}),
      ...(retries !== undefined ? { retries } : {}),
      ...(limit !== undefined ? { limit } : {}),
      signal: controller.signal,
      onStart: ({ total, kept, todo }) => {
        out.info(`${total} distinct ops in ${space.name}; ${kept ? `${kept} already in ${file} (kept), ` : ''}${todo} to measure`);
        if (out.verbose) progress = new CountProgress(io.stderr, 'latency build', total, kept);
      },
      onEntry: (p) => {
        const line = `${p.key}: ${p.entry.mean.toFixed(3)} ms ±${pct(p.spread)}${p.attempts > 1 ? ` (${p.attempts} measurements)` : ''}`;
        progress?.update(p.done, line);
      },
    });
    progress?.stop();
    const seconds = (Date.now() - t0) / 1000;
    const interrupted = controller.signal.aborted && r.remaining > 0;
    out.result(`${r.measured.length} entr${r.measured.length === 1 ? 'y' : 'ies'} measured, ${r.kept} kept, ${r.remaining} left; table: ${r.file} (${r.table.size} entries) in ${duration(seconds)}`);
    for (const m of r.measured) out.result(`  ${m.key}  ${m.mean.toFixed(4)} ms  spread ${pct(m.spread)}${m.attempts > 1 ? `  (${m.attempts} measurements)` : ''}`);
    if (r.noisy.length) out.result(`still noisy after every retry (spread > ${pct(maxSpread ?? 0.1)}): ${r.noisy.map((n) => `${n.key} (${pct(n.spread)})`).join(', ')}`);
    if (r.remaining > 0) out.result(`to continue: proxyless latency build ${shellWord(config)} --out ${shellWord(flags.out)}${browser ? ` --target browser --backend ${browser}` : ''}`);
    out.emitJson({ command: 'latency build', file: r.file, total: r.total, kept: r.kept, measured: r.measured, noisy: r.noisy, remaining: r.remaining, interrupted, seconds });
    return interrupted ? signalExitCode(stoppedBy) : 0;
  } finally {
    removeSigint();
    progress?.stop();
  }
}

/** The page backend of `--target browser` (`--backend wasm|webgl`, default wasm); `undefined` for the default target (this process). */
function browserTarget(flags: { target?: string; backend?: string }): 'wasm' | 'webgl' | 'webgpu' | undefined {
  if (flags.target === undefined || flags.target === 'cpu') return undefined;
  if (flags.target !== 'browser') throw new UsageError(`--target: got ${JSON.stringify(flags.target)}; expected cpu (this process, the --backend plugin) or browser (headless Chromium)`);
  const b = flags.backend ?? 'wasm';
  if (b !== 'wasm' && b !== 'webgl' && b !== 'webgpu') throw new UsageError(`--backend: got ${JSON.stringify(b)}; expected wasm, webgl or webgpu with --target browser (the page's TensorFlow.js backend)`);
  return b;
}

const metricLine = (name: string, m: PredictionMetrics) =>
  `${name.padEnd(10)} RMSE ${m.rmseMs.toFixed(4)} ms   MAPE ${m.mapePct.toFixed(2)}%   R² ${m.r2.toFixed(4)}   r ${m.pearson.toFixed(4)}`;

/**
 * `proxyless latency predict <config> --table <file>`: samples architectures, measures them, fits
 * the predictor and reports its accuracy on held-out ones (predictor.json, samples.jsonl,
 * report.json and scatter.html, an interactive predicted-vs-measured plot, in --out).
 */
export async function latencyPredictCommand(ctx: CommandContext, config: string, flags: LatencyPredictFlags): Promise<number> {
  const { out, io } = ctx;
  const measure = measureOptions(flags);
  const fit = int('--fit', flags.fit, 0) ?? 4000;
  const test = int('--test', flags.test, 1) ?? 1000;
  const seed = int('--seed', flags.seed, 0);
  const table = readLatencyTable(flags.table);
  const dir = resolve(flags.out ?? 'latency-predictor');
  const browser = browserTarget(flags);
  const source = readLatencyConfig(config, { ...(flags.backend && !browser ? { backend: flags.backend } : {}), log: out.info });
  const composed = { ...(await composeRuntime(source)), seed: source.seed };
  // --target browser: every network is timed inside headless Chromium (one browser for the whole run).
  const page = browser ? await startBrowserRuntime(browser, source, composed.input, out.info) : undefined;
  out.info(`measuring ${fit} + ${test} sampled architectures of ${composed.space.name} (fit + held out)`);
  const controller = new AbortController();
  const progress = out.verbose ? new CountProgress(io.stderr, 'latency predict', fit + test, 0) : undefined;
  const removeSigint = onSigint(
    () => {
      progress?.stop();
      out.error('proxyless: interrupted — fitting on what was measured; Ctrl-C again to quit now');
      controller.abort();
      return true;
    },
    () => progress?.stop(),
  );
  try {
    const t0 = Date.now();
    const r = await runPredictExperiment({
      space: composed.space,
      table,
      fit,
      test,
      ...measure,
      rng: new Rng(seed ?? composed.seed).fork('latency-predict'),
      target: page ? page.runtime.describe().backend : composed.backend.name,
      ...(page ? { measureNetwork: async (a: Readonly<Record<string, string>>) => page.robustEntry(await page.runtime.measureArchitecture(a, measure)) } : {}),
      signal: controller.signal,
      onSample: (done, total, s) => progress?.update(done, `${s.measuredMs.toFixed(3)} ms (table sum ${s.tableSumMs.toFixed(3)})`),
    });
    progress?.stop();
    mkdirSync(dir, { recursive: true });
    r.predictor.save(join(dir, 'predictor.json'));
    writeFileSync(join(dir, 'samples.jsonl'), r.samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
    writeFileAtomic(
      join(dir, 'scatter.html'),
      chartPage({ title: r.scatter.title, note: `${r.samples.length} architectures measured on ${composed.backend.name}; the predictor was fitted on ${r.samples.filter((s) => s.split === 'fit').length} of them and is shown on the others.`, charts: [r.scatter] }),
    );
    const seconds = (Date.now() - t0) / 1000;
    const report = { command: 'latency predict', dir, fit, test, measured: r.samples.length, interrupted: r.interrupted, metrics: r.metrics, correction: r.predictor.model.correction, seconds };
    writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    out.result(`held-out architectures: ${r.metrics.predictor.n}`);
    out.result(metricLine('table sum', r.metrics.tableSum));
    out.result(metricLine('predictor', r.metrics.predictor));
    out.result(`predictor: ${join(dir, 'predictor.json')}   scatter: ${join(dir, 'scatter.html')}   (${duration(seconds)})`);
    out.emitJson(report);
    return r.interrupted ? 130 : 0;
  } finally {
    removeSigint();
    progress?.stop();
    await page?.runtime.close();
  }
}

/**
 * @proxyless/latency-browser, an optional peer of the CLI (it brings playwright-core and esbuild): only
 * `--target browser` loads it, and says how to install it when it is absent.
 */
async function importLatencyBrowser(): Promise<typeof import('@proxyless/latency-browser')> {
  try {
    return await import('@proxyless/latency-browser');
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    if ((e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && String(e.message).includes('@proxyless/latency-browser')) {
      throw new Error('--target browser needs @proxyless/latency-browser, an optional peer of @proxyless/cli that is not installed: `npm install @proxyless/latency-browser` (and a Chromium: `apt-get install chromium` on Debian)');
    }
    throw err;
  }
}

/** The page of `--target browser` for `latency predict`: the config's space rebuilt in headless Chromium. */
async function startBrowserRuntime(backend: 'wasm' | 'webgl' | 'webgpu', source: ReturnType<typeof readLatencyConfig>, input: { shape: readonly [number, number, number]; numClasses: number }, log: (m: string) => void) {
  const { BrowserRuntime } = await importLatencyBrowser();
  const { robustEntry } = await import('@proxyless/latency');
  const { spaceRef } = source;
  const runtime = await BrowserRuntime.start({
    backend,
    space: { spaceImport: spaceRef.use, resolveDir: source.configDir, ...(spaceRef.name ? { name: spaceRef.name } : {}), options: spaceRef.options ?? {}, input: { shape: [...input.shape] as [number, number, number], numClasses: input.numClasses } },
    log,
  });
  log(`measuring in ${runtime.describe().device}`);
  return { runtime, robustEntry };
}

type Act = <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) => (...args: unknown[]) => Promise<void>;

const MEASURE_HELP = (cmd: Command) =>
  cmd
    .option('--backend <name>', 'backend plugin to measure on (default: the config\'s backend, else cpu), e.g. @proxyless/backend-wasm')
    .option('--batch-size <n>', 'batch size of the timed forward passes (default 1; the paper uses 8 for GPU)')
    .option('--warmup <n>', 'untimed runs before timing (default 3)')
    .option('--min-runs <n>', 'at least this many timed runs per measurement (default 10)')
    .option('--min-duration-ms <ms>', 'and time for at least this long (default 100)');

/** Registers `proxyless latency build|predict` on the program. */
export function registerLatencyCommands(program: Command, act: Act): Command {
  const latency = program
    .command('latency')
    .description('latency lookup tables for your device and a fitted latency predictor')
    .addHelpText(
      'after',
      `
The config is a search config (or any JSON/YAML file with \`space\`, and \`data\` or
\`input: {shape: [H, W, C], numClasses: N}\`); its backend, data and space are used.

Examples:
  $ proxyless latency build search.yaml --out my-device.yaml --backend @proxyless/backend-wasm
  $ proxyless latency predict search.yaml --table my-device.yaml --fit 4000 --test 1000 --out predictor/`,
    );
  MEASURE_HELP(
    latency
      .command('build')
      .description('measure every distinct candidate op and fixed layer of a space and write a latency table (official ProxylessNAS YAML, or JSON)')
      .argument('<config>', 'config file with the space (and backend, data or input) to measure')
      .requiredOption('-o, --out <table>', 'table to write (.yaml official format, or .json); an existing one is resumed')
      .option('--max-spread <x>', 're-measure an entry while std/mean is above this (default 0.1)')
      .option('--retries <n>', 'extra measurements of a noisy entry; the least noisy is kept (default 2)')
      .option('--limit <n>', 'measure at most n new entries in this run (the rest is left for a resumed run)')
      .option('--target <name>', 'cpu (default: this process, on the --backend plugin) or browser (inside headless Chromium; --backend wasm|webgl|webgpu is the page\'s TensorFlow.js backend)'),
  )
    .addHelpText(
      'after',
      `
Every entry is written to the table as soon as it is measured; an interrupted build (Ctrl-C, a
crash, --limit) continues where it stopped when run again with the same --out.

Examples:
  $ proxyless latency build search.yaml --out tables/wasm-laptop.yaml --backend @proxyless/backend-wasm
  $ proxyless latency build search.yaml --out tables/gpu.json --backend @proxyless/backend-tfjs-node --batch-size 8
  $ proxyless latency build search.yaml --out tables/browser-webgl.yaml --target browser --backend webgl`,
    )
    .action(act((ctx, config: string, opts: LatencyBuildFlags) => latencyBuildCommand(ctx, config, opts)));
  MEASURE_HELP(
    latency
      .command('predict')
      .description('sample architectures, measure their whole-network latency, fit a predictor (table sum + learned correction) and report RMSE, MAPE and R² on held-out ones')
      .argument('<config>', 'config file with the space (and backend, data or input)')
      .requiredOption('-t, --table <file>', 'latency table of the same backend (from `proxyless latency build`)')
      .option('-o, --out <dir>', 'folder for predictor.json, samples.jsonl, report.json and scatter.html (default: latency-predictor)')
      .option('--fit <n>', 'architectures to fit on (default 4000)')
      .option('--test <n>', 'held-out architectures to evaluate on (default 1000)')
      .option('--seed <n>', 'seed of the sampled architectures (default: the config\'s seed)')
      .option('--target <name>', 'cpu (default: this process, on the --backend plugin) or browser (networks timed inside headless Chromium; --backend wasm|webgl|webgpu)'),
  )
    .addHelpText(
      'after',
      `
Use the predictor in a search with
  latency: { use: "@proxyless/latency", name: predictor, options: { predictor: <dir>/predictor.json } }

Examples:
  $ proxyless latency predict search.yaml --table tables/wasm-laptop.yaml --fit 400 --test 100 --out pred/`,
    )
    .action(act((ctx, config: string, opts: LatencyPredictFlags) => latencyPredictCommand(ctx, config, opts)));
  addDistributedBuildOptions(latency.commands.find((c) => c.name() === 'build')!);
  return latency;
}
