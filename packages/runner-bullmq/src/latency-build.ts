import { LatencyTable, readLatencyTable, writeLatencyTable, type LatencyEntry } from '@proxyless/latency';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { redisOptions, type RedisTarget } from './connection.js';
import { trackTasks, type FailedTask, type Task, type TrackProgress } from './coordinator.js';
import { JobNames, jobId, latencyQueue, parseLatencyJob, type LatencyJob, type LatencyJobInput } from './jobs.js';
import type { LatencyJobResult } from './worker.js';

export interface DistributedBuildOptions {
  readonly redis: RedisTarget;
  /** Device whose workers measure (their `--device-name`). */
  readonly device: string;
  /** Table to write (`.yaml` official format or `.json`); an existing one is resumed. */
  readonly file: string;
  /** What the workers compose: backend, space, input shape, seed. */
  readonly config: LatencyJobInput['config'];
  /** Every distinct key of the space (the coordinator enumerates them). */
  readonly keys: readonly string[];
  readonly measure?: LatencyJobInput['measure'];
  /** Ops per job (default 1). */
  readonly opsPerJob?: number;
  readonly attempts?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  readonly onStart?: (info: { total: number; kept: number; todo: number; jobs: number }) => void;
  readonly onEntry?: (key: string, entry: LatencyEntry, worker: string) => void;
  readonly onProgress?: (p: TrackProgress) => void;
}

export interface DistributedBuildResult {
  readonly file: string;
  readonly total: number;
  readonly kept: number;
  readonly measured: number;
  readonly failed: readonly FailedTask[];
  readonly remaining: number;
  readonly perWorker: ReadonlyMap<string, number>;
  readonly table: LatencyTable;
}

/**
 * `latency build --redis`: enqueues a job per missing entry (or per `opsPerJob` entries) on the
 * device's queue and writes each entry into the table (atomically) as its job completes. A rerun
 * enqueues only what is still missing; finished jobs of an earlier run are collected, not redone.
 */
export async function buildLatencyTableDistributed(o: DistributedBuildOptions): Promise<DistributedBuildResult> {
  const file = resolve(o.file);
  const table = existsSync(file) ? readLatencyTable(file) : new LatencyTable();
  const todo = o.keys.filter((k) => !table.has(k));
  const per = Math.max(1, o.opsPerJob ?? 1);
  const tasks: Task[] = [];
  for (let i = 0; i < todo.length; i += per) {
    const keys = todo.slice(i, i + per);
    const data: LatencyJob = parseLatencyJob({ v: 1, config: o.config, keys, measure: o.measure ?? {} });
    tasks.push({ id: jobId('latency', { device: o.device, data }), name: JobNames.latency, data, isDone: () => keys.every((k) => table.has(k)) });
  }
  o.onStart?.({ total: o.keys.length, kept: o.keys.length - todo.length, todo: todo.length, jobs: tasks.length });
  let measured = 0;
  const r = await trackTasks<LatencyJobResult>({
    connection: redisOptions(o.redis),
    queue: latencyQueue(o.device),
    tasks,
    ...(o.attempts !== undefined ? { attempts: o.attempts } : {}),
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    onResult: (task, value) => {
      for (const k of (task.data as LatencyJob).keys) {
        const e = value.entries[k];
        if (!e) throw new Error(`latency job ${task.id}: the worker returned no entry for ${k}`);
        if (!table.has(k)) measured++;
        table.set(k, e);
        o.onEntry?.(k, e, value.worker.id);
      }
      writeLatencyTable(file, table);
    },
  });
  if (!existsSync(file)) writeLatencyTable(file, table);
  return { file, total: o.keys.length, kept: o.keys.length - todo.length, measured, failed: r.failed, remaining: o.keys.filter((k) => !table.has(k)).length, perWorker: r.perWorker, table };
}
