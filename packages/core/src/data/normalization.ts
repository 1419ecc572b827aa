import type { NormalizeOption } from './data-options.js';
import type { PixelArray } from './idx.js';

/** A per-channel affine map `x ↦ x · scale[c] + offset[c]` applied to stored pixel values. */
export interface Normalization {
  readonly scale: readonly number[];
  readonly offset: readonly number[];
  /** The mean and std (on the /255 scale) when the mode standardizes; for logs and reports. */
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
}

const perChannel = (v: number | readonly number[], c: number, what: string): number[] => {
  if (typeof v === 'number') return new Array<number>(c).fill(v);
  if (v.length === 1) return new Array<number>(c).fill(v[0]!);
  if (v.length !== c) throw new Error(`normalize: ${what} has ${v.length} values but the images have ${c} channel(s)`);
  return [...v];
};

/**
 * Per-channel mean and std of the pixels of the given examples, on the /255 scale (population
 * std). `indices` selects examples; all when omitted.
 */
export function pixelStats(
  images: PixelArray,
  shape: readonly [number, number, number, number],
  indices?: ArrayLike<number>,
): { mean: number[]; std: number[] } {
  const [n, h, w, c] = shape;
  const size = h * w * c;
  const count = indices ? indices.length : n;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  for (let i = 0; i < count; i++) {
    const base = (indices ? indices[i]! : i) * size;
    for (let k = 0; k < size; k++) {
      const v = images[base + k]! / 255;
      const ch = k % c;
      sum[ch] += v;
      sq[ch] += v * v;
    }
  }
  const per = count * h * w;
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const m = per > 0 ? sum[ch]! / per : 0;
    const variance = per > 0 ? Math.max(0, sq[ch]! / per - m * m) : 0;
    mean.push(m);
    std.push(variance > 0 ? Math.sqrt(variance) : 1);
  }
  return { mean, std };
}

/**
 * Resolves a `normalize` option to an affine map; statistics a `'standardize'` mode leaves out
 * are computed over the examples `indices` selects (the training examples).
 */
export function resolveNormalization(
  option: NormalizeOption,
  images: PixelArray,
  shape: readonly [number, number, number, number],
  indices?: ArrayLike<number>,
): Normalization {
  const c = shape[3];
  if (option === 'none') return { scale: new Array<number>(c).fill(1), offset: new Array<number>(c).fill(0) };
  if (option === 'zero-one') return { scale: new Array<number>(c).fill(1 / 255), offset: new Array<number>(c).fill(0) };
  const given: { mean?: number | readonly number[]; std?: number | readonly number[] } = option === 'standardize' ? {} : option;
  const stats = given.mean === undefined || given.std === undefined ? pixelStats(images, shape, indices) : undefined;
  const mean = given.mean !== undefined ? perChannel(given.mean, c, 'mean') : stats!.mean;
  const std = given.std !== undefined ? perChannel(given.std, c, 'std') : stats!.std;
  return {
    scale: std.map((s) => 1 / (255 * s)),
    offset: mean.map((m, i) => -m / std[i]!),
    mean,
    std,
  };
}
