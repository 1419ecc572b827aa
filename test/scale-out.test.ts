// Scale-out on BullMQ: a real redis-server (loopback, free port, temp dir) and real `proxyless worker`
// processes. A distributed latency table has the keys of a local one; a sweep of 4 tiny searches
// ends in one table and one report; a malformed job lands in the failed set; a Redis crash and
// restart mid-sweep loses nothing; a worker SIGKILLed mid-job has its job finished by another.
import { readLatencyTable } from '@proxyless/latency';
import { latencyQueue, redisOptions, SEARCH_QUEUE } from '@proxyless/runner-bullmq';
import { Queue, QueueEvents } from 'bullmq';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess, spawnCli, type Spawned } from '../packages/cli/test/run-cli.js';
import { redisSkipReason, startRedis, type TestRedis } from '../packages/runner-bullmq/test/redis-server.js';
import { subsetDir, tempDir, writeConfig } from './helpers.js';

const skip = redisSkipReason();
if (skip) console.warn(`[scale-out] ${skip}`);

const space = { use: '@proxyless/test-utils', options: { stem: 4, blocks: [{ width: 4, stride: 2 }, { width: 4, stride: 1 }], kernels: [3, 5] } };
const latencyConfig = { space, input: { shape: [28, 28, 1], numClasses: 10 } };
const FAST = ['--min-duration-ms', '5', '--min-runs', '2', '--warmup', '1'];
const searchConfig = (train: number, epochs: number) => ({
  seed: 7,
  backend: { use: '@proxyless/backend-wasm' },
  data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train, test: 32 }, validation: 32 } },
  space,
  strategy: { use: '@proxyless/strategy-binaryconnect', options: { lr: 0.05 } },
  latency: { use: '@proxyless/latency', name: 'flops' },
  trainer: { use: 'search', options: { epochs, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, checkpointEvery: 2 } },
});
const ALLOW = ['--allow-plugin', '@proxyless/backend-wasm', '@proxyless/test-utils', '@proxyless/strategy-binaryconnect', '@proxyless/latency'];
const json = (s: string) => JSON.parse(s) as Record<string, unknown>;

