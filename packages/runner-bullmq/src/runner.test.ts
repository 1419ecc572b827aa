import { Queue, QueueEvents } from 'bullmq';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisSkipReason, startRedis, type TestRedis } from '../test/redis-server.js';
import { redactUrl, redisOptions } from './connection.js';
import { applyOverrides, InvalidJob, latencyQueue, parseLatencyJob, parseSearchJob, parseTrainJob, SEARCH_QUEUE } from './jobs.js';
import { checkPlugins, insideStorage, installedProxylessPackages } from './security.js';
import { axisPoints, paretoFront } from './sweep.js';
import { runWorker, type RunningWorker } from './worker.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const config = { space: { use: '@proxyless/test-utils' }, data: { use: 'fashion-mnist' }, strategy: { use: '@proxyless/strategy-binaryconnect' } };

describe('connection', () => {
  it('reads host, port, db, user, password and TLS from the URL, and never prints the password', () => {
    const o = redisOptions({ url: 'rediss://alice:s%3Acret@queue.example.com:6380/2' });
    expect(o).toMatchObject({ host: 'queue.example.com', port: 6380, db: 2, username: 'alice', password: 's:cret', tls: { servername: 'queue.example.com' }, maxRetriesPerRequest: null });
    expect(redisOptions({ url: 'redis://h', password: 'fromenv' })).toMatchObject({ host: 'h', port: 6379, password: 'fromenv' });
    expect(redisOptions({ url: 'redis://h' }).tls).toBeUndefined();
    expect(redactUrl('rediss://alice:s3cret@queue.example.com:6380/2')).toBe('rediss://***:***@queue.example.com:6380/2');
    expect(() => redisOptions({ url: 'http://x:pw@h' })).toThrow(/expected redis: or rediss:/);
    expect(() => redisOptions({ url: 'http://x:topsecret@h' })).not.toThrow(/topsecret/);
  });
});

describe('job payloads', () => {
  it('validate with the config schemas and name the bad field', () => {
    expect(parseSearchJob({ v: 1, config, runDir: 'a' }).merged).toEqual(config);
    expect(() => parseSearchJob({ v: 1, config: { ...config, space: 42 }, runDir: 'a' })).toThrow(/config\.space: got 42/);
    expect(() => parseSearchJob({ v: 1, config, runDir: 'a', extra: 1 })).toThrow(InvalidJob);
    expect(() => parseSearchJob({ v: 2, config, runDir: 'a' })).toThrow(/v: got 2/);
    expect(() => parseLatencyJob({ v: 1, config: { space: { use: 'x' }, input: { shape: [28, 28], numClasses: 10 } }, keys: ['k'] })).toThrow(/config\.input\.shape/);
    expect(() => parseLatencyJob({ v: 1, config: { space: { use: 'x' }, input: { shape: [28, 28, 1], numClasses: 10 } }, keys: [] })).toThrow(/keys/);
    expect(parseTrainJob({ v: 1, runDir: 'r', options: { epochs: 2 } }).train.epochs).toBe(2);
    expect(() => parseTrainJob({ v: 1, runDir: 'r', options: { epochs: -1 } })).toThrow(/train job: epochs: got -1/);
    expect(() => parseTrainJob({ v: 1, runDir: 'r', options: { epoch: 2 } })).toThrow(/epoch/);
  });

  it('apply overrides at dotted paths, also under a slot given as a string', () => {
    const c = applyOverrides({ seed: 1, strategy: 'x', trainer: { use: 'search', options: { epochs: 3 } } }, { seed: 2, 'strategy.options.lr': 0.1, 'trainer.options.epochs': 1 });
    expect(c).toEqual({ seed: 2, strategy: { use: 'x', options: { lr: 0.1 } }, trainer: { use: 'search', options: { epochs: 1 } } });
    expect(() => applyOverrides({}, { '__proto__.polluted': 1 })).toThrow(InvalidJob);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('plugins load only from the allow-list (core built-ins always)', () => {
    const allow = new Set(['@proxyless/test-utils', '@proxyless/strategy-binaryconnect']);
    expect(() => checkPlugins({ ...config, trainer: { use: 'search' }, backend: 'cpu' }, allow)).not.toThrow();
    expect(() => checkPlugins({ ...config, strategy: { use: './evil.js' } }, allow)).toThrow(/config\.strategy\.use: got "\.\/evil\.js"/);
    expect(() => checkPlugins({ ...config, plugins: ['some-package'] }, allow)).toThrow(/config\.plugins\.0: got "some-package"/);
    const installed = installedProxylessPackages();
    expect(installed).toContain('@proxyless/latency');
    expect(installed).not.toContain('@proxyless/test-utils'); // private
  });

  it('paths from payloads stay inside the storage directory', () => {
    const root = tmp('proxyless-storage-');
    const outside = tmp('proxyless-outside-');
    symlinkSync(outside, join(root, 'link'));
    expect(insideStorage(root, 'sweeps/a/p0', 'runDir')).toBe(join(root, 'sweeps/a/p0'));
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '.', 'link/run']) expect(() => insideStorage(root, bad, 'runDir'), bad).toThrow(/runDir: got/);
  });
});

