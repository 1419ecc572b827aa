import type { Rng } from '../random/rng.js';
import type { AugmentOption } from './data-options.js';

/**
 * A training-time transform of one batch, in place, before tensors are made. `images` holds the
 * batch NHWC in the stored pixel scale (0–255 for uint8 data; normalization comes after), so a
 * zero fill is black. Draw all randomness from `rng`, in example order, so a seed reproduces it.
 */
export type BatchAugmentation = ((images: Float32Array, shape: readonly [n: number, h: number, w: number, c: number], rng: Rng) => void) & {
  /** `normalized`: runs after normalization (values as the network sees them); default `pixels`, before it. */
  readonly stage?: 'pixels' | 'normalized';
};

/** Zero-pads every image by `padding` on each side and crops a random H×W window (per example). */
export function randomCrop(padding: number): BatchAugmentation {
  if (!Number.isInteger(padding) || padding < 1) throw new Error(`random-crop: padding must be a positive integer, got ${padding}`);
  return (images, [n, h, w, c], rng) => {
    const size = h * w * c;
    const tmp = new Float32Array(size);
    const span = 2 * padding + 1;
    for (let e = 0; e < n; e++) {
      const dy = rng.int(span) - padding;
      const dx = rng.int(span) - padding;
      if (dy === 0 && dx === 0) continue;
      const base = e * size;
      tmp.fill(0);
      for (let y = 0; y < h; y++) {
        const sy = y + dy;
        if (sy < 0 || sy >= h) continue;
        const x0 = Math.max(0, -dx);
        const x1 = Math.min(w, w - dx);
        if (x1 <= x0) continue;
        const dst = (y * w + x0) * c;
        const src = base + (sy * w + x0 + dx) * c;
        tmp.set(images.subarray(src, src + (x1 - x0) * c), dst);
      }
      images.set(tmp, base);
    }
  };
}

/** Mirrors each image left–right with probability `p` (per example). */
export function horizontalFlip(p = 0.5): BatchAugmentation {
  if (!(p >= 0 && p <= 1)) throw new Error(`horizontal-flip: p must be in [0, 1], got ${p}`);
  return (images, [n, h, w, c], rng) => {
    const size = h * w * c;
    for (let e = 0; e < n; e++) {
      if (!(rng.next() < p)) continue;
      for (let y = 0; y < h; y++) {
        const row = e * size + y * w * c;
        for (let x = 0; x < w >> 1; x++) {
          const a = row + x * c;
          const b = row + (w - 1 - x) * c;
          for (let k = 0; k < c; k++) {
            const t = images[a + k]!;
            images[a + k] = images[b + k]!;
            images[b + k] = t;
          }
        }
      }
    }
  };
}

/**
 * Cutout (DeVries & Taylor 2017) as the ProxylessNAS CIFAR-10 training applies it: after
 * normalization, per image, a centre (y, x) uniform over the image and the square
 * [y − ⌊L/2⌋, y + ⌊L/2⌋) × [x − ⌊L/2⌋, x + ⌊L/2⌋), clipped to the image, set to 0 in every channel
 * (0 after standardization is the mean colour).
 */
export function cutout(length: number): BatchAugmentation {
  if (!Number.isInteger(length) || length < 1) throw new Error(`cutout: length must be a positive integer, got ${length}`);
  const half = Math.floor(length / 2);
  const f = (images: Float32Array, [n, h, w, c]: readonly [number, number, number, number], rng: Rng): void => {
    const size = h * w * c;
    for (let e = 0; e < n; e++) {
      const y = rng.int(h);
      const x = rng.int(w);
      const y1 = Math.max(0, y - half);
      const y2 = Math.min(h, y + half);
      const x1 = Math.max(0, x - half);
      const x2 = Math.min(w, x + half);
      for (let r = y1; r < y2; r++) images.fill(0, e * size + (r * w + x1) * c, e * size + (r * w + x2) * c);
    }
  };
  return Object.assign(f, { stage: 'normalized' as const });
}

/** The built-in augmentation an option names. */
export function augmentationFromOption(option: AugmentOption): BatchAugmentation {
  if (option === 'random-crop') return randomCrop(4);
  if (option === 'horizontal-flip') return horizontalFlip();
  if (option === 'cutout') return cutout(16);
  if (option.name === 'random-crop') return randomCrop(option.padding);
  if (option.name === 'cutout') return cutout(option.length);
  return horizontalFlip(option.p);
}
