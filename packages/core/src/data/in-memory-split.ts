import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import type { Batch, Split } from './dataset.js';
import type { BatchAugmentation } from './augment.js';
import type { PixelArray } from './idx.js';
import type { Normalization } from './normalization.js';

export interface InMemorySplitInit {
  readonly name: string;
  /** Pixels of the source images, NHWC row-major; shared between splits, never copied whole. */
  readonly images: PixelArray;
  /** Shape of one example, [H, W, C]. */
  readonly exampleShape: readonly [number, number, number];
  /** Labels of the source images (one per source image). */
  readonly labels: Int32Array;
  /** Which source images belong to this split, in its natural (unshuffled) order. */
  readonly indices: Int32Array;
  readonly normalization: Normalization;
  /** Applied in order to every batch, only when `batches` gets an rng (training splits); `stage: normalized` ones after normalization. */
  readonly augment?: readonly BatchAugmentation[];
}

/**
 * A `Split` over images held in memory. A batch gathers its examples into fresh typed arrays
 * (augmentation, then normalization) and only then makes its two tensors, so no tensor outlives
 * the batch that the consumer disposes.
 */
export class InMemorySplit implements Split {
  readonly name: string;
  readonly size: number;
  private readonly images: PixelArray;
  private readonly exampleShape: readonly [number, number, number];
  private readonly labels: Int32Array;
  private readonly indices: Int32Array;
  private readonly normalization: Normalization;
  private readonly augment: readonly BatchAugmentation[];

  constructor(init: InMemorySplitInit) {
    this.name = init.name;
    this.images = init.images;
    this.exampleShape = init.exampleShape;
    this.labels = init.labels;
    this.indices = init.indices;
    this.size = init.indices.length;
    this.normalization = init.normalization;
    this.augment = init.augment ?? [];
    const c = this.exampleShape[2];
    if (this.normalization.scale.length !== c || this.normalization.offset.length !== c) {
      throw new Error(`split ${this.name}: normalization has ${this.normalization.scale.length} channel(s), the images ${c}`);
    }
  }

  numBatches(batchSize: number, dropRemainder = false): number {
    checkBatchSize(batchSize);
    return dropRemainder ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
  }

  /**
   * The permutation is drawn from `rng` when this is called (not lazily); augmentation, when the
   * split has any and an rng is given, draws from a fork of `rng` per batch index, so skipping
   * batches yields the same later batches as iterating through them.
   */
  batches(batchSize: number, opts: { rng?: Rng; skip?: number; dropRemainder?: boolean } = {}): Iterable<Batch> {
    const total = this.numBatches(batchSize, opts.dropRemainder);
    const skip = opts.skip ?? 0;
    if (!Number.isInteger(skip) || skip < 0) throw new Error(`split ${this.name}: skip must be a non-negative integer, got ${skip}`);
    const augRoot = opts.rng && this.augment.length > 0 ? opts.rng.fork('augment') : undefined;
    let order = this.indices;
    if (opts.rng) {
      const perm = opts.rng.permutation(this.size);
      order = new Int32Array(this.size);
      for (let i = 0; i < this.size; i++) order[i] = this.indices[perm[i]!]!;
    }
    const self = this;
    return {
      *[Symbol.iterator](): Iterator<Batch> {
        for (let b = skip; b < total; b++) {
          const start = b * batchSize;
          const end = Math.min(self.size, start + batchSize);
          yield self.makeBatch(order.subarray(start, end), augRoot?.fork(`batch:${b}`));
        }
      },
    };
  }

  /** One batch of the given source indices, as NHWC float32 and int32 tensors. */
  private makeBatch(idx: Int32Array, augRng: Rng | undefined): Batch {
    const [h, w, c] = this.exampleShape;
    const size = h * w * c;
    const n = idx.length;
    const x = new Float32Array(n * size);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const src = idx[i]! * size;
      const dst = i * size;
      for (let k = 0; k < size; k++) x[dst + k] = this.images[src + k]!;
      y[i] = this.labels[idx[i]!]!;
    }
    const shape = [n, h, w, c] as const;
    if (augRng) for (const aug of this.augment) if (aug.stage !== 'normalized') aug(x, shape, augRng);
    const { scale, offset } = this.normalization;
    if (c === 1) {
      const s = scale[0]!;
      const o = offset[0]!;
      if (s !== 1 || o !== 0) for (let k = 0; k < x.length; k++) x[k] = x[k]! * s + o;
    } else {
      for (let k = 0; k < x.length; k++) {
        const ch = k % c;
        x[k] = x[k]! * scale[ch]! + offset[ch]!;
      }
    }
    // augmentations of normalized values (cutout) run last, in the order given among themselves
    if (augRng) for (const aug of this.augment) if (aug.stage === 'normalized') aug(x, shape, augRng);
    return { x: tf.tensor4d(x, [n, h, w, c], 'float32'), y: tf.tensor1d(y, 'int32') };
  }
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
}
