import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { InputError, writeFileAtomic, z } from '@proxyless/core';

/** One measured op, as in the official tables: number of timed runs, mean and variance in ms. */
export interface LatencyEntry {
  readonly count: number;
  readonly mean: number;
  readonly var: number;
}

/** A time in ms: ≥ 0 and finite once stored as float32 (what E[lat] is computed in), so 1e39 is refused, not turned into Infinity. */
const ms = z
  .number()
  .min(0)
  .refine((v) => Number.isFinite(Math.fround(v)), { message: 'a number finite in float32 (at most 3.4e38)' });
const entrySchema = z.object({ count: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), mean: ms, var: ms }).passthrough();

/** The largest table file read (the official ones are about 100 KB). */
export const MAX_LATENCY_TABLE_BYTES = 64 * 1024 * 1024;
const tableSchema = z.record(z.string(), entrySchema);

/** Table file formats: the official ProxylessNAS YAML, or the same mapping as JSON. */
export type LatencyTableFormat = 'yaml' | 'json';

export function formatOf(path: string): LatencyTableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new InputError(`latency table ${path}: unknown extension ${JSON.stringify(ext)}; expected .yaml, .yml or .json`);
}

/** A latency lookup table: key (see `latencyKey`) → `{count, mean, var}` in ms. */
export class LatencyTable {
  private readonly entries = new Map<string, LatencyEntry>();

  constructor(entries: Iterable<readonly [string, LatencyEntry]> = []) {
    for (const [k, v] of entries) this.set(k, v);
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): LatencyEntry | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: LatencyEntry): void {
    this.entries.set(key, { count: entry.count, mean: entry.mean, var: entry.var });
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Entries sorted by key (the order of the official files). */
  sorted(): [string, LatencyEntry][] {
    return [...this.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  toJSON(): Record<string, LatencyEntry> {
    return Object.fromEntries(this.sorted());
  }

  /** The official YAML text: one mapping per key with `count`, `mean`, `var`, keys sorted. */
  toYaml(): string {
    return this.sorted()
      .map(([k, e]) => `${k}:\n  count: ${e.count}\n  mean: ${yamlNumber(e.mean)}\n  var: ${yamlNumber(e.var)}\n`)
      .join('');
  }

  serialize(format: LatencyTableFormat): string {
    return format === 'yaml' ? this.toYaml() : `${JSON.stringify(this.toJSON(), null, 2)}\n`;
  }

  static parse(text: string, format: LatencyTableFormat, source = '<table>'): LatencyTable {
    let raw: unknown;
    try {
      raw = format === 'yaml' ? parseYaml(text) : JSON.parse(text);
    } catch (err) {
      throw new InputError(`latency table ${source}: not valid ${format.toUpperCase()} (${(err as Error).message.split('\n')[0]})`);
    }
    const r = tableSchema.safeParse(raw ?? {});
    if (!r.success) {
      const issue = r.error.issues[0]!;
      let got: unknown = raw;
      for (const k of issue.path) got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[k as string] : undefined;
      throw new InputError(
        `latency table ${source}: ${issue.path.join('.') || '(top level)'}: got ${JSON.stringify(got) ?? String(got)}; expected ${issue.message} — the table maps <key> to {count, mean, var} with mean and var in ms`,
      );
    }
    return new LatencyTable(Object.entries(r.data));
  }
}

function yamlNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`latency table: cannot write ${n}`);
  // Integers are written as floats (`2.0`) like Python's yaml.dump of a float mean.
  return Number.isInteger(n) ? n.toFixed(1) : String(n);
}

/** Reads a table (`.yaml`/`.yml`: the official format; `.json`: the same mapping). */
export function readLatencyTable(path: string): LatencyTable {
  const file = resolve(path);
  if (!existsSync(file)) throw new InputError(`latency table ${file}: no such file`);
  const stat = statSync(file);
  if (stat.isDirectory()) throw new InputError(`latency table ${file} is a folder; expected a .yaml, .yml or .json table file`);
  if (stat.size > MAX_LATENCY_TABLE_BYTES) throw new InputError(`latency table ${file}: ${stat.size} bytes; expected a table of at most ${MAX_LATENCY_TABLE_BYTES} bytes`);
  return LatencyTable.parse(readFileSync(file, 'utf8'), formatOf(file), file);
}

/** Writes a table atomically (the old file or the new one, never a torn one); format from the extension. */
export function writeLatencyTable(path: string, table: LatencyTable): void {
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, table.serialize(formatOf(file)));
}
