import type { LatencyProvider, OpFeatures, OpSpec } from '@proxyless/core';
import { isZeroOp, latencyKey } from './latency-key.js';
import { LatencyTable, readLatencyTable } from './latency-table.js';

/** A table lacks entries for some ops; `keys` lists every missing key (sorted, once each). */
export class MissingLatencyKeysError extends Error {
  constructor(readonly keys: readonly string[], readonly source: string) {
    super(
      `latency table ${source} has no entry for ${keys.length} op${keys.length === 1 ? '' : 's'} of this space ` +
        `(build one for these shapes with \`proxyless latency build\`):\n${keys.map((k) => `  ${k}`).join('\n')}`,
    );
    this.name = 'MissingLatencyKeysError';
  }
  /** Bad input (a table that does not fit the space): the CLI's exit code 2. */
  get exitCode(): number {
    return 2;
  }
}

/** Keys of `ops` (zero ops excluded) that `table` lacks, sorted and deduplicated. */
export function missingKeys(table: LatencyTable, ops: readonly OpFeatures[]): string[] {
  const missing = new Set<string>();
  for (const f of ops) {
    if (isZeroOp(f)) continue;
    const key = latencyKey(f);
    if (!table.has(key)) missing.add(key);
  }
  return [...missing].sort();
}

/**
 * Latency from a lookup table (mean of the entry, in ms). `prepare` checks that every candidate and
 * fixed layer has an entry and throws one error listing every missing key: there is no fallback
 * value. A `zero` op costs 0.
 */
export class LookupTableLatencyProvider implements LatencyProvider {
  readonly unit = 'ms';

  constructor(
    readonly table: LatencyTable,
    readonly target: string = 'table',
    /** Where the table came from (file path or a name), for messages. */
    readonly source: string = '<table>',
  ) {}

  static fromFile(path: string, target?: string): LookupTableLatencyProvider {
    return new LookupTableLatencyProvider(readLatencyTable(path), target, path);
  }

  async prepare(ops: readonly OpSpec[]): Promise<void> {
    this.check(ops.map((o) => o.features));
  }

  /** Throws a `MissingLatencyKeysError` listing every op the table lacks. */
  check(ops: readonly OpFeatures[]): void {
    const missing = missingKeys(this.table, ops);
    if (missing.length) throw new MissingLatencyKeysError(missing, this.source);
  }

  latency(op: OpFeatures): number {
    if (isZeroOp(op)) return 0;
    const key = latencyKey(op);
    const e = this.table.get(key);
    if (!e) throw new MissingLatencyKeysError([key], this.source);
    return e.mean;
  }
}

export interface NetworkLatency {
  /** Sum over the layers, in ms. */
  readonly totalMs: number;
  /** Every layer in order with its key (null for `zero`) and latency. */
  readonly layers: readonly { readonly key: string | null; readonly ms: number }[];
}

/**
 * Latency of a network from a table: the sum over its layers (a `zero` layer adds nothing). A layer
 * missing from the table is an error that names every missing key. `table` is a table or the path
 * of a `.yaml`/`.json` table file. (For `proxyless inspect --latency-table`.)
 */
export function networkLatencyFromTable(table: LatencyTable | string, layers: readonly OpFeatures[]): NetworkLatency {
  const provider = typeof table === 'string' ? LookupTableLatencyProvider.fromFile(table) : new LookupTableLatencyProvider(table);
  provider.check(layers);
  const out = layers.map((f) => ({ key: isZeroOp(f) ? null : latencyKey(f), ms: provider.latency(f) }));
  return { totalMs: out.reduce((s, l) => s + l.ms, 0), layers: out };
}