describe.skipIf(skip !== undefined)('scale-out on BullMQ with real worker processes', () => {
  let redis: TestRedis;
  const dir = tempDir('proxyless-scale-');
  const storage = join(dir, 'storage');
  const workers: Spawned[] = [];
  const startWorker = async () => {
    const w = spawnCli(['worker', '--redis', redis.url, '--storage', storage, ...ALLOW, '--lock-duration', '4000', '--stalled-interval', '1000'], { cwd: dir });
    await w.waitForStderr(/worker \S+ ready/);
    workers.push(w);
    return w;
  };
  const logs = () => workers.map((w) => w.stderr()).join('\n');

  beforeAll(async () => {
    redis = await startRedis();
    await Promise.all([startWorker(), startWorker()]);
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await redis?.stop();
  });

  it('a distributed latency table has the keys of a local one; a rerun enqueues nothing', async () => {
    const config = writeConfig(dir, latencyConfig, 'latency.json');
    const local = await runCliProcess(['latency', 'build', config, '--out', join(dir, 'local.yaml'), ...FAST], { cwd: dir });
    expect(local.code, local.stderr).toBe(0);
    const dist = await runCliProcess(['latency', 'build', config, '--out', join(dir, 'dist.yaml'), '--redis', redis.url, ...FAST, '--json'], { cwd: dir });
    expect(dist.code, dist.stderr).toBe(0);
    const keys = (f: string) => [...readLatencyTable(join(dir, f)).keys()].sort();
    expect(keys('dist.yaml')).toEqual(keys('local.yaml'));
    expect(keys('dist.yaml').length).toBe(6);
    const r = json(dist.stdout);
    expect(r).toMatchObject({ measured: 6, kept: 0, remaining: 0, failed: [] });
    expect(Object.values(r['perWorker'] as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(6);
    const again = await runCliProcess(['latency', 'build', config, '--out', join(dir, 'dist.yaml'), '--redis', redis.url, ...FAST, '--json'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(json(again.stdout)).toMatchObject({ measured: 0, kept: 6, remaining: 0 });
  });

  it('a sweep of 4 tiny searches ends in one table and one report with the Pareto front; a rerun runs nothing', async () => {
    writeConfig(dir, searchConfig(128, 2), 'base.json');
    const sweepFile = writeConfig(dir, { name: 'tiny', base: 'base.json', axes: { seed: [1, 2], 'strategy.options.lr': [0.01, 0.1] }, retrain: { epochs: 1, maxBatchesPerEpoch: 2 } }, 'sweep.json');
    const r = await runCliProcess(['sweep', sweepFile, '--redis', redis.url, '--storage', storage, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = json(r.stdout) as { rows: { id: string; runDir: string; validationAccuracy?: number; testAccuracy?: number; latency?: number; pareto: boolean }[] };
    expect(out.rows).toHaveLength(4);
    for (const row of out.rows) {
      expect(row.validationAccuracy).toBeGreaterThanOrEqual(0);
      // retrained from scratch on a worker: a model directory with its test accuracy
      expect(row.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(row.testAccuracy).toBeLessThanOrEqual(1);
      const metrics = JSON.parse(readFileSync(join(storage, row.runDir, 'model', 'metrics.json'), 'utf8')) as { test: { accuracy: number; count: number } };
      expect(metrics.test.accuracy).toBe(row.testAccuracy);
      expect(existsSync(join(storage, row.runDir, 'model', 'weights.ckpt'))).toBe(true);
      expect(row.latency).toBeGreaterThan(0);
      expect(existsSync(join(storage, row.runDir, 'result.json'))).toBe(true);
    }
    expect(out.rows.some((x) => x.pareto)).toBe(true);
    const table = JSON.parse(readFileSync(join(storage, 'sweeps/tiny/sweep.json'), 'utf8')) as { rows: unknown[] };
    expect(table.rows).toEqual(out.rows);
    const html = readFileSync(join(storage, 'sweeps/tiny/report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('test accuracy (retrained)');
    for (const row of out.rows) expect(html).toContain(row.id);
    expect(readFileSync(join(storage, 'sweeps/tiny/sweep.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
    const started = (logs().match(/\(search sweeps\/tiny\/\S+\): starting/g) ?? []).length;
    expect(started).toBe(4);
    const trained = () => (logs().match(/\(train sweeps\/tiny\/\S+\): training/g) ?? []).length;
    expect(trained()).toBe(4);
    const again = await runCliProcess(['sweep', sweepFile, '--redis', redis.url, '--storage', storage], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/4 points .*, 4 already finished/);
    for (const row of out.rows) expect(again.stdout).toContain(row.id);
    expect(JSON.parse(readFileSync(join(storage, 'sweeps/tiny/sweep.json'), 'utf8'))).toEqual(table);
    expect((logs().match(/\(search sweeps\/tiny\/\S+\): starting/g) ?? []).length).toBe(4);
    expect(trained()).toBe(4);
  });

  it('a malformed job goes to the failed set with the reason and never runs', async () => {
    const connection = redisOptions({ url: redis.url });
    const queue = new Queue(SEARCH_QUEUE, { connection });
    const events = new QueueEvents(SEARCH_QUEUE, { connection });
    try {
      await events.waitUntilReady();
      const job = await queue.add('search', { v: 1, config: { ...searchConfig(128, 1), trainer: { use: 'search', options: { epochs: 'many' } } }, runDir: 'bad' }, { attempts: 3 });
      await expect(job.waitUntilFinished(events, 60_000)).rejects.toThrow(/invalid config: trainer\.options\.epochs: got "many"/);
      const failed = await queue.getJob(job.id!);
      expect(await failed!.getState()).toBe('failed');
      expect(failed!.attemptsMade).toBe(1);
      expect(existsSync(join(storage, 'bad'))).toBe(false);
    } finally {
      await events.close();
      await queue.close();
    }
  });

  it('a search that fails on every attempt ends in the failed set; the sweep shows its error and exits 1', async () => {
    const empty = tempDir('proxyless-scale-nodata-');
    const base = { ...searchConfig(128, 1), data: { use: 'fashion-mnist', options: { dir: empty, limit: { train: 128, test: 32 }, validation: 32 } } };
    const sweepFile = writeConfig(dir, { name: 'fails', base, axes: { seed: [1] } }, 'sweep-fails.json');
    const r = await runCliProcess(['sweep', sweepFile, '--redis', redis.url, '--storage', storage, '--attempts', '2'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/point p000-\S+ failed after 2 attempt\(s\): .*train-images-idx3-ubyte/);
    expect(r.stdout).toMatch(/p000-\S+ +seed=1 +not finished/);
  });

  it('a Redis crash and restart mid-sweep loses nothing and runs no point twice', async () => {
    writeConfig(dir, searchConfig(320, 3), 'base-long.json');
    const sweepFile = writeConfig(dir, { name: 'restart', base: 'base-long.json', axes: { seed: [1, 2, 3, 4] } }, 'sweep-restart.json');
    const sweep = spawnCli(['sweep', sweepFile, '--redis', redis.url, '--storage', storage, '--json'], { cwd: dir });
    const firstDone = () => /\(search sweeps\/restart\/\S+\): done in/.test(logs());
    while (!firstDone()) await new Promise((r) => setTimeout(r, 200));
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const r = await sweep.done;
    expect(r.code, r.stderr).toBe(0);
    const out = json(r.stdout) as { rows: { id: string; runDir: string; validationAccuracy?: number }[] };
    expect(out.rows).toHaveLength(4);
    for (const row of out.rows) {
      expect(existsSync(join(storage, row.runDir, 'result.json'))).toBe(true);
      expect(row.validationAccuracy).toBeGreaterThanOrEqual(0);
      const finished = logs().match(new RegExp(`\\(search ${row.runDir.replace(/\//g, '\\/')}\\): done in`, 'g')) ?? [];
      expect(finished, `${row.runDir} ran to the end more than once`).toHaveLength(1);
    }
  });

  it('a worker SIGKILLed mid-job: the job is finished by another worker, with one entry', async () => {
    const config = writeConfig(dir, latencyConfig, 'latency.json');
    const file = join(dir, 'killed.yaml');
    const seen = workers.map((w) => w.stderr().length);
    const build = spawnCli(['latency', 'build', config, '--out', file, '--redis', redis.url, '--min-duration-ms', '1500', '--min-runs', '2', '--warmup', '1', '--json'], { cwd: dir });
    let victim: Spawned | undefined;
    let id: string | undefined;
    while (!victim) {
      for (const [i, w] of workers.entries()) {
        const m = /job (\S+) \(latency, 1 op\): measuring/.exec(w.stderr().slice(seen[i]));
        if (m && w.child.exitCode === null) [victim, id] = [w, m[1]];
      }
      if (build.child.exitCode !== null) throw new Error(`latency build ended before a job started:\n${build.stderr()}`);
      if (!victim) await new Promise((r) => setTimeout(r, 100));
    }
    victim.child.kill('SIGKILL');
    const r = await build.done;
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ measured: 6, remaining: 0, failed: [] });
    expect(victim.stderr()).not.toContain(`job ${id} (latency): done`);
    const survivor = workers.find((w) => w !== victim && w.child.exitCode === null)!;
    expect(survivor.stderr()).toContain(`job ${id} (latency): done`);
    const table = readLatencyTable(file);
    expect(table.size).toBe(6);
    const job = await (async () => {
      const q = new Queue(latencyQueue('default'), { connection: redisOptions({ url: redis.url }) });
      try {
        const j = await q.getJob(id!);
        return { state: await j!.getState(), started: j!.attemptsStarted, key: (j!.data as { keys: string[] }).keys[0]! };
      } finally {
        await q.close();
      }
    })();
    expect(job.state).toBe('completed');
    expect(job.started).toBeGreaterThanOrEqual(2);
    expect(table.has(job.key)).toBe(true);
    // one entry for the key in the file, not two
    expect(readFileSync(file, 'utf8').split(job.key).length - 1).toBe(1);
  });

  it('a worker SIGKILLed mid-search: another worker resumes the search from its checkpoint', async () => {
    await startWorker(); // two live workers again
    writeConfig(dir, searchConfig(320, 3), 'base-kill.json');
    const sweepFile = writeConfig(dir, { name: 'kill', base: 'base-kill.json', axes: { seed: [11] } }, 'sweep-kill.json');
    const seen = workers.map((w) => w.stderr().length);
    const sweep = spawnCli(['sweep', sweepFile, '--redis', redis.url, '--storage', storage, '--json'], { cwd: dir });
    let victim: Spawned | undefined;
    let runDir = '';
    while (!victim) {
      for (const [i, w] of workers.entries()) {
        const m = /\((search (sweeps\/kill\/\S+))\): starting/.exec(w.stderr().slice(seen[i]));
        if (m && w.child.exitCode === null) [victim, runDir] = [w, join(storage, m[2]!)];
      }
      if (sweep.child.exitCode !== null) throw new Error(`sweep ended before its search started:\n${sweep.stderr()}`);
      if (!victim) await new Promise((r) => setTimeout(r, 100));
    }
    while (!existsSync(join(runDir, 'checkpoint.ckpt'))) await new Promise((r) => setTimeout(r, 50));
    victim.child.kill('SIGKILL');
    const r = await sweep.done;
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(runDir, 'result.json'))).toBe(true);
    expect(victim.stderr()).not.toMatch(/sweeps\/kill\/\S+\): done in/);
    const others = workers.filter((w) => w !== victim).map((w) => w.stderr()).join('\n');
    expect(others).toMatch(/\(search sweeps\/kill\/\S+\): resuming from its checkpoint \(attempt [2-9]\)/);
    expect(others).toMatch(/resuming at epoch \d\/3, batch \d+\/\d+/);
    // every weight step of the run is in metrics.jsonl exactly once (the resume dropped what the checkpoint did not cover)
    const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: number }).filter((m) => m.type === 'step').map((m) => m.step);
    expect(steps.length).toBeGreaterThan(0);
    expect(new Set(steps).size).toBe(steps.length);
  });
});

describe.skipIf(skip !== undefined)('Redis credentials', () => {
  it('a password (in the URL or PROXYLESS_REDIS_PASSWORD) is never printed nor stored', async () => {
    const secret = 'pw-Zq81xK';
    const redis = await startRedis({ password: secret });
    const dir = tempDir('proxyless-scale-pw-');
    const storage = join(dir, 'storage');
    const worker = spawnCli(['worker', '--redis', redis.url, '--storage', storage, '--queue', 'latency', ...ALLOW], { cwd: dir });
    try {
      await worker.waitForStderr(/worker \S+ ready/);
      expect(worker.stderr()).toMatch(/redis redis:\/\/:\*\*\*@127\.0\.0\.1:\d+/);
      const config = writeConfig(dir, latencyConfig, 'latency.json');
      const bare = redis.url.replace(/:[^:@/]*@/, '');
      const build = await runCliProcess(['latency', 'build', config, '--out', join(dir, 't.yaml'), '--redis', bare, ...FAST], { cwd: dir, env: { PROXYLESS_REDIS_PASSWORD: secret } });
      expect(build.code, build.stderr).toBe(0);
      expect(build.stdout).toMatch(/6 entries measured/);
      const wrong = await runCliProcess(['latency', 'build', config, '--out', join(dir, 't2.yaml'), '--redis', bare.replace('redis://', 'redis://:wrong-pw@'), ...FAST], { cwd: dir });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).not.toContain('wrong-pw');
      const printed = worker.stderr() + build.stdout + build.stderr + wrong.stderr;
      expect(printed).not.toContain(secret);
      const { readdirSync, statSync } = await import('node:fs');
      const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
      const files = walk(dir);
      expect(files.length).toBeGreaterThan(2);
      for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(secret);
      // SIGTERM: the worker finishes its (no) running jobs, closes its connections and exits 0
      worker.child.kill('SIGTERM');
      const stopped = await worker.done;
      expect(stopped.code, stopped.stderr).toBe(0);
      expect(stopped.stdout).toMatch(/worker \S+ stopped/);
    } finally {
      worker.child.kill('SIGKILL');
      await redis.stop();
    }
  });
});

describe('scale-out command lines', () => {
  it('a missing --redis, a bad device name and a bad sweep file exit with 2 and say what was expected', async () => {
    const dir = tempDir('proxyless-scale-cli-');
    const noRedis = await runCliProcess(['worker'], { cwd: dir, env: { PROXYLESS_REDIS_URL: '' } });
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toMatch(/--redis: missing; expected a Redis URL/);
    const device = await runCliProcess(['worker', '--redis', 'redis://127.0.0.1:1', '--device-name', 'my phone'], { cwd: dir });
    expect(device.code).toBe(2);
    expect(device.stderr).toMatch(/--device-name: got "my phone"; expected 1–64 letters/);
    const sweep = writeConfig(dir, { base: {}, axes: { 'strategy.options.lr': [] } }, 'sweep.json');
    const bad = await runCliProcess(['sweep', sweep, '--redis', 'redis://127.0.0.1:1'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/axes\.strategy\.options\.lr/);
    const help = await runCliProcess(['sweep', '--help'], { cwd: dir });
    expect(help.stdout).toMatch(/Pareto/);
  });
});
