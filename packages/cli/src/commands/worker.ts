import { Command } from 'commander';
import { runWorker, type RedisTarget } from '@proxyless/runner-bullmq';
import { UsageError } from '../errors.js';
import type { CommandContext } from './common.js';

type Act = <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) => (...args: unknown[]) => Promise<void>;

/** The Redis flags shared by `worker`, `latency build --redis` and `sweep`. */
export interface RedisFlags {
  redis?: string;
  redisCa?: string;
}

/** The Redis target of the flags: --redis or PROXYLESS_REDIS_URL, password also from PROXYLESS_REDIS_PASSWORD. */
export function redisTarget(flags: RedisFlags, env: Readonly<Record<string, string | undefined>>): RedisTarget {
  const url = flags.redis ?? env['PROXYLESS_REDIS_URL'];
  if (!url) throw new UsageError('--redis: missing; expected a Redis URL (redis://host:6379, rediss://… for TLS), or PROXYLESS_REDIS_URL in the environment');
  const password = env['PROXYLESS_REDIS_PASSWORD'];
  return { url, ...(flags.redisCa ? { caFile: flags.redisCa } : {}), ...(password ? { password } : {}) };
}

export const REDIS_HELP = `
Redis: --redis redis://[user:password@]host:port[/db] or rediss://… (TLS; --redis-ca <pem> for a
private CA). The URL may come from PROXYLESS_REDIS_URL and the password from PROXYLESS_REDIS_PASSWORD,
which keeps them out of \`ps\` and shell history; passwords are never printed or written to run
directories. See docs/scale-out.md.`;

export interface WorkerFlags extends RedisFlags {
  concurrency?: string;
  deviceName?: string;
  storage?: string;
  allowPlugin?: string[];
  queue?: string[];
  lockDuration?: string;
  stalledInterval?: string;
}

function positive(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag}: got ${JSON.stringify(v)}; expected a positive integer`);
  return n;
}

/** `proxyless worker --redis <url>`: runs jobs until SIGINT/SIGTERM, then finishes the running ones. */
export async function workerCommand(ctx: CommandContext, flags: WorkerFlags): Promise<number> {
  const { out, io } = ctx;
  const queues = flags.queue?.map((q) => {
    if (q !== 'latency' && q !== 'search') throw new UsageError(`--queue: got ${JSON.stringify(q)}; expected latency or search`);
    return q;
  });
  const concurrency = positive('--concurrency', flags.concurrency);
  const lockDurationMs = positive('--lock-duration', flags.lockDuration);
  const stalledIntervalMs = positive('--stalled-interval', flags.stalledInterval);
  let worker;
  try {
    worker = await runWorker({
      redis: redisTarget(flags, io.env),
      ...(concurrency ? { concurrency } : {}),
      ...(flags.deviceName ? { deviceName: flags.deviceName } : {}),
      ...(flags.storage ? { storageDir: flags.storage } : {}),
      ...(flags.allowPlugin ? { allowPlugins: flags.allowPlugin } : {}),
      ...(queues ? { queues } : {}),
      ...(lockDurationMs ? { lockDurationMs } : {}),
      ...(stalledIntervalMs ? { stalledIntervalMs } : {}),
      log: (m) => io.stderr.write(`${m}\n`),
    });
  } catch (err) {
    if (err instanceof Error && /--device-name|--redis/.test(err.message)) throw new UsageError(err.message);
    throw err;
  }
  const w = worker;
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(130);
      stopping = true;
      out.error(`proxyless: ${signal}: finishing the running jobs, then exiting (again to quit now; the jobs are then retried elsewhere)`);
      void w.close().then(resolveStop);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  out.result(`worker ${w.identity.id} stopped`);
  return 0;
}

/** Registers `proxyless worker`. */
export function registerWorkerCommand(program: Command, act: Act): Command {
  return program
    .command('worker')
    .description('take latency-measurement and search jobs from Redis (BullMQ) and run them; run one per machine (or per device) to scale out')
    .option('--redis <url>', 'Redis URL (default: PROXYLESS_REDIS_URL)')
    .option('--redis-ca <pem>', 'CA certificate for a rediss:// (TLS) server with a private CA')
    .option('--concurrency <n>', 'search jobs run at once (default 1); latency jobs always run alone')
    .option('--device-name <name>', 'the device this worker measures latency on; it takes that device\'s latency jobs (default: default)')
    .option('--storage <dir>', 'where run directories and measured entries are written; job paths stay inside it (default: the working directory)')
    .option('--allow-plugin <package...>', 'plugin packages a job may load besides core\'s built-ins (default: the @proxyless/* packages installed)')
    .option('--queue <name...>', 'take only these job kinds: latency, search (default both)')
    .option('--lock-duration <ms>', 'a job whose worker stops renewing its lock this long is retried elsewhere (default 30000)')
    .option('--stalled-interval <ms>', 'how often to look for such stalled jobs (default 30000)')
    .addHelpText(
      'after',
      `${REDIS_HELP}

Security: a config names plugins by package, and a package (or a file path in \`use\`) is code that
runs on the worker. A worker loads only core's built-ins and the --allow-plugin packages, rejects
any other job (it lands in the failed set with the reason), and writes only inside --storage.

Ctrl-C (or SIGTERM) finishes the running jobs, then exits; a killed worker's job is retried on
another worker once its lock expires.

Examples:
  $ proxyless worker --redis redis://queue.lan:6379 --device-name pixel7-wasm --storage /mnt/shared/proxyless
  $ PROXYLESS_REDIS_URL=rediss://worker:s3cret@queue.example.com:6380 proxyless worker --concurrency 2 --allow-plugin @proxyless/space-mbconv my-strategy`,
    )
    .action(act((ctx, opts: WorkerFlags) => workerCommand(ctx, opts)));
}
