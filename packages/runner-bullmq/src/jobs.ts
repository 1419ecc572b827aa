import { createHash } from 'node:crypto';
import { ConfigError, parseConfig, pluginRefSchema, problemsFromZod, trainNetworkOptions, z, type TrainNetworkOptions } from '@proxyless/core';

/** Queue of the search jobs (any worker may take them). */
export const SEARCH_QUEUE = 'proxyless-search';
/** Prefix of the latency queues: one per device, since a latency table is per device. */
export const LATENCY_QUEUE_PREFIX = 'proxyless-latency-';
export const JobNames = { latency: 'latency', search: 'search', train: 'train' } as const;

const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Checks a device name (a queue name part): letters, digits, `.`, `_`, `-`, at most 64. */
export function checkDeviceName(name: string): string {
  if (!DEVICE_NAME.test(name)) throw new Error(`--device-name: got ${JSON.stringify(name)}; expected 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  return name;
}

/** The latency queue of a device. */
export function latencyQueue(device: string): string {
  return `${LATENCY_QUEUE_PREFIX}${checkDeviceName(device)}`;
}

/** A job id from its content: the same work gets the same id, so enqueueing it twice adds it once. */
export function jobId(kind: string, content: unknown): string {
  return `${kind}-${createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 24)}`;
}

const relPath = z
  .string()
  .min(1)
  .max(512)
  .describe('a path relative to the worker\'s storage directory');

/** How ops are timed and re-measured (the flags of `latency build`). */
export const measureSchema = z
  .object({
    batchSize: z.number().int().positive().optional(),
    warmup: z.number().int().min(0).optional(),
    minRuns: z.number().int().positive().optional(),
    minDurationMs: z.number().min(0).optional(),
    maxSpread: z.number().min(0).optional(),
    retries: z.number().int().min(0).optional(),
  })
  .strict();

/**
 * A latency-measurement job: the runtime part of a latency config (backend, space, input shape
 * and seed, as in `latency build` configs) and the table keys to measure; the worker measures each
 * op on its own device and returns the entries.
 */
export const latencyJobSchema = z
  .object({
    v: z.literal(1),
    config: z
      .object({
        seed: z.number().int().min(0).default(1),
        backend: pluginRefSchema.optional(),
        space: pluginRefSchema,
        input: z.object({ shape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]), numClasses: z.number().int().positive() }).strict(),
      })
      .strict(),
    keys: z.array(z.string().min(1).max(1000)).min(1).max(10_000),
    measure: measureSchema.default({}),
  })
  .strict();
export type LatencyJob = z.output<typeof latencyJobSchema>;
export type LatencyJobInput = z.input<typeof latencyJobSchema>;

/**
 * A search job: a search config (the shape of a config file) plus overrides (dotted paths → values,
 * as the axes of a sweep), and the run directory to write, relative to the worker's storage.
 */
export const searchJobSchema = z
  .object({
    v: z.literal(1),
    config: z.record(z.string(), z.unknown()),
    overrides: z.record(z.string().min(1).max(200), z.unknown()).default({}),
    runDir: relPath,
  })
  .strict();
export type SearchJob = z.output<typeof searchJobSchema>;
export type SearchJobInput = z.input<typeof searchJobSchema>;

/** A payload that is not a valid job: the reason names the field, the value and what was expected. */
export class InvalidJob extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidJob';
  }
}

function fromZod(what: string, err: z.ZodError, data: unknown): InvalidJob {
  const problems = problemsFromZod(err, data);
  return new InvalidJob(`${what}: ${problems.map((p) => `${p.path || '(root)'}: got ${p.value}; expected ${p.expected}`).join('; ')}`);
}

/** Sets `value` at a dotted path of a plain object (copying the objects on the way). */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  if (!head || ['__proto__', 'constructor', 'prototype'].includes(head)) throw new InvalidJob(`overrides: got path ${JSON.stringify(path)}; expected dotted keys like strategy.options.lr`);
  if (rest.length === 0) return { ...obj, [head]: value };
  const inner = obj[head];
  const base = typeof inner === 'string' && ['backend', 'data', 'space', 'strategy', 'latency', 'trainer'].includes(head) ? { use: inner } : inner;
  const next = base !== null && typeof base === 'object' && !Array.isArray(base) ? (base as Record<string, unknown>) : {};
  return { ...obj, [head]: setPath(next, rest.join('.'), value) };
}

/** A search config with overrides applied (dotted paths, in order). */
export function applyOverrides(config: Record<string, unknown>, overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
  let out = config;
  for (const [path, value] of Object.entries(overrides)) out = setPath(out, path, value);
  return out;
}

/** Parses a latency job payload; throws `InvalidJob` naming every bad field. */
export function parseLatencyJob(data: unknown): LatencyJob {
  const r = latencyJobSchema.safeParse(data);
  if (!r.success) throw fromZod('latency job', r.error, data);
  return r.data;
}

/**
 * Parses a search job payload and validates its config (with overrides applied) with the schema of
 * config files; throws `InvalidJob` naming every bad field. Plugins' own options are validated when
 * the worker resolves them (also before anything runs).
 */
export function parseSearchJob(data: unknown): SearchJob & { merged: Record<string, unknown> } {
  const r = searchJobSchema.safeParse(data);
  if (!r.success) throw fromZod('search job', r.error, data);
  const merged = applyOverrides(r.data.config, r.data.overrides);
  try {
    parseConfig(merged, '<search job>');
  } catch (err) {
    if (err instanceof ConfigError) throw new InvalidJob(`search job: ${err.problems.map((p) => `config.${p.path}: got ${p.value}; expected ${p.expected}`).join('; ')}`);
    throw err;
  }
  return { ...r.data, merged };
}

/**
 * A retraining job (on the search queue): the architecture of a finished search's run directory
 * trained from scratch (`proxyless train`), evaluated on the test split and saved as a model
 * directory (default `<runDir>/model`); paths relative to the worker's storage.
 */
export const trainJobSchema = z
  .object({
    v: z.literal(1),
    runDir: relPath,
    out: relPath.optional(),
    options: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type TrainJob = z.output<typeof trainJobSchema>;

/** Parses a retraining job; its options are validated with the options of `proxyless train`. */
export function parseTrainJob(data: unknown): TrainJob & { train: TrainNetworkOptions } {
  const r = trainJobSchema.safeParse(data);
  if (!r.success) throw fromZod('train job', r.error, data);
  const o = trainNetworkOptions.safeParse(r.data.options);
  if (!o.success) throw fromZod('train job', o.error, r.data.options);
  return { ...r.data, train: o.data };
}
