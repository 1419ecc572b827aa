import { composeNetwork, composeRuntime, composeSearch, ConfigError, describeHostCpu, evaluateNetwork, ModelFiles, readArchitectureFile, saveModelDir, trainNetwork, loadConfigObject, RunFiles, Rng, validateConfig, type Runtime, type SearchConfigObject, type SearchResult } from '@proxyless/core';
import { buildLatencyTable, distinctOps, spaceOps, type LatencyEntry } from '@proxyless/latency';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { redactUrl, redisOptions, type RedisTarget } from './connection.js';
import { InvalidJob, JobNames, jobId, latencyQueue, parseLatencyJob, parseSearchJob, parseTrainJob, SEARCH_QUEUE, checkDeviceName, type LatencyJob } from './jobs.js';
import { checkPlugins, insideStorage, installedProxylessPackages } from './security.js';

export interface WorkerOptions {
  readonly redis: RedisTarget;
  /** Search jobs run at once (default 1). Latency jobs always run alone: concurrent timings would disturb each other. */
  readonly concurrency?: number;
  /** The device this worker measures latency on: it takes the jobs of that device's latency queue (default "default"). */
  readonly deviceName?: string;
  /** Where run directories and measured entries are written; paths in jobs stay inside it (default: the working directory). */
  readonly storageDir?: string;
  /** Plugin packages a job may load, besides core's built-ins (default: the @proxyless/* packages installed). */
  readonly allowPlugins?: readonly string[];
  /** Which queues to take jobs from (default both). */
  readonly queues?: readonly ('latency' | 'search')[];
  /** BullMQ lock duration: a job whose worker stops renewing its lock this long is stalled and retried elsewhere (default 30 000 ms). */
  readonly lockDurationMs?: number;
  /** How often workers look for stalled jobs (default 30 000 ms). */
  readonly stalledIntervalMs?: number;
  readonly log?: (message: string) => void;
}

/** Who ran a job: returned with every result, so coordinators can count per worker. */
export interface WorkerIdentity {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly device: string;
}

/** Redis keys `proxyless:worker:<device>:<id>` hold each running worker's announcement (30 s expiry, renewed every 10 s). */
export const WORKER_KEY_PREFIX = 'proxyless:worker:';

export interface WorkerAnnouncement extends WorkerIdentity {
  /** Host CPU model and core count. */
  readonly cpu: string;
  readonly queues: readonly string[];
  readonly concurrency: number;
  readonly since: string;
}

