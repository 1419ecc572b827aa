import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';

/** How to reach Redis: a URL plus the TLS material a URL cannot carry. */
export interface RedisTarget {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://…` for TLS. */
  readonly url: string;
  /** PEM file of the CA that signed the server's certificate (TLS; default: the system's CAs). */
  readonly caFile?: string;
  /** Password when it is not in the URL (keeps it out of `ps` and shell history); e.g. from PROXYLESS_REDIS_PASSWORD. */
  readonly password?: string;
}

/**
 * ioredis options for BullMQ from a Redis URL: host, port, db, user, password, and TLS for
 * `rediss://`. `maxRetriesPerRequest: null` as BullMQ workers require: a lost connection is retried
 * for ever (a Redis restart pauses the workers instead of failing their jobs).
 */
export function redisOptions(target: RedisTarget): RedisOptions {
  let u: URL;
  try {
    u = new URL(target.url);
  } catch {
    throw new Error(`--redis: got ${JSON.stringify(redactUrl(target.url))}; expected a URL like redis://host:6379 or rediss://user:password@host:6380/0`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`--redis: got protocol ${JSON.stringify(u.protocol)} in ${redactUrl(target.url)}; expected redis: or rediss: (TLS)`);
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`--redis: got database ${JSON.stringify(db)} in ${redactUrl(target.url)}; expected a number (redis://host:6379/0)`);
  const password = u.password ? decodeURIComponent(u.password) : target.password;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(password ? { password } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname, ...(target.caFile ? { ca: readFileSync(target.caFile) } : {}) } } : {}),
    maxRetriesPerRequest: null,
    // reconnect quickly, at most every 2 s, for ever
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}

/** A Redis URL fit to print: the password (and a user name) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    if (u.username) u.username = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
