import type { Batch, Split } from '../data/dataset.js';
import type { GateSample } from '../nn/gates.js';
import type { NamedVariable } from '../nn/module.js';
import { Rng } from '../random/rng.js';
import type { Network } from '../spaces/search-space.js';
import { isDecayedWeight } from './weight-step.js';

// What every rank of a search reads the same way: the training batches' order, the validation
// stream of the arch steps, and the weights a weight step trains.

/** The training batches of one epoch from `skip` on, in the search's seeded order. */
export function trainBatches(split: Split, batchSize: number, seed: number, epoch: number, skip: number): Iterable<Batch> {
  return split.batches(batchSize, { rng: new Rng(`${seed}:train-order:${epoch}`), skip });
}

/** Validation batch `index` of pass `pass` of the arch steps' stream (see `ValidationStream`). */
export function validationBatchAt(split: Split, batchSize: number, seed: number, pass: number, index: number): Batch {
  for (const b of split.batches(batchSize, { rng: new Rng(`${seed}:valid-order:${pass}`), skip: index })) return b;
  throw new Error(`validation batch ${index} of pass ${pass} does not exist (${split.size} examples, batch ${batchSize})`);
}

/** Endless, reproducible stream of validation batches for arch steps: pass p is shuffled by a seed-derived rng. */
export class ValidationStream {
  pass: number;
  batch: number;
  private it: Iterator<Batch> | undefined;

  constructor(private readonly split: Split, private readonly batchSize: number, private readonly seed: number, start: { validPass: number; validBatch: number }) {
    this.pass = start.validPass;
    this.batch = start.validBatch;
  }

  /** Where the latest batch `next()` returned sits: its pass and its index in that pass. */
  last = { pass: 0, index: 0 };

  next(): Batch {
    if (this.split.size === 0) throw new Error('the validation split is empty: architecture steps need held-out data (set data.options.validation)');
    for (;;) {
      if (!this.it) {
        this.it = this.split.batches(this.batchSize, { rng: new Rng(`${this.seed}:valid-order:${this.pass}`), skip: this.batch })[Symbol.iterator]();
      }
      const r = this.it.next();
      if (!r.done) {
        this.last = { pass: this.pass, index: this.batch };
        this.batch++;
        return r.value;
      }
      this.it = undefined;
      this.pass++;
      this.batch = 0;
    }
  }
}

/**
 * The weights a weight step trains: the fixed layers' plus those of the paths the gates compute.
 * Unsampled paths get no gradient, no weight decay and no momentum step, so a step costs the
 * memory of the compact network, not of the supernet.
 */
export class PathWeights {
  private readonly fixed: NamedVariable[];
  private readonly paths = new Map<string, NamedVariable[][]>();

  constructor(network: Network) {
    const alphaNames = new Set(network.mixedOps.map((op) => `${op.label}/alpha`));
    const inPath = new Set<string>();
    for (const op of network.mixedOps) {
      const perCandidate = op.candidates.map((c) => c.module.variables().filter((v) => v.trainable));
      perCandidate.flat().forEach((v) => inPath.add(v.name));
      this.paths.set(op.label, perCandidate);
    }
    this.fixed = network.variables().filter((v) => v.trainable && !alphaNames.has(v.name) && !inPath.has(v.name));
  }

  forSample(sample: GateSample): { train: NamedVariable[]; decayed: NamedVariable[] } {
    const train = [...this.fixed];
    for (const [label, perCandidate] of this.paths) {
      const s = sample[label];
      if (!s) throw new Error(`gate sample has no entry for mixed op ${label}`);
      const seen = new Set<number>();
      for (const j of s.active) {
        if (seen.has(j)) continue;
        seen.add(j);
        // a candidate module shared by several paths (same weights) is trained once
        for (const v of perCandidate[j] ?? []) if (!train.includes(v)) train.push(v);
      }
    }
    return { train, decayed: train.filter(isDecayedWeight) };
  }
}

