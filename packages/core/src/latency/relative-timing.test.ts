import { describe, expect, it } from 'vitest';
import { relativeTimer } from './relative-timing.js';

/**
 * A machine that runs ×1.7 slower in phases: the factor changes every `phase` timings, as the
 * 2-core machine's slow phases of 1–3 s did (bench/timing-drift.mjs). Each timing is the item's
 * true latency times the factor of the phase it falls in.
 */
function phasedMachine(truth: Record<string, number>, pattern: readonly number[], phase: number) {
  let calls = 0;
  return async (item: string): Promise<number> => truth[item]! * pattern[Math.floor(calls++ / phase) % pattern.length]!;
}

describe('relativeTimer', () => {
  it('prices every item at its quiet latency when whole rounds fall into slow phases', async () => {
    const truth = { ref: 0.3, a: 0.45, b: 0.9, c: 1.3 };
    // slow for 9 timings, quiet for 15, slow for 9, … (a round of 3 items is 7 timings: 21 in all)
    const time = phasedMachine(truth, [1.7, 1.7, 1.7, 1, 1, 1, 1, 1], 3);
    const timer = relativeTimer(time, 'ref');
    const got = await timer.measure(['a', 'b', 'c'], 3);
    expect(timer.referenceLatency).toBeCloseTo(0.3, 9);
    // a phase boundary inside a round spoils that round's ratio; the median over rounds drops it
    got.forEach((g, i) => expect(g).toBeCloseTo([0.45, 0.9, 1.3][i]!, 9));
    expect(timer.referenceTimings.length).toBe(3 * 4);
  });

  it('keeps what it learned of the quiet phase across calls: a later call made entirely in a slow phase is still priced right', async () => {
    let factor = 1;
    const timer = relativeTimer<number>(async (item) => item * factor, 0.3);
    await timer.measure([0.5], 2);
    factor = 1.6;
    const [x] = await timer.measure([0.8], 3);
    expect(x).toBeCloseTo(0.8, 9);
    // the least of its own timings would have said 1.28
    expect(Math.min(...timer.referenceTimings.slice(-6))).toBeCloseTo(0.48, 9);
  });

  it('is what a least-of-rounds measurement cannot be when the phase outlasts the rounds', async () => {
    const time = phasedMachine({ ref: 0.3, a: 0.6 }, [1, 1, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6, 1.6], 1);
    const timer = relativeTimer(time, 'ref');
    const [a] = await timer.measure(['a'], 4);
    expect(a).toBeCloseTo(0.6, 9);
  });

  it('prices against a pinned quiet latency, which later timings do not lower', async () => {
    let factor = 1;
    const timer = relativeTimer<number>(async (item) => item * factor, 0.3, { referenceLatency: 0.33, pinned: true });
    expect(timer.pinned).toBe(true);
    factor = 0.9; // a quieter phase than the one the pinned value came from
    const [x] = await timer.measure([0.6], 3);
    expect(Math.min(...timer.referenceTimings)).toBeCloseTo(0.27, 9);
    expect(timer.referenceLatency).toBe(0.33);
    expect(x).toBeCloseTo(0.66, 9); // its ratio (2) times the pinned value
    expect(() => relativeTimer<number>(async (i) => i, 0.3, { pinned: true })).toThrow(/pinned needs a positive referenceLatency/);
  });

  it('pins what it has found when asked, and later timings no longer lower it', async () => {
    let factor = 1.2;
    const timer = relativeTimer<number>(async (item) => item * factor, 0.3);
    expect(() => timer.pin()).toThrow(/nothing to pin yet/);
    expect(timer.pinned).toBe(false);
    await timer.measure([0.5], 2);
    expect(timer.pin()).toBeCloseTo(0.36, 9);
    expect(timer.pinned).toBe(true);
    factor = 1;
    const [x] = await timer.measure([0.9], 2);
    expect(timer.referenceLatency).toBeCloseTo(0.36, 9);
    expect(x).toBeCloseTo(1.08, 9);
  });
});