describe('sweep', () => {
  it('points are the product of the axes; the Pareto front keeps what nothing beats', () => {
    expect(axisPoints({ a: [1, 2], b: ['x', 'y'] })).toEqual([{ a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }]);
    const front = paretoFront([
      { accuracy: 0.9, latency: 10 },
      { accuracy: 0.8, latency: 5 },
      { accuracy: 0.7, latency: 7 }, // beaten by the second
      { accuracy: 0.9, latency: 12 }, // beaten by the first
      { accuracy: 0.95 }, // no latency: not on the front
    ]);
    expect([...front].sort()).toEqual([0, 1]);
  });
});

const skip = redisSkipReason();
if (skip) console.warn(`[runner-bullmq] ${skip}`);

describe.skipIf(skip !== undefined)('a worker against a real Redis', () => {
  let redis: TestRedis;
  let worker: RunningWorker;
  const storage = tmp('proxyless-worker-storage-');
  const lines: string[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    worker = await runWorker({ redis: { url: redis.url }, storageDir: storage, deviceName: 'dev1', allowPlugins: ['@proxyless/test-utils', '@proxyless/strategy-binaryconnect'], log: (m) => lines.push(m) });
  });
  afterAll(async () => {
    await worker?.close();
    await redis?.stop();
  });

  it('rejects malformed, unknown and unsafe jobs to the failed set with the reason, without running them', async () => {
    const connection = redisOptions({ url: redis.url });
    const search = new Queue(SEARCH_QUEUE, { connection });
    const latency = new Queue(latencyQueue('dev1'), { connection });
    const events = new QueueEvents(SEARCH_QUEUE, { connection });
    const latencyEvents = new QueueEvents(latencyQueue('dev1'), { connection });
    try {
      await Promise.all([events.waitUntilReady(), latencyEvents.waitUntilReady()]);
      // a plugin file that would leave a mark if it were ever imported
      mkdirSync(join(storage, 'plugins'), { recursive: true });
      const marker = join(storage, 'EVIL-RAN');
      writeFileSync(join(storage, 'plugins', 'evil.js'), `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x'); export default {};\n`);
      const cases: [Queue, string, unknown, RegExp][] = [
        [search, 'search', { v: 1, config: { ...config, space: 42 }, runDir: 'r1' }, /config\.space: got 42/],
        [search, 'rm-rf', { v: 1, config, runDir: 'r2' }, /unknown job "rm-rf"/],
        [search, 'search', { v: 1, config, runDir: '../escape' }, /runDir: got "\.\.\/escape"; expected a relative path inside/],
        [search, 'search', { v: 1, config: { ...config, strategy: { use: './plugins/evil.js' } }, runDir: 'r3' }, /plugins not allowed on this worker: config\.strategy\.use: got "\.\/plugins\/evil\.js"/],
        [latency, 'latency', { v: 1, config: { space: { use: '@proxyless/test-utils' }, input: { shape: [28, 28, 1], numClasses: 10 } }, keys: 'all' }, /keys: got "all"/],
      ];
      for (const [q, name, data, reason] of cases) {
        const job = await q.add(name, data, { attempts: 3 });
        const ev = q === search ? events : latencyEvents;
        await expect(job.waitUntilFinished(ev, 60_000)).rejects.toThrow(reason);
        const failed = await q.getJob(job.id!);
        expect(await failed!.getState()).toBe('failed');
        expect(failed!.failedReason).toMatch(reason);
        expect(failed!.attemptsMade, 'a malformed job is not retried').toBe(1);
      }
      expect(existsSync(marker), 'the plugin file was imported').toBe(false);
      expect(existsSync(join(storage, '..', 'escape'))).toBe(false);
      expect(readdirSync(storage).sort()).toEqual(['plugins']); // no run directory was created
      expect(lines.join('\n')).not.toMatch(/starting|measuring/);
    } finally {
      await Promise.all([events.close(), latencyEvents.close(), search.close(), latency.close()]);
    }
  });
});
