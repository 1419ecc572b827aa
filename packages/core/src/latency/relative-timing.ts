import { summarize } from './timing.js';

/**
 * Timing against a reference, for machines whose speed changes in phases.
 *
 * A shared machine (other tenants on the same cores, frequency scaling) runs in phases of one to
 * several seconds. On the 2-core machine this was written on the same network measured 0.31 ms or
 * 0.50–0.54 ms depending on the phase (`bench/timing-drift.mjs`). A median over one timing window
 * cannot see past a phase, and the least of a few windows still fails when a slow phase outlasts them.
 *
 * So each item is timed between two timings of one fixed reference network. The ratio of the item to
 * the geometric mean of the reference timings around it cancels the phase, because a phase slows both
 * alike. An item's ratio is the median over rounds; this drops a round in which the phase changed
 * between the timings. Its latency is that ratio times the reference's quiet latency, the least of all
 * the reference's timings. There are many of those, and load only ever adds time.
 */
export interface RelativeTimer<A> {
  /**
   * Latencies of `items`: per item the median over `rounds` of its ratio to the reference timed
   * around it, times the reference's quiet latency. Items are interleaved within each round.
   */
  measure(items: readonly A[], rounds?: number): Promise<number[]>;
  /** The reference item every measurement is timed against. */
  readonly reference: A;
  /** The reference's least timing so far: its latency in a quiet phase. */
  readonly referenceLatency: number;
  /** Every timing of the reference so far, in order. */
  readonly referenceTimings: readonly number[];
}

/**
 * A timer that measures items relative to `reference` with `time` (one timing window each, e.g. a
 * median over ≥ 10 runs). The reference's least timing is kept across calls, so later calls share
 * what earlier ones learned about the quiet phase; `referenceLatency` seeds it with an earlier
 * session's (a resumed search: the latency its calibration found). A round costs 2·items + 1
 * timing windows.
 */
export function relativeTimer<A>(
  time: (item: A) => Promise<number>,
  reference: NoInfer<A>,
  opts: { readonly rounds?: number; readonly referenceLatency?: number } = {},
): RelativeTimer<A> {
  const refs: number[] = [];
  const prior = opts.referenceLatency !== undefined && opts.referenceLatency > 0 ? opts.referenceLatency : Number.POSITIVE_INFINITY;
  const timeReference = async () => {
    const t = await time(reference);
    refs.push(t);
    return t;
  };
  return {
    reference,
    get referenceLatency() {
      const least = Math.min(prior, ...refs);
      return Number.isFinite(least) ? least : Number.NaN;
    },
    get referenceTimings() {
      return refs;
    },
    async measure(items, rounds = opts.rounds ?? 4) {
      const n = Math.max(1, Math.floor(rounds));
      const ratios: number[][] = items.map(() => []);
      for (let r = 0; r < n; r++) {
        let before = await timeReference();
        for (const [i, item] of items.entries()) {
          const t = await time(item);
          const after = await timeReference();
          ratios[i]!.push(t / Math.sqrt(before * after));
          before = after;
        }
      }
      const quiet = Math.min(prior, ...refs);
      return ratios.map((rs) => summarize(rs).medianMs * quiet);
    },
  };
}
