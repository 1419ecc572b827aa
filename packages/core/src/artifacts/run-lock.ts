import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The lock file inside a run directory. */
export const RUN_LOCK_FILE = '.proxyless.lock';

/** Who holds a run directory's lock (the lock file's JSON). */
export interface RunLockHolder {
  readonly pid: number;
  readonly host: string;
  readonly command: string;
  readonly since: string;
}

/** A second writer on a run directory: names the process that holds it. */
export class RunDirectoryLocked extends Error {
  constructor(
    readonly dir: string,
    readonly holder: RunLockHolder | undefined,
  ) {
    const who = holder ? `${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : 'another proxyless process (its lock file is unreadable)';
    super(
      `${dir} is in use by ${who}: one writer per run directory — wait for it to end or stop it` +
        `${holder && holder.host !== hostname() ? `; if that process is gone, delete ${join(dir, RUN_LOCK_FILE)}` : ''}`,
    );
    this.name = 'RunDirectoryLocked';
  }
}

/** An exclusive lock on a run directory; `release` is idempotent. */
export interface RunLock {
  readonly file: string;
  release(): void;
}

const held = new Map<string, RunLock>();
let exitHook = false;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readHolder(file: string): RunLockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunLockHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string') return { pid: h.pid, host: h.host, command: String(h.command ?? 'proxyless'), since: String(h.since ?? '?') };
  } catch {
    // torn or foreign file: treated as held by an unknown process
  }
  return undefined;
}

/**
 * Takes the exclusive lock of the run directory `dir` (which must exist) for `command`: the lock
 * file `.proxyless.lock` records pid, host, command and start time, and is created with `O_EXCL`
 * (`wx`), so two processes can never both hold it. A lock left by a process that is gone (kill -9,
 * a crash, a power cut) is stale when its host is this machine and its pid no longer runs: it is
 * taken over. The lock is not re-entrant: a second writer in this same process fails too. It is released
 * by `release()` and, at the latest, when the process exits.
 *
 * Why not `proper-lockfile`: its staleness test is the lock's mtime, refreshed by a timer. A search
 * keeps the event loop busy with synchronous tensor work for seconds at a time (long steps on large
 * spaces), so the timer would starve and the lock be declared stale while its holder still writes;
 * and after a kill -9 a resume would have to wait out the stale period. The holder's pid on the same
 * host answers both exactly, which is what a run directory (a local folder) needs.
 */
export function lockRunDirectory(dir: string, command: string): RunLock {
  const file = join(dir, RUN_LOCK_FILE);
  const me: RunLockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(file);
      const stale = holder !== undefined && holder.host === me.host && holder.pid !== process.pid && !alive(holder.pid);
      // (Two processes taking over the same stale lock at once: each removes it and creates its own with O_EXCL; one of them loses.)
      if (!stale || attempt > 0) throw new RunDirectoryLocked(dir, holder);
      rmSync(file, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me) + '\n');
    } finally {
      closeSync(fd);
    }
    break;
  }
  const lock: RunLock = {
    file,
    release: () => {
      if (held.get(file) !== lock) return; // released already
      held.delete(file);
      const h = readHolder(file);
      if (h && h.pid === process.pid && h.host === me.host) rmSync(file, { force: true });
    },
  };
  held.set(file, lock);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const l of [...held.values()]) l.release();
    });
  }
  return lock;
}
