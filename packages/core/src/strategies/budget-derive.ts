import type { ExpectedLatency } from '../latency/latency-provider.js';
import type { MixedOp } from '../nn/mixed-op.js';
import type { Architecture } from '../spaces/architecture.js';

/** One mixed op as the budgeted derive sees it: p and the latency of each candidate. */
export interface BudgetChoice {
  readonly label: string;
  readonly names: readonly string[];
  readonly probs: readonly number[];
  readonly latency: readonly number[];
}

export interface BudgetedArchitecture {
  /** Chosen candidate index per mixed op, in the order given. */
  readonly choice: number[];
  /** Σ log p of the choice. */
  readonly logProb: number;
  /** fixed + Σ latency of the choice. */
  readonly latency: number;
  /** Whether `latency ≤ target`. False only when no architecture fits (then the fastest is returned). */
  readonly fits: boolean;
  /** Whether `floor ≤ latency ≤ target` (with a floor). False when no architecture lies in that window: then the most probable one ≤ target is returned. */
  readonly inWindow?: boolean;
  /** True when even the slowest architecture lies under `floor`: then the window is taken under the slowest one instead. */
  readonly belowWindow?: boolean;
  /** With `belowWindow`: the slowest architecture's latency (fixed + Σ the slowest candidates). */
  readonly slowestLatency?: number;
}

/**
 * The most probable architecture (max Σ log p over mixed ops) whose table latency
 * `fixed + Σ lat` stays within `target` and, with `floor` > 0, is at least `floor`: a beam search
 * over the mixed ops in order, keeping the `beamWidth` most probable partial choices that can still
 * be completed within the window (the cheapest and the slowest completion are known per suffix).
 * Exact when the beam holds every feasible partial choice; the argmax architecture is returned
 * whenever it lies in the window. When no architecture lies in [floor, target], the window is
 * widened downwards (2×, 4×, … its width) and the most probable architecture of the first window
 * that holds one is returned (`inWindow: false`), else the most probable one ≤ target. When even the
 * slowest architecture lies under `floor` (T does not bind), the window keeps its relative width
 * under the slowest architecture instead, [floor/target · slowest, slowest] (`belowWindow: true`),
 * so any such target gives the same architecture. When even
 * the fastest architecture exceeds the target, that one is returned with `fits: false`.
 */
export function mostProbableWithin(ops: readonly BudgetChoice[], fixed: number, target: number, beamWidth: number, floor = 0): BudgetedArchitecture {
  const logp = (i: number, j: number) => Math.log(Math.max(ops[i]!.probs[j]!, 1e-300));
  const fastest = ops.map((op) => op.latency.indexOf(Math.min(...op.latency)));
  const fastestLatency = fixed + fastest.reduce((s, j, i) => s + ops[i]!.latency[j]!, 0);
  if (fastestLatency > target) {
    return { choice: fastest, logProb: fastest.reduce((s, j, i) => s + logp(i, j), 0), latency: fastestLatency, fits: false, ...(floor > 0 ? { inWindow: false } : {}) };
  }
  const slowestLatency = fixed + ops.reduce((s, op) => s + Math.max(...op.latency), 0);
  if (floor > 0 && slowestLatency < floor) {
    // The whole space lies under the window: T does not bind. Aim for the same window under the
    // slowest architecture instead, [floor/target · slowest, slowest]. Widening the window downwards
    // from T would land wherever its doublings happen to cross the space, and a slightly larger T
    // (the checked derive's secant steps) could then give a smaller network.
    const top = search(ops, fixed, slowestLatency, beamWidth, (floor / target) * slowestLatency);
    if (top) return { ...top, inWindow: false, belowWindow: true, slowestLatency };
  }
  if (floor > 0) {
    // the window [floor, target]; when nothing lies there, windows twice, four times … as wide, so
    // the derive still lands as near the target as the space allows
    for (let width = target - Math.min(floor, target), k = 0; k < 12 && target - width > 0; width *= 2, k++) {
      const windowed = search(ops, fixed, target, beamWidth, target - width);
      if (windowed) return { ...windowed, inWindow: k === 0 };
    }
  }
  // non-empty: the fastest architecture fits, and so does the cheapest completion of any kept partial choice
  const within = search(ops, fixed, target, beamWidth, 0)!;
  return floor > 0 ? { ...within, inWindow: false } : within;
}

