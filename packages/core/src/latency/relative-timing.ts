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
 *
 * The least timing is an extreme: it falls with more and longer timing windows, and two searches on
 * the same machine found 0.32 and 0.35 ms for the same reference. Their ratios agreed to 2%. So a
 * quiet latency can be pinned (`pinned`, `pin()`): measurements then differ only by their ratios, and
 * a search, `proxyless derive` and a later re-timing on the same machine price alike (the search
 * pins what it finds on its first measurement and the latency provider remembers it per machine).
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
  /** Whether `referenceLatency` is pinned (given as `pinned`, or by `pin()`): later timings no longer lower it. */
  readonly pinned: boolean;
  /**
   * Pins the reference latency at its current value (the least timing so far, or the `referenceLatency`
   * given) and returns it. Throws before anything is known of it.
   */
  pin(): number;
}

/**
 * A timer that measures items relative to `reference` with `time` (one timing window each, e.g. a
 * median over ≥ 10 runs). The reference's least timing is kept across calls, so later calls share
 * what earlier ones learned about the quiet phase; `referenceLatency` seeds it with an earlier
 * session's, and with `pinned` it is used as it is (this machine's remembered value, or a resumed
 * search's). A round costs 2·items + 1 timing windows.
 */
export function relativeTimer<A>(
  time: (item: A) => Promise<number>,
  reference: NoInfer<A>,
  opts: {
    readonly rounds?: number;
    readonly referenceLatency?: number;
    readonly pinned?: boolean;
  } = {},
): RelativeTimer<A> {
  const refs: number[] = [];
  const given = opts.referenceLatency !== undefined && opts.referenceLatency > 0 ? opts.referenceLatency : undefined;
  if (opts.pinned && given === undefined) throw new Error(`relativeTimer: pinned needs a positive referenceLatency (got ${opts.referenceLatency})`);
  let pinned = opts.pinned ? given : undefined;
  const quiet = () => pinned ?? Math.min(given ?? Number.POSITIVE_INFINITY, ...refs);
  const timeReference = async () => {
    const t = await time(reference);
    refs.push(t);
    return t;
  };
  const timer: RelativeTimer<A> = {
    reference,
    get referenceLatency() {
      const q = quiet();
      return Number.isFinite(q) ? q : Number.NaN;
    },
    get referenceTimings() {
      return refs;
    },
    get pinned() {
      return pinned !== undefined;
    },
    pin() {
      const q = quiet();
      if (!Number.isFinite(q)) throw new Error('relativeTimer: nothing to pin yet (no timing of the reference, and no referenceLatency given)');
      pinned = q;
      return q;
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
      const q = quiet();
      return ratios.map((rs) => summarize(rs).medianMs * q);
    },
  };
  return timer;
}
