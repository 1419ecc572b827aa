import type { Rng } from '../random/rng.js';
import type { MixedOp } from '../nn/mixed-op.js';
import { softmaxOver } from './binary-connect.js';

/**
 * Two distinct paths drawn by multinomial sampling over p = softmax(α) without replacement (as
 * `torch.multinomial(p, 2, replacement=False)` does), then the active one of the two drawn with the
 * renormalized probability softmax(α over the two). `alpha` may be any logits of p (α, or log p).
 */
export function sampleTwoPaths(alpha: ArrayLike<number>, rng: Rng): { pair: [number, number]; active: number } {
  const n = alpha.length;
  if (n < 2) throw new Error('two-path sampling needs at least two candidates');
  const all = [...Array(n).keys()];
  const p = softmaxOver(alpha, all);
  const a = rng.categorical(p);
  const rest = Float64Array.from(p, (v, j) => (j === a ? 0 : v));
  const b = rng.categorical(rest);
  const q = softmaxOver(alpha, [a, b]);
  const active = rng.next() * (q[a]! + q[b]!) < q[a]! ? a : b;
  return { pair: [a, b], active };
}

/**
 * The paths of one mixed op in one architecture step: `active` are computed in the forward pass,
 * `chosen` is the one whose gate is 1 (the sampled binary gate), `paths` are those over which Eq. 4
 * sums (and whose α the step may change).
 */
export interface ArchPaths {
  readonly active: readonly number[];
  readonly chosen: number;
  readonly paths: readonly number[];
}
export type ArchSample = Readonly<Record<string, ArchPaths>>;

/**
 * The paths of one architecture step for every mixed op, drawn from `rng` in op order:
 * `two`: a pair by multinomial over p without replacement, the chosen one of the pair by softmax(α
 * over the pair), both computed (`sampleTwoPaths`); `full`: chosen ~ p, all paths computed;
 * `exact`: chosen ~ p, only it computed (the others are recomputed in the backward pass). An op
 * with one candidate always runs it.
 */
export function sampleArchPaths(ops: readonly MixedOp[], mode: 'two' | 'full' | 'exact', rng: Rng): ArchSample {
  const out: Record<string, ArchPaths> = {};
  for (const op of ops) {
    const all = [...Array(op.size).keys()];
    if (op.size === 1) {
      out[op.label] = { active: [0], chosen: 0, paths: [0] };
    } else if (mode === 'two') {
      const { pair, active } = sampleTwoPaths(op.alpha.dataSync(), rng);
      out[op.label] = { active: pair, chosen: active, paths: pair };
    } else {
      const chosen = rng.categorical(op.probsSync());
      out[op.label] = { active: mode === 'full' ? all : [chosen], chosen, paths: all };
    }
  }
  return out;
}
