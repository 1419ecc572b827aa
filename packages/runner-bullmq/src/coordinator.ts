import { Queue, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { WorkerIdentity } from './worker.js';

/** One job a coordinator wants done: its content-derived id, job name and payload. */
export interface Task {
  readonly id: string;
  readonly name: string;
  readonly data: unknown;
  /** True when the result is already in storage (nothing to enqueue). */
  readonly isDone?: () => boolean;
}

export interface TrackProgress {
  readonly queue: string;
  readonly total: number;
  readonly done: number;
  readonly active: number;
  readonly waiting: number;
  readonly failed: number;
  /** Jobs finished per worker id (in this run of the coordinator). */
  readonly perWorker: ReadonlyMap<string, number>;
}

export interface FailedTask {
  readonly id: string;
  readonly reason: string;
  readonly attempts: number;
}

export interface TrackOptions<R> {
  readonly connection: RedisOptions;
  readonly queue: string;
  readonly tasks: readonly Task[];
  /** Tries per job before it lands in the failed set (default 3). A malformed job fails at once. */
  readonly attempts?: number;
  readonly pollMs?: number;
  /** Called once per task whose job completed, with the worker's return value; awaited. */
  readonly onResult?: (task: Task, value: R, job: Job) => void | Promise<void>;
  readonly onProgress?: (p: TrackProgress) => void;
  readonly signal?: AbortSignal;
}

export interface TrackResult {
  readonly total: number;
  /** Done before this run (results already in storage). */
  readonly already: number;
  readonly completed: number;
  readonly failed: readonly FailedTask[];
  /** Tasks left (stopped by the signal). */
  readonly remaining: number;
  readonly perWorker: ReadonlyMap<string, number>;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
  });

/**
 * Enqueues every task not done yet and follows them until each completed or failed for good. Job
 * ids come from the content, so a rerun (or a second coordinator) adds nothing twice; a task whose
 * job vanished from Redis (a restart without persistence) is enqueued again; a job left in the
 * failed set by an earlier run is retried. The coordinator can be killed at any time: results live in
 * storage or in the completed jobs, and a rerun picks them up.
 */
export async function trackTasks<R>(o: TrackOptions<R>): Promise<TrackResult> {
  const queue = new Queue(o.queue, { connection: o.connection });
  const attempts = o.attempts ?? 3;
  const add = (t: Task) => queue.add(t.name, t.data, { jobId: t.id, attempts, backoff: { type: 'fixed', delay: 1000 }, removeOnFail: false, removeOnComplete: false });
  const perWorker = new Map<string, number>();
  const failed: FailedTask[] = [];
  let completed = 0;
  try {
    const pending = new Map<string, Task>();
    let already = 0;
    for (const t of o.tasks) {
      if (t.isDone?.()) {
        already++;
        continue;
      }
      pending.set(t.id, t);
      const job = await queue.getJob(t.id);
      if (!job) await add(t);
      else if ((await job.getState()) === 'failed') await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
    let last = '';
    while (pending.size > 0 && !o.signal?.aborted) {
      let active = 0;
      let waiting = 0;
      for (const [id, t] of [...pending]) {
        const job = await queue.getJob(id);
        if (!job) {
          if (t.isDone?.()) {
            pending.delete(id);
            completed++;
          } else await add(t);
          waiting++;
          continue;
        }
        const state = await job.getState();
        if (state === 'completed') {
          const value = job.returnvalue as R & { worker?: WorkerIdentity };
          await o.onResult?.(t, value, job);
          const w = value?.worker?.id ?? 'unknown';
          perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
          pending.delete(id);
          completed++;
        } else if (state === 'failed') {
          failed.push({ id, reason: job.failedReason ?? 'unknown', attempts: job.attemptsMade });
          pending.delete(id);
        } else if (state === 'active') active++;
        else waiting++;
      }
      const p: TrackProgress = { queue: o.queue, total: o.tasks.length, done: already + completed, active, waiting, failed: failed.length, perWorker };
      const key = JSON.stringify([p.done, active, waiting, failed.length]);
      if (key !== last) o.onProgress?.(p);
      last = key;
      if (pending.size > 0) await sleep(o.pollMs ?? 500, o.signal);
    }
    return { total: o.tasks.length, already, completed, failed, remaining: pending.size, perWorker };
  } finally {
    await queue.close();
  }
}

/** "3/10 done, 2 running, 5 waiting, 0 failed; workers: a:12 2, b:40 1". */
export function progressLine(label: string, p: TrackProgress): string {
  const workers = [...p.perWorker].map(([w, n]) => `${w} ${n}`).join(', ');
  return `${label}: ${p.done}/${p.total} done, ${p.active} running, ${p.waiting} waiting, ${p.failed} failed${workers ? `; per worker: ${workers}` : ''}`;
}
