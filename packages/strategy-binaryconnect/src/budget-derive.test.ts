import { describe, expect, it } from 'vitest';
import { Rng } from '@proxyless/core';
import { mostProbableWithin, type BudgetChoice } from './budget-derive.js';

const all = (n: number) => [...Array(n).keys()];

describe('within-budget derive', () => {
  const brute = (ops: BudgetChoice[], fixed: number, target: number) => {
    let best: { choice: number[]; logProb: number } | undefined;
    const rec = (i: number, choice: number[], lp: number, lat: number) => {
      if (i === ops.length) {
        if (lat <= target && (!best || lp > best.logProb)) best = { choice, logProb: lp };
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
      const ops: BudgetChoice[] = all(4).map((i) => {
        const n = 2 + rng.int(3);
        const w = Array.from({ length: n }, () => rng.next() + 0.05);
        const z = w.reduce((a, b) => a + b);
        return { label: `b${i}`, names: all(n).map(String), probs: w.map((v) => v / z), latency: Array.from({ length: n }, () => Math.round(rng.next() * 20)) };
      });
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
});
