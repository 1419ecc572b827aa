import { Command } from 'commander';
import { announcedWorkers, readSweep, runSweep, SEARCH_QUEUE } from '@proxyless/runner-bullmq';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { num } from '../format.js';
import { shellWord, type CommandContext } from './common.js';
import { QueueProgress, queueInterrupt } from './queue-progress.js';
import { REDIS_HELP, redisTarget, type RedisFlags } from './worker.js';

type Act = <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) => (...args: unknown[]) => Promise<void>;

export interface SweepFlags extends RedisFlags {
  storage?: string;
  attempts?: string;
}

/** `proxyless sweep <sweep.yaml> --redis <url>`: one search job per point, one table and one report. */
export async function sweepCommand(ctx: CommandContext, file: string, flags: SweepFlags): Promise<number> {
  const { out, io } = ctx;
  const redis = redisTarget(flags, io.env);
  const attempts = flags.attempts === undefined ? undefined : Number(flags.attempts);
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1)) throw new UsageError(`--attempts: got ${JSON.stringify(flags.attempts)}; expected a positive integer`);
  const sweep = readSweep(file);
  const storageDir = resolve(flags.storage ?? '.');
  const seen = (await announcedWorkers(redis)).filter((w) => w.queues.includes(SEARCH_QUEUE));
  if (seen.length) out.info(`search workers: ${seen.map((w) => `${w.id} (${w.cpu}, ${w.concurrency} at once)`).join(', ')}`);
  else out.error('proxyless: no search worker is running; the jobs wait until one starts (proxyless worker --redis …)');
  const progress = new QueueProgress(out, io.stderr, `sweep ${sweep.name}`);
  const interrupt = queueInterrupt(progress, out, 'proxyless: interrupted — the jobs keep running on the workers; rerun the same command to collect them (Ctrl-C again to quit now)');
  try {
    const r = await runSweep(sweep, {
      redis,
      storageDir,
      ...(attempts ? { attempts } : {}),
      signal: interrupt.signal,
      onStart: ({ points, done, phase }) =>
        progress.log(
          phase === 'search'
            ? `sweep ${sweep.name}: ${points} points (${Object.keys(sweep.axes).join(' × ')}), ${done} already finished; storage ${storageDir}`
            : `sweep ${sweep.name}: retraining ${points} architecture(s), ${done} already retrained`,
        ),
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    const axes = Object.keys(sweep.axes);
    for (const row of r.rows) {
      const values = axes.map((a) => `${a}=${JSON.stringify(row.overrides[a])}`).join(' ');
      const nums = row.architecture ? `accuracy ${row.validationAccuracy !== undefined ? num(row.validationAccuracy) : '—'}${sweep.retrain ? `  test (retrained) ${row.testAccuracy !== undefined ? num(row.testAccuracy) : '—'}` : ''}  latency ${row.latency !== undefined ? `${num(row.latency)}${row.latencyUnit ? ` ${row.latencyUnit}` : ''}` : '—'}` : 'not finished';
      out.result(`${row.pareto ? '*' : ' '} ${row.id}  ${values}  ${nums}`);
    }
    for (const f of r.failed) out.error(`proxyless: point ${f.point} failed after ${f.attempts} attempt(s): ${f.reason}`);
    out.result(`table: ${r.files.table}   csv: ${r.files.csv}   report: ${r.files.report}   (* = Pareto front)`);
    if (r.remaining > 0 && !r.failed.length) out.result(`to continue: proxyless sweep ${shellWord(file)} --storage ${shellWord(storageDir)}`);
    out.emitJson({ command: 'sweep', name: sweep.name, rows: r.rows, failed: r.failed, remaining: r.remaining, files: r.files, perWorker: Object.fromEntries(r.perWorker) });
    return interrupt.exitCode(r);
  } finally {
    interrupt.remove();
    progress.stop();
  }
}

/** Registers `proxyless sweep`. */
export function registerSweepCommand(program: Command, act: Act): Command {
  return program
    .command('sweep')
    .description('run one search per point of a sweep (base config × axes) on the workers (`proxyless worker`) and collect one table and one accuracy-vs-latency report')
    .argument('<sweep>', 'sweep file (JSON or YAML): name, base (a search config file or the config) and axes (dotted config paths → lists of values)')
    .option('--redis <url>', 'Redis URL (default: PROXYLESS_REDIS_URL)')
    .option('--redis-ca <pem>', 'CA certificate for a rediss:// (TLS) server with a private CA')
    .option('--storage <dir>', 'the storage directory the workers write to (a shared filesystem; default: the working directory)')
    .option('--attempts <n>', 'tries per search before it lands in the failed set (default 3)')
    .addHelpText(
      'after',
      `
Each point runs as a search job in <storage>/sweeps/<name>/<point>; the table (sweep.json, sweep.csv)
and report.html (accuracy vs latency, the Pareto front marked) are written to <storage>/sweeps/<name>/.
Resumable: points already finished are not run again; a point interrupted mid-search resumes from
its checkpoint; stop this command (or lose it) and rerun it to collect the rest. Relative paths in
the base config resolve against the workers' --storage.
${REDIS_HELP}

Example sweep.yaml:
  name: lambda-sweep
  base: search.yaml
  axes:
    strategy.options.lr: [0.01, 0.05]
    seed: [1, 2]
  retrain: { epochs: 5 }   # optional: retrain each architecture (proxyless train options);
                           # the Pareto front then ranks by its test accuracy

Examples:
  $ proxyless sweep sweep.yaml --redis redis://queue.lan:6379 --storage /mnt/shared/proxyless`,
    )
    .action(act((ctx, file: string, opts: SweepFlags) => sweepCommand(ctx, file, opts)));
}
