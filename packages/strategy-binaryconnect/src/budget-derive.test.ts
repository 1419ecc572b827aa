import { describe, expect, it } from 'vitest';
import { Rng } from '@proxyless/core';
import { mostProbableWithin, type BudgetChoice } from './budget-derive.js';

const all = (n: number) => [...Array(n).keys()];

/** Four mixed ops of 2–4 candidates with random p and integer latencies 0–20. */
const randomOps = (rng: Rng): BudgetChoice[] =>
  all(4).map((i) => {
    const n = 2 + rng.int(3);
    const w = Array.from({ length: n }, () => rng.next() + 0.05);
    const z = w.reduce((a, b) => a + b);
    return { label: `b${i}`, names: all(n).map(String), probs: w.map((v) => v / z), latency: Array.from({ length: n }, () => Math.round(rng.next() * 20)) };
  });

describe('within-budget derive', () => {
  const brute = (ops: BudgetChoice[], fixed: number, target: number, floor = 0) => {
    let best: { choice: number[]; logProb: number } | undefined;
    const rec = (i: number, choice: number[], lp: number, lat: number) => {
      if (i === ops.length) {
        if (lat <= target && lat >= floor && (!best || lp > best.logProb)) best = { choice, logProb: lp };
        return;
      }
      ops[i]!.probs.forEach((p, j) => rec(i + 1, [...choice, j], lp + Math.log(p), lat + ops[i]!.latency[j]!));
    };
    rec(0, [], 0, fixed);
    return best;
  };

  it('finds the most probable architecture within T (beam = brute force on small spaces)', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 200; trial++) {
      const ops = randomOps(rng);
      const target = 10 + rng.int(60);
      const got = mostProbableWithin(ops, 3, target, 1000);
      const want = brute(ops, 3, target);
      if (!want) {
        expect(got.fits).toBe(false);
        continue;
      }
      expect(got.fits).toBe(true);
      expect(got.latency).toBeLessThanOrEqual(target);
      expect(got.logProb).toBeCloseTo(want.logProb, 10);
      // a narrow beam still returns an architecture that fits
      const narrow = mostProbableWithin(ops, 3, target, 2);
      expect(narrow.fits).toBe(true);
      expect(narrow.latency).toBeLessThanOrEqual(target);
    }
  });

  it('returns the fastest architecture, marked as not fitting, when nothing fits', () => {
    const ops: BudgetChoice[] = [
      { label: 'a', names: ['x', 'y'], probs: [0.9, 0.1], latency: [5, 3] },
      { label: 'b', names: ['x', 'y'], probs: [0.2, 0.8], latency: [4, 9] },
    ];
    expect(mostProbableWithin(ops, 1, 7, 8)).toMatchObject({ choice: [1, 0], latency: 8, fits: false });
    expect(mostProbableWithin(ops, 1, 8, 8)).toMatchObject({ choice: [1, 0], latency: 8, fits: true });
    expect(mostProbableWithin(ops, 1, 15, 8)).toMatchObject({ choice: [0, 1], latency: 15, fits: true });
  });

  it('with a floor: the most probable architecture in [floor, T] (brute force), else in the first wider window that holds one', () => {
    const rng = new Rng(7);
    let inWindow = 0;
    let outside = 0;
    for (let trial = 0; trial < 200; trial++) {
      const ops = randomOps(rng);
      const target = 10 + rng.int(60);
      const floor = target * (0.8 + 0.15 * rng.next());
      const got = mostProbableWithin(ops, 3, target, 1000, floor);
      const want = brute(ops, 3, target, floor);
      if (want) {
        inWindow++;
        expect(got).toMatchObject({ fits: true, inWindow: true });
        expect(got.latency).toBeGreaterThanOrEqual(floor);
        expect(got.latency).toBeLessThanOrEqual(target);
        expect(got.logProb).toBeCloseTo(want.logProb, 10);
      } else {
        outside++;
        expect(got.inWindow).toBe(false);
        // the first of the windows 2×, 4×, … as wide that holds an architecture, else the most probable ≤ T
        let widened: { choice: number[]; logProb: number } | undefined;
        for (let w = 2 * (target - floor); !widened && target - w > 0; w *= 2) widened = brute(ops, 3, target, target - w);
        if (widened) expect(got.logProb).toBeCloseTo(widened.logProb, 10);
        else expect(got).toMatchObject({ ...mostProbableWithin(ops, 3, target, 1000), inWindow: false });
      }
    }
    expect(inWindow).toBeGreaterThan(20);
    expect(outside).toBeGreaterThan(5);
  });

  it('with a floor, a fitting argmax far under T gives way to the most probable architecture near T', () => {
    const ops: BudgetChoice[] = [
      { label: 'a', names: ['small', 'big'], probs: [0.6, 0.4], latency: [1, 6] },
      { label: 'b', names: ['small', 'big'], probs: [0.55, 0.45], latency: [1, 6] },
    ];
    expect(mostProbableWithin(ops, 2, 10, 8)).toMatchObject({ choice: [0, 0], latency: 4 }); // the argmax fits
    // [8.5, 10]: one big block (latency 9); big in b (0.6·0.45 = 0.27) is more probable than big in a (0.4·0.55 = 0.22)
    expect(mostProbableWithin(ops, 2, 10, 8, 8.5)).toMatchObject({ choice: [0, 1], latency: 9, inWindow: true });
    // [9.5, 10]: nothing lies there (4, 9 or 14); the window twice as wide, [9, 10], holds 9
    expect(mostProbableWithin(ops, 2, 10, 8, 9.5)).toMatchObject({ choice: [0, 1], latency: 9, inWindow: false });
    // [3, 3.5] under the fastest (4): nothing in any window ≤ T; the fastest, marked as not fitting
    expect(mostProbableWithin(ops, 2, 3.5, 8, 3)).toMatchObject({ choice: [0, 0], latency: 4, fits: false });
  });
});