/** The workers running now (their announcements), of one device or all. */
export async function announcedWorkers(redis: RedisTarget, device?: string): Promise<WorkerAnnouncement[]> {
  const client = new Redis({ ...redisOptions(redis), maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: true });
  let lastError = '';
  client.on('error', (e: Error) => (lastError = e.message));
  try {
    await client.connect().catch((e: Error) => {
      throw new Error(`cannot reach Redis at ${redactUrl(redis.url)}: ${lastError || e.message}`);
    });
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${WORKER_KEY_PREFIX}${device ?? '*'}:*`, 'COUNT', 200);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const values = keys.length ? await client.mget(...keys) : [];
    return values.flatMap((v) => (v ? [JSON.parse(v) as WorkerAnnouncement] : [])).sort((a, b) => a.id.localeCompare(b.id));
  } finally {
    client.disconnect();
  }
}

export interface LatencyJobResult {
  readonly entries: Record<string, LatencyEntry>;
  readonly backend: string;
  readonly worker: WorkerIdentity;
}

export interface SearchJobResult {
  /** Run directory relative to the storage directory. */
  readonly runDir: string;
  readonly result: SearchResult;
  /** The result was already in the run directory (a retried or repeated job): nothing ran. */
  readonly reused: boolean;
  readonly worker: WorkerIdentity;
}

export interface TrainJobResult {
  /** Model directory relative to the storage directory. */
  readonly modelDir: string;
  readonly validationAccuracy: number;
  readonly testAccuracy?: number;
  readonly reused: boolean;
  readonly worker: WorkerIdentity;
}

export interface RunningWorker {
  readonly identity: WorkerIdentity;
  readonly allowPlugins: readonly string[];
  /** Stops taking jobs, waits for the running ones, closes the connections. */
  close(): Promise<void>;
}

/** Latency jobs run alone; search jobs up to `concurrency` at once, never during a latency job. */
class ExclusiveGate {
  private shared = 0;
  private exclusive = false;
  private waiters: (() => void)[] = [];
  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async run<T>(kind: 'shared' | 'exclusive', fn: () => Promise<T>): Promise<T> {
    while (this.exclusive || (kind === 'exclusive' && this.shared > 0)) await new Promise<void>((r) => this.waiters.push(r));
    if (kind === 'exclusive') this.exclusive = true;
    else this.shared++;
    try {
      return await fn();
    } finally {
      if (kind === 'exclusive') this.exclusive = false;
      else this.shared--;
      this.wake();
    }
  }
}

/** A job that can never succeed (bad payload, bad plugin options) fails at once: no retries. */
const invalid = (err: unknown): never => {
  if (err instanceof InvalidJob) throw new UnrecoverableError(err.message);
  if (err instanceof ConfigError || (err instanceof Error && err.name === 'ConfigError')) {
    const problems = (err as ConfigError).problems ?? [];
    throw new UnrecoverableError(`invalid config: ${problems.map((p) => `${p.path}: got ${p.value}; expected ${p.expected}`).join('; ') || err.message}`);
  }
  throw err;
};

/**
 * Starts a worker: takes latency jobs of its device and search jobs from Redis and runs them.
 * Every payload is validated (a malformed or unknown job fails at once, with the reason, and never
 * runs), plugins load only from the allow-list, paths stay inside `storageDir`, and results are
 * written to storage before the job completes.
 */
export async function runWorker(o: WorkerOptions): Promise<RunningWorker> {
  const device = checkDeviceName(o.deviceName ?? 'default');
  const storageDir = resolve(o.storageDir ?? '.');
  mkdirSync(storageDir, { recursive: true });
  const allowPlugins = [...(o.allowPlugins ?? installedProxylessPackages())];
  const allow = new Set(allowPlugins);
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const identity: WorkerIdentity = { id: `${hostname()}:${process.pid}`, host: hostname(), pid: process.pid, device };
  const connection = redisOptions(o.redis);
  const gate = new ExclusiveGate();
  const runtimes = new Map<string, Promise<Runtime>>();
  const common = {
    connection,
    autorun: false,
    ...(o.lockDurationMs ? { lockDuration: o.lockDurationMs } : {}),
    ...(o.stalledIntervalMs ? { stalledInterval: o.stalledIntervalMs } : {}),
    maxStalledCount: 3,
  };

  const runtimeFor = (c: LatencyJob['config']): Promise<Runtime> => {
    const key = JSON.stringify(c);
    let rt = runtimes.get(key);
    if (!rt) {
      rt = composeRuntime({ file: '<latency job>', configDir: storageDir, raw: c, seed: c.seed, ...(c.backend ? { backend: c.backend } : {}), input: c.input, space: c.space, log });
      rt.catch(() => runtimes.delete(key));
      runtimes.set(key, rt);
    }
    return rt;
  };

  const latency = async (job: Job): Promise<LatencyJobResult> => {
    if (job.name !== JobNames.latency) throw new UnrecoverableError(`unknown job ${JSON.stringify(job.name)} on queue ${latencyQueue(device)}; expected "${JobNames.latency}"`);
    let p: LatencyJob;
    try {
      p = parseLatencyJob(job.data);
      checkPlugins({ space: p.config.space, ...(p.config.backend ? { backend: p.config.backend } : {}) }, allow);
    } catch (err) {
      return invalid(err);
    }
    return gate.run('exclusive', async () => {
      log(`job ${job.id} (latency, ${p.keys.length} op${p.keys.length === 1 ? '' : 's'}): measuring${job.attemptsStarted > 1 ? ` (attempt ${job.attemptsStarted})` : ''}`);
      const rt = await runtimeFor(p.config).catch(invalid);
      const ops = distinctOps(spaceOps(rt.space, new Rng('latency-build-ops')));
      const unknown = p.keys.filter((k) => !ops.has(k));
      if (unknown.length) throw new UnrecoverableError(`latency job: keys: got ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected ops of ${rt.space.name} (${ops.size} distinct)`);
      // Entries are written to this file as they are measured: a retry on this storage resumes there.
      const file = join(storageDir, 'latency', device, `${jobId('entries', { backend: rt.backend.name, config: p.config, keys: p.keys, measure: p.measure })}.json`);
      const r = await buildLatencyTable({
        file,
        ops: p.keys.map((k) => ops.get(k)!),
        ...p.measure,
        onEntry: (e) => void job.updateProgress({ done: e.done, total: e.total, key: e.key }).catch(() => {}),
      });
      const entries = Object.fromEntries(p.keys.map((k) => [k, r.table.get(k)!]));
      log(`job ${job.id} (latency): done, ${r.measured.length} measured, ${r.kept} from an earlier attempt`);
      return { entries, backend: rt.backend.name, worker: identity };
    });
  };

  const train = async (job: Job): Promise<TrainJobResult> => {
    let runDir: string;
    let modelDir: string;
    let p: ReturnType<typeof parseTrainJob>;
    try {
      p = parseTrainJob(job.data);
      runDir = insideStorage(storageDir, p.runDir, 'runDir');
      modelDir = insideStorage(storageDir, p.out ?? join(p.runDir, 'model'), 'out');
    } catch (err) {
      return invalid(err);
    }
    const rel = relative(storageDir, modelDir);
    const metricsFile = join(modelDir, ModelFiles.metrics);
    if (existsSync(metricsFile)) {
      const m = JSON.parse(readFileSync(metricsFile, 'utf8')) as { train: { validationAccuracy: number }; test?: { accuracy: number } };
      log(`job ${job.id} (train ${rel}): already trained, result reused`);
      return { modelDir: rel, validationAccuracy: m.train.validationAccuracy, ...(m.test ? { testAccuracy: m.test.accuracy } : {}), reused: true, worker: identity };
    }
    const architectureFile = join(runDir, RunFiles.architecture);
    // not there yet: the search has not finished (a normal failure, retried)
    if (!existsSync(architectureFile)) throw new Error(`train job: ${relative(storageDir, architectureFile)} does not exist (has the search finished?)`);
    try {
      const record = readArchitectureFile(architectureFile);
      checkPlugins({ space: record.space, ...(record.backend ? { backend: record.backend } : {}), ...(record.data ? { data: record.data } : {}) }, allow);
    } catch (err) {
      return invalid(err);
    }
    return gate.run('shared', async () => {
      log(`job ${job.id} (train ${rel}): training ${p.train.epochs} epoch(s)`);
      const { network, dataset, record } = await composeNetwork({ architectureFile, log: (m) => log(`job ${job.id}: ${m}`) }).catch(invalid);
      const t0 = Date.now();
      const last = await trainNetwork(network, dataset, p.train, { seed: record.seed });
      const test = dataset.test && dataset.test.size > 0 ? evaluateNetwork(network, dataset.test) : undefined;
      const metrics = { options: p.train, workers: 1, train: last, ...(test ? { test } : {}), seconds: (Date.now() - t0) / 1000 };
      // metrics.json is written last: its presence marks a finished model directory
      saveModelDir(modelDir, { network, record: { ...record, $source: record.$source ?? { file: architectureFile, dir: runDir } }, metrics });
      for (const v of network.variables()) v.variable.dispose();
      log(`job ${job.id} (train ${rel}): done, test accuracy ${test ? test.accuracy.toFixed(4) : '—'}`);
      return { modelDir: rel, validationAccuracy: last.validationAccuracy, ...(test ? { testAccuracy: test.accuracy } : {}), reused: false, worker: identity };
    });
  };

  const search = async (job: Job): Promise<SearchJobResult | TrainJobResult> => {
    if (job.name === JobNames.train) return train(job);
    if (job.name !== JobNames.search) throw new UnrecoverableError(`unknown job ${JSON.stringify(job.name)} on queue ${SEARCH_QUEUE}; expected "${JobNames.search}" or "${JobNames.train}"`);
    let runDir: string;
    let merged: Record<string, unknown>;
    try {
      const p = parseSearchJob(job.data);
      checkPlugins(p.merged, allow);
      runDir = insideStorage(storageDir, p.runDir, 'runDir');
      merged = p.merged;
      // every plugin resolved (allow-listed ones only) and its options validated before anything runs
      await validateConfig(loadConfigObject(merged, storageDir));
    } catch (err) {
      return invalid(err);
    }
    const rel = relative(storageDir, runDir);
    return gate.run('shared', async () => {
      const resultFile = join(runDir, RunFiles.result);
      if (existsSync(resultFile)) {
        log(`job ${job.id} (search ${rel}): already finished, result reused`);
        return { runDir: rel, result: JSON.parse(readFileSync(resultFile, 'utf8')) as SearchResult, reused: true, worker: identity };
      }
      const resume = existsSync(join(runDir, RunFiles.checkpoint)) && existsSync(join(runDir, RunFiles.config));
      log(`job ${job.id} (search ${rel}): ${resume ? 'resuming from its checkpoint' : 'starting'}${job.attemptsStarted > 1 ? ` (attempt ${job.attemptsStarted})` : ''}`);
      const prefix = (m: string) => log(`job ${job.id}: ${m}`);
      const composed = await composeSearch(resume ? { resume: runDir, log: prefix } : { config: merged as unknown as SearchConfigObject, baseDir: storageDir, runDir, log: prefix }).catch(invalid);
      composed.session.hooks.beforeSearch.tap('runner-bullmq:resume', (start) => {
        const r = start.resumedFrom;
        if (r) prefix(`resuming at epoch ${r.epoch + 1}/${start.epochs}, batch ${r.batch}/${start.batchesPerEpoch} (step ${r.step})`);
      });
      composed.session.hooks.afterEpoch.tapPromise('runner-bullmq:progress', async (s) => {
        await job.updateProgress({ epoch: s.epoch }).catch(() => {});
      });
      const result = await composed.session.run(composed.resume);
      // the run directory plugin wrote result.json before run() returned: the result is in storage
      if (!existsSync(resultFile)) throw new Error(`search ${rel} finished without writing ${RunFiles.result}`);
      log(`job ${job.id} (search ${rel}): done in ${result.seconds.toFixed(1)} s`);
      return { runDir: rel, result, reused: false, worker: identity };
    });
  };

  const which = new Set(o.queues ?? ['latency', 'search']);
  const workers: Worker[] = [];
  if (which.has('latency')) workers.push(new Worker(latencyQueue(device), latency, { ...common, concurrency: 1 }));
  if (which.has('search')) workers.push(new Worker(SEARCH_QUEUE, search, { ...common, concurrency: Math.max(1, o.concurrency ?? 1) }));
  for (const w of workers) {
    w.on('failed', (job, err) => log(`job ${job?.id ?? '?'} (${w.name}) failed: ${err.message}`));
    w.on('error', (err) => log(`worker error (${w.name}): ${err.message}`));
    void w.run();
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  log(
    `worker ${identity.id} ready: device ${device}, queues ${workers.map((w) => w.name).join(', ')}, storage ${storageDir}, redis ${redactUrl(o.redis.url)}; plugins allowed: core built-ins${allowPlugins.length ? `, ${allowPlugins.join(', ')}` : ''}`,
  );
  // Announce the worker (device, host CPU, queues) for coordinators; the key expires if it dies.
  const client = new Redis(connection);
  client.on('error', () => {}); // reconnects by itself; the job connections report errors
  const announcement: WorkerAnnouncement = { ...identity, cpu: describeHostCpu(), queues: workers.map((w) => w.name), concurrency: Math.max(1, o.concurrency ?? 1), since: new Date().toISOString() };
  const key = `${WORKER_KEY_PREFIX}${device}:${identity.id}`;
  const announce = () => client.set(key, JSON.stringify(announcement), 'EX', 30).catch(() => {});
  await announce();
  const timer = setInterval(() => void announce(), 10_000);
  timer.unref();
  let closing: Promise<void> | undefined;
  return {
    identity,
    allowPlugins,
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        await Promise.all(workers.map((w) => w.close()));
        await client.del(key).catch(() => {});
        client.disconnect();
      })()),
  };
}