/**
 * The beam search of `mostProbableWithin` over [floor, target]: the argmax when it lies there, else
 * the `beamWidth` most probable partial choices that can still be completed inside the window; ties
 * broken by lower latency, then by earlier candidate indices (deterministic). Undefined when nothing
 * lies there.
 */
function search(ops: readonly BudgetChoice[], fixed: number, target: number, beamWidth: number, floor: number): BudgetedArchitecture | undefined {
  const lat = (i: number, j: number) => ops[i]!.latency[j]!;
  const logp = (i: number, j: number) => Math.log(Math.max(ops[i]!.probs[j]!, 1e-300));
  const minSuffix = new Array<number>(ops.length + 1).fill(0);
  const maxSuffix = new Array<number>(ops.length + 1).fill(0);
  for (let i = ops.length - 1; i >= 0; i--) {
    minSuffix[i] = minSuffix[i + 1]! + Math.min(...ops[i]!.latency);
    maxSuffix[i] = maxSuffix[i + 1]! + Math.max(...ops[i]!.latency);
  }
  const argmax = ops.map((op) => op.probs.indexOf(Math.max(...op.probs)));
  const argmaxLatency = fixed + argmax.reduce((s, j, i) => s + lat(i, j), 0);
  if (argmaxLatency <= target && argmaxLatency >= floor) {
    return { choice: argmax, logProb: argmax.reduce((s, j, i) => s + logp(i, j), 0), latency: argmaxLatency, fits: true };
  }
  type Partial = { choice: number[]; logProb: number; latency: number };
  let beam: Partial[] = [{ choice: [], logProb: 0, latency: fixed }];
  for (let i = 0; i < ops.length; i++) {
    const next: Partial[] = [];
    for (const b of beam) {
      ops[i]!.latency.forEach((l, j) => {
        const latency = b.latency + l;
        // the window must stay reachable: the cheapest completion within the target, the slowest at least the floor
        if (latency + minSuffix[i + 1]! > target || latency + maxSuffix[i + 1]! < floor) return;
        next.push({ choice: [...b.choice, j], logProb: b.logProb + logp(i, j), latency });
      });
    }
    next.sort((x, y) => y.logProb - x.logProb || x.latency - y.latency || compareChoices(x.choice, y.choice));
    beam = next.slice(0, beamWidth);
  }
  // the bounds are necessary, not sufficient: keep only complete choices inside the window
  const best = beam.find((b) => b.latency <= target && b.latency >= floor);
  return best ? { ...best, fits: true } : undefined;
}

function compareChoices(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * `mostProbableWithin` over a network's mixed ops, priced by a latency model (its op table and fixed
 * part): the window [(1 − tolerance)·target, target] (tolerance 0: ≤ target), with the chosen
 * architecture by candidate name. The within-budget derive of the strategies.
 */
export function deriveWithinBudget(
  ops: readonly MixedOp[],
  latency: Pick<ExpectedLatency, 'table' | 'fixed'>,
  target: number,
  { beamWidth, tolerance }: { beamWidth: number; tolerance: number },
): BudgetedArchitecture & { architecture: Architecture } {
  const best = mostProbableWithin(
    ops.map((op) => ({ label: op.label, names: op.candidates.map((c) => c.name), probs: op.probsSync(), latency: latency.table[op.label]! })),
    latency.fixed,
    target,
    beamWidth,
    (1 - tolerance) * target,
  );
  return { ...best, architecture: Object.fromEntries(ops.map((op, i) => [op.label, op.candidates[best.choice[i]!]!.name])) };
}
