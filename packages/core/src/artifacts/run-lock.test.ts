// The run directory's lock: real lock files, a real second process as the holder.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockRunDirectory, RUN_LOCK_FILE, RunDirectoryLocked } from './run-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'proxyless-lock-'));

describe('lockRunDirectory', () => {
  it('records pid, host and command, refuses a second writer naming the holder, and is released', () => {
    const d = dir();
    const lock = lockRunDirectory(d, 'proxyless search');
    const holder = JSON.parse(readFileSync(join(d, RUN_LOCK_FILE), 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), command: 'proxyless search' });
    const err = (() => {
      try {
        lockRunDirectory(d, 'proxyless derive');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RunDirectoryLocked);
    expect((err as Error).message).toContain(`${d} is in use by proxyless search (pid ${process.pid} on ${hostname()}, since `);
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(join(d, RUN_LOCK_FILE))).toBe(false);
    lockRunDirectory(d, 'proxyless derive').release();
  });

  it('refuses a lock held by another live process on this host', async () => {
    const d = dir();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(d, RUN_LOCK_FILE), JSON.stringify({ pid: child.pid, host: hostname(), command: 'proxyless search --resume', since: '2026-01-01T00:00:00.000Z' }));
      expect(() => lockRunDirectory(d, 'proxyless search')).toThrow(`is in use by proxyless search --resume (pid ${child.pid} on ${hostname()}, since 2026-01-01T00:00:00.000Z)`);
      // a holder on another host cannot be checked: the message says which file to delete if it is gone
      writeFileSync(join(d, RUN_LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', command: 'proxyless search', since: 'x' }));
      expect(() => lockRunDirectory(d, 'proxyless search')).toThrow(`if that process is gone, delete ${join(d, RUN_LOCK_FILE)}`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes over a stale lock whose process is gone (kill -9, crash)', () => {
    const d = dir();
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(gone.stdout.trim());
    expect(Number.isInteger(pid)).toBe(true);
    writeFileSync(join(d, RUN_LOCK_FILE), JSON.stringify({ pid, host: hostname(), command: 'proxyless search', since: 'x' }));
    const lock = lockRunDirectory(d, 'proxyless search --resume');
    expect(JSON.parse(readFileSync(join(d, RUN_LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });
});
