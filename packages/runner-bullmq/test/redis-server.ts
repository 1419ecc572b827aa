// Starts a real redis-server (Debian's package) for tests: loopback, a free port, its own temp dir,
// append-only persistence so that a test can kill and restart it without losing what it stored.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Path of redis-server, or undefined when it is not installed. */
export function redisServerPath(): string | undefined {
  for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** Why Redis tests are skipped, or undefined when they run. */
export const redisSkipReason = (): string | undefined =>
  redisServerPath() ? undefined : 'redis-server is not installed (apt-get install -y redis-server): the Redis tests are skipped';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Kills the server (SIGKILL: a crash) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (its append-only file reloaded). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `password`: require it (`requirepass`); the URL then carries it. */
export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
  const bin = redisServerPath();
  if (!bin) throw new Error('redis-server is not installed');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'proxyless-redis-'));
  let child: ChildProcess | undefined;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      const c = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, ...(opts.password ? ['--requirepass', opts.password] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) {
          c.stdout!.off('data', onData);
          c.stdout!.resume();
          resolve();
        }
      };
      c.stdout!.on('data', onData);
      c.stderr!.resume();
      c.on('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`)));
    });
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await gone;
  };
  await start();
  return { url: `redis://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}`, port, dir, kill, start, stop: kill };
}
