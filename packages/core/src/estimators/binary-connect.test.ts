import { describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { binaryConnectGradient, rescalePair, softmaxOver } from './binary-connect.js';
import { sampleTwoPaths } from './two-path.js';

const all = (n: number) => [...Array(n).keys()];

describe('Eq. 4 on the host', () => {
  it('is Σ_j ∂L/∂g_j·p_j(δ_ij − p_i) over the given paths, 0 elsewhere', () => {
    const alpha = [0.3, -0.2, 0.5, 0.1];
    const dg = [1.5, -0.7, 0.2, 0];
    const p = softmaxOver(alpha, all(4));
    const g = binaryConnectGradient(alpha, dg, all(4));
    for (let i = 0; i < 4; i++) {
      let want = 0;
      for (let j = 0; j < 4; j++) want += dg[j]! * p[j]! * ((i === j ? 1 : 0) - p[i]!);
      expect(g[i]).toBeCloseTo(want, 12);
    }
    expect(g.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 12); // softmax is shift-invariant
    const two = binaryConnectGradient(alpha, dg, [2, 0]);
    const q = softmaxOver(alpha, [0, 2]);
    expect(two[1]).toBe(0);
    expect(two[3]).toBe(0);
    expect(two[0]).toBeCloseTo(q[0]! * q[2]! * (dg[0]! - dg[2]!), 12);
    expect(two[2]).toBeCloseTo(-two[0]!, 12);
  });

  it('rescaling the updated pair keeps every other path’s p exactly', () => {
    const before = [0.3, -0.2, 0.5, 0.1, -1];
    const after = [0.3, 0.4, 0.5, -0.7, -1];
    const next = rescalePair(before, after, [1, 3]);
    const p0 = softmaxOver(before, all(5));
    const p1 = softmaxOver(next, all(5));
    for (const k of [0, 2, 4]) expect(p1[k]).toBeCloseTo(p0[k]!, 14);
    expect(p1[1]! + p1[3]!).toBeCloseTo(p0[1]! + p0[3]!, 14);
    expect(p1[1]! / p1[3]!).toBeCloseTo(Math.exp(0.4 + 0.7), 12); // the update's relative move is kept
  });

  it('samples two paths without replacement by p, then the active one by softmax over the pair', () => {
    const alpha = [0.8, 0, -0.5];
    const p = softmaxOver(alpha, all(3));
    const rng = new Rng(11);
    const n = 40_000;
    const count = new Map<string, number>();
    for (let t = 0; t < n; t++) {
      const { pair, active } = sampleTwoPaths(alpha, rng);
      expect(pair[0]).not.toBe(pair[1]);
      expect(pair).toContain(active);
      const key = `${Math.min(...pair)}${Math.max(...pair)}:${active}`;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]] as const) {
      const pPair = (p[a]! * p[b]!) / (1 - p[a]!) + (p[b]! * p[a]!) / (1 - p[b]!);
      const pa = pPair * (p[a]! / (p[a]! + p[b]!));
      expect((count.get(`${a}${b}:${a}`) ?? 0) / n).toBeCloseTo(pa, 2);
      expect((count.get(`${a}${b}:${b}`) ?? 0) / n).toBeCloseTo(pPair - pa, 2);
    }
  });
});
