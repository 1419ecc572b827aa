import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import type { InputSpec } from '../spaces/search-space.js';

export const DataProvider = Symbol.for('proxyless.DataProvider');

/** One batch: NHWC float32 images and int32 class labels. Whoever draws it from a split disposes both (the trainer also for the batches it lends to `archStep`, see `ArchStepInput`). */
export interface Batch {
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
}

/** An in-memory labelled split. */
export interface Split {
  readonly name: string;
  readonly size: number;
  /**
   * Batches of this split in a deterministic order. With `rng`, the order is a permutation drawn
   * from it (pass a fork keyed by epoch to make every epoch reproducible on resume). `skip` drops
   * the first batches without materializing them (used to resume mid-epoch). A last partial
   * batch is kept unless `dropRemainder`.
   */
  batches(batchSize: number, opts?: { rng?: Rng; skip?: number; dropRemainder?: boolean }): Iterable<Batch>;
  /** Number of batches `batches()` yields. */
  numBatches(batchSize: number, dropRemainder?: boolean): number;
}

/** Train / validation (for architecture steps) / test splits plus what a space needs to know. */
export interface Dataset {
  readonly input: InputSpec;
  readonly classNames?: readonly string[];
  readonly train: Split;
  /** Held out from the training images; used by architecture steps. */
  readonly validation: Split;
  readonly test?: Split;
  /** Where the data came from, for logs and reports. */
  readonly source: string;
}

/** A data plugin: loads the dataset once per search. */
export interface DataProvider {
  load(): Promise<Dataset>;
}

/** Frees both tensors of a batch. */
export function disposeBatch(b: Batch): void {
  b.x.dispose();
  b.y.dispose();
}
