import { FieldError } from '../config/config-error.js';
import type { Rng } from '../random/rng.js';
import type { Dataset } from './dataset.js';
import type { BatchAugmentation } from './augment.js';
import type { LimitOption, NormalizeOption, ValidationOption } from './data-options.js';
import type { LabelledImages } from './idx.js';
import { InMemorySplit } from './in-memory-split.js';
import { resolveNormalization, type Normalization } from './normalization.js';

export interface BuildDatasetOptions {
  readonly train: LabelledImages;
  readonly test?: LabelledImages;
  /** Held out from the training images: a fraction in [0, 1) or a whole count. Default 0.1. */
  readonly validation?: ValidationOption;
  /** Draws the validation split. */
  readonly rng: Rng;
  /** Default `'zero-one'`; computed statistics come from the training examples only. */
  readonly normalize?: NormalizeOption;
  /** Applied to training batches only. */
  readonly augment?: readonly BatchAugmentation[];
  /** Keep only the first N images (file order) of train (before the validation split) / test. */
  readonly limit?: LimitOption;
  readonly classNames?: readonly string[];
  /** Defaults to `classNames.length`, else the largest label + 1. */
  readonly numClasses?: number;
  /** Where the data came from (`Dataset.source`). */
  readonly source: string;
}

/** A dataset built in memory, with the normalization it resolved (for logs and reports). */
export interface InMemoryDataset extends Dataset {
  readonly normalization: Normalization;
}

/** The first `n` images of a set (a view, no copy). */
export function limitImages(set: LabelledImages, n: number | undefined): LabelledImages {
  const [total, h, w, c] = set.shape;
  if (n === undefined || n >= total) return set;
  return {
    images: set.images.subarray(0, n * h * w * c) as LabelledImages['images'],
    shape: [n, h, w, c],
    labels: set.labels.subarray(0, n),
  };
}

/** Number of validation examples a `validation` option means for `n` training images. */
export function validationCount(n: number, validation: ValidationOption): number {
  if (!(validation >= 0) || (validation >= 1 && !Number.isInteger(validation))) {
    throw new Error(`validation must be a fraction in [0, 1) or a whole count, got ${validation}`);
  }
  const count = validation < 1 ? Math.round(n * validation) : validation;
  if (count >= n) {
    throw new FieldError('data.options.validation', validation, `fewer than ${n} (it holds out ${count} of the ${n} training images; at least one must stay for training)`);
  }
  return count;
}

/**
 * A seeded train/validation split of `n` examples: the validation indices are the first
 * `count` entries of a permutation drawn from `rng`. Both lists come back in ascending order.
 */
export function splitValidation(n: number, validation: ValidationOption, rng: Rng): { train: Int32Array; validation: Int32Array } {
  const count = validationCount(n, validation);
  const perm = rng.permutation(n);
  const isVal = new Uint8Array(n);
  for (let i = 0; i < count; i++) isVal[perm[i]!] = 1;
  const train = new Int32Array(n - count);
  const val = new Int32Array(count);
  let t = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    if (isVal[i]) val[v++] = i;
    else train[t++] = i;
  }
  return { train, validation: val };
}

const range = (n: number): Int32Array => {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
};

const maxLabel = (labels: Int32Array): number => {
  let m = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i]! > m) m = labels[i]!;
  return m;
};

/**
 * Builds train / validation / test splits over labelled images held in memory. The validation
 * split is held out from the training images; augmentation applies to the training split only.
 */
export function buildDataset(opts: BuildDatasetOptions): InMemoryDataset {
  const train = limitImages(opts.train, opts.limit?.train);
  const test = opts.test ? limitImages(opts.test, opts.limit?.test) : undefined;
  const [, h, w, c] = train.shape;
  if (test && (test.shape[1] !== h || test.shape[2] !== w || test.shape[3] !== c)) {
    throw new Error(`test images are ${test.shape.slice(1).join('×')} but training images are ${h}×${w}×${c}`);
  }
  const numClasses =
    opts.numClasses ?? opts.classNames?.length ?? Math.max(maxLabel(train.labels), test ? maxLabel(test.labels) : -1) + 1;
  if (opts.classNames && opts.classNames.length !== numClasses) {
    throw new Error(`${opts.classNames.length} class names given for ${numClasses} classes`);
  }
  for (const [name, set] of [['train', train], ['test', test]] as const) {
    if (set && maxLabel(set.labels) >= numClasses) {
      throw new Error(`${name} labels go up to ${maxLabel(set.labels)} but there are ${numClasses} classes`);
    }
  }
  const split = splitValidation(train.shape[0], opts.validation ?? 0.1, opts.rng);
  const normalization = resolveNormalization(opts.normalize ?? 'zero-one', train.images, train.shape, split.train);
  const exampleShape = [h, w, c] as const;
  const common = { exampleShape, normalization };
  return {
    input: { shape: [h, w, c], numClasses },
    ...(opts.classNames ? { classNames: [...opts.classNames] } : {}),
    train: new InMemorySplit({
      ...common,
      name: 'train',
      images: train.images,
      labels: train.labels,
      indices: split.train,
      augment: opts.augment ?? [],
    }),
    validation: new InMemorySplit({ ...common, name: 'validation', images: train.images, labels: train.labels, indices: split.validation }),
    ...(test
      ? { test: new InMemorySplit({ ...common, name: 'test', images: test.images, labels: test.labels, indices: range(test.shape[0]) }) }
      : {}),
    source: opts.source,
    normalization,
  };
}
