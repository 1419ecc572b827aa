import { z } from 'zod';

/**
 * Option schemas shared by the data plugins. They are the single source of the option types:
 * every type below is derived from its schema.
 */

const perChannel = z.union([z.number(), z.array(z.number()).min(1)]);

/**
 * Pixel normalization, applied per batch:
 * - `'zero-one'`: x / 255;
 * - `'standardize'`: ((x / 255) − mean) / std, mean and std computed per channel over the
 *   training examples (validation excluded);
 * - `{ mode: 'standardize', mean, std }`: the same with given values (either may be omitted to
 *   compute it), a number or one per channel, on the /255 scale (Fashion-MNIST: 0.2860, 0.3530);
 * - `'none'`: pixel values as stored (for float IDX data).
 */
export const normalizeSchema = z.union([
  z.enum(['zero-one', 'standardize', 'none']),
  z.object({
    mode: z.literal('standardize'),
    mean: perChannel.optional(),
    std: z.union([z.number().positive(), z.array(z.number().positive()).min(1)]).optional(),
  }),
]);
export type NormalizeOption = z.output<typeof normalizeSchema>;

/**
 * One training-time augmentation. `random-crop` zero-pads each image by `padding` pixels on
 * every side and crops a random H×W window back; `horizontal-flip` mirrors each image with
 * probability `p`; `cutout` (DeVries & Taylor 2017, the ProxylessNAS CIFAR-10 training) zeroes a
 * `length`×`length` square (clipped at the borders) around a random centre of each normalized
 * image. A bare name uses the defaults (padding 4 and length 16 are sized for 32×32 inputs; 2 or 3
 * and 8 suit 28×28).
 */
export const augmentSchema = z.union([
  z.enum(['random-crop', 'horizontal-flip', 'cutout']),
  z.object({ name: z.literal('random-crop'), padding: z.number().int().min(1).default(4) }),
  z.object({ name: z.literal('horizontal-flip'), p: z.number().min(0).max(1).default(0.5) }),
  z.object({ name: z.literal('cutout'), length: z.number().int().min(1).default(16) }).strict(),
]);
export type AugmentOption = z.output<typeof augmentSchema>;

/**
 * Validation examples held out from the training images: a fraction in [0, 1) or a whole count.
 */
export const validationSchema = z
  .number()
  .nonnegative()
  .refine((v) => v < 1 || Number.isInteger(v), { message: 'validation must be a fraction in [0, 1) or a whole number of examples' });
export type ValidationOption = z.output<typeof validationSchema>;

/** Keep only the first N examples (file order) of each split's source, for quick runs. */
export const limitSchema = z.object({
  train: z.number().int().positive().optional(),
  test: z.number().int().positive().optional(),
});
export type LimitOption = z.output<typeof limitSchema>;

/** Options every data plugin of this package accepts besides where the files are. */
export const commonDataOptionsShape = {
  validation: validationSchema.default(0.1),
  /** Seed of the validation split; by default the split is drawn from the plugin's run-seeded rng. */
  splitSeed: z.union([z.number(), z.string()]).optional(),
  normalize: normalizeSchema.default('zero-one'),
  augment: z.array(augmentSchema).default([]),
  limit: limitSchema.optional(),
} as const;

export const idxFilePairSchema = z.object({
  images: z.string().min(1),
  labels: z.string().min(1),
});
export type IdxFilePair = z.output<typeof idxFilePairSchema>;
