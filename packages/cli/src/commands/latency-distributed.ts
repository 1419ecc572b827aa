import { Command } from 'commander';
import { composeRuntime, Rng } from '@proxyless/core';
import { distinctOps, readLatencyConfig, spaceOps } from '@proxyless/latency';
import { announcedWorkers, buildLatencyTableDistributed } from '@proxyless/runner-bullmq';
import { QueueProgress, queueInterrupt } from './queue-progress.js';
import { UsageError } from '../errors.js';
import { duration } from '../format.js';
import { shellWord, type CommandContext } from './common.js';
import { redisTarget, type RedisFlags } from './worker.js';

/** The flags `latency build` takes to build on workers. */
export interface DistributedBuildFlags extends RedisFlags {
  out: string;
  backend?: string;
  batchSize?: string;
  warmup?: string;
  minRuns?: string;
  minDurationMs?: string;
  maxSpread?: string;
  retries?: string;
  deviceName?: string;
  opsPerJob?: string;
  attempts?: string;
}

/** Adds `--redis`, `--device-name`, `--ops-per-job` to `latency build`. */
export function addDistributedBuildOptions(cmd: Command): Command {
  return cmd
    .option('--redis <url>', 'measure on `proxyless worker` processes of --device-name through this Redis (BullMQ) instead of here')
    .option('--redis-ca <pem>', 'CA certificate for a rediss:// (TLS) server with a private CA')
    .option('--device-name <name>', 'with --redis: the device whose workers measure (their --device-name; default: default)')
    .option('--ops-per-job <n>', 'with --redis: ops measured per job (default 1)')
    .addHelpText(
      'after',
      `
With --redis the ops are measured by \`proxyless worker --device-name <name>\` processes (any number, on
the device the table is for) instead of here: every missing entry becomes a job, and entries are
written to --out (atomically) as the jobs complete. A rerun enqueues only what is still missing.
--limit does not apply. See docs/scale-out.md.

  $ proxyless latency build search.yaml --out tables/pixel7.yaml --redis redis://queue.lan:6379 --device-name pixel7-wasm --backend @proxyless/backend-wasm`,
    );
}

const num = (flag: string, v: string | undefined, min: number, int: boolean): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) throw new UsageError(`${flag}: got ${JSON.stringify(v)}; expected ${int ? 'an integer' : 'a number'} ≥ ${min}`);
  return n;
};

/**
 * `proxyless latency build <config> --out <table> --redis <url>`: every missing entry becomes a job
 * on the device's queue; entries are written to the table as their jobs complete.
 */
export async function latencyBuildDistributedCommand(ctx: CommandContext, config: string, flags: DistributedBuildFlags): Promise<number> {
  const { out, io } = ctx;
  const redis = redisTarget(flags, io.env);
  const measure = Object.fromEntries(
    Object.entries({
      batchSize: num('--batch-size', flags.batchSize, 1, true),
      warmup: num('--warmup', flags.warmup, 0, true),
      minRuns: num('--min-runs', flags.minRuns, 1, true),
      minDurationMs: num('--min-duration-ms', flags.minDurationMs, 0, false),
      maxSpread: num('--max-spread', flags.maxSpread, 0, false),
      retries: num('--retries', flags.retries, 0, true),
    }).filter(([, v]) => v !== undefined),
  );
  const opsPerJob = num('--ops-per-job', flags.opsPerJob, 1, true);
  const device = flags.deviceName ?? 'default';
  const source = readLatencyConfig(config, { ...(flags.backend ? { backend: flags.backend } : {}), log: out.info });
  // The ops are enumerated here on the cpu backend; the workers measure on the config's backend.
  const { backend: workerBackend, ...rest } = source;
  const runtime = await composeRuntime({ ...rest, log: () => {} });
  const keys = [...distinctOps(spaceOps(runtime.space, new Rng('latency-build-ops'))).keys()];
  const seen = await announcedWorkers(redis, device);
  if (seen.length) out.info(`workers of device ${device}: ${seen.map((w) => `${w.id} (${w.cpu})`).join(', ')}`);
  else out.error(`proxyless: no worker of device ${device} is running; the jobs wait until one starts (proxyless worker --device-name ${device} --redis …)`);
  const progress = new QueueProgress(out, io.stderr, 'latency build');
  const interrupt = queueInterrupt(progress, out, 'proxyless: interrupted — every entry received is in the table; the queued jobs stay queued (rerun to collect them; Ctrl-C again to quit now)');
  try {
    const t0 = Date.now();
    const r = await buildLatencyTableDistributed({
      redis,
      device,
      file: flags.out,
      config: { seed: source.seed, ...(workerBackend ? { backend: workerBackend } : {}), space: source.space, input: { shape: [...runtime.input.shape] as [number, number, number], numClasses: runtime.input.numClasses } },
      keys,
      measure,
      ...(opsPerJob ? { opsPerJob } : {}),
      signal: interrupt.signal,
      onStart: ({ total, kept, todo, jobs }) => out.info(`${total} distinct ops in ${runtime.space.name}; ${kept ? `${kept} already in ${flags.out} (kept), ` : ''}${todo} to measure in ${jobs} job(s) on device ${device}`),
      onEntry: (key, e, worker) => progress.log(`  ${key}: ${e.mean.toFixed(3)} ms (${worker})`),
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    const seconds = (Date.now() - t0) / 1000;
    out.result(`${r.measured} entr${r.measured === 1 ? 'y' : 'ies'} measured on device ${device}, ${r.kept} kept, ${r.remaining} left; table: ${r.file} (${r.table.size} entries) in ${duration(seconds)}`);
    for (const [w, n] of r.perWorker) out.result(`  ${w}: ${n} job(s)`);
    for (const f of r.failed) out.error(`proxyless: job ${f.id} failed after ${f.attempts} attempt(s): ${f.reason}`);
    if (r.remaining > 0) out.result(`to continue: proxyless latency build ${shellWord(config)} --out ${shellWord(flags.out)} --redis <url> --device-name ${shellWord(device)}`);
    out.emitJson({ command: 'latency build', file: r.file, device, total: r.total, kept: r.kept, measured: r.measured, remaining: r.remaining, failed: r.failed, perWorker: Object.fromEntries(r.perWorker), seconds });
    return interrupt.exitCode(r);
  } finally {
    interrupt.remove();
    progress.stop();
  }
}
