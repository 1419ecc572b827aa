import type { Rng } from '../random/rng.js';
import type { MixedOp } from '../nn/mixed-op.js';
import type { Module } from '../nn/module.js';
import type { Architecture } from './architecture.js';
import type { OpFeatures } from './op-features.js';

export const SearchSpace = Symbol.for('proxyless.SearchSpace');

/** What the data tells a space about its input. */
export interface InputSpec {
  /** H×W×C of one example. */
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
}

/** One op a latency model can price: a mixed op's candidate or a fixed layer. */
export interface OpSpec {
  /** Candidate name (e.g. `3x3_MBConv6`) or fixed-layer name (e.g. `first_conv`). */
  readonly name: string;
  readonly features: OpFeatures;
  /** Builds a standalone module of this op (fresh weights), e.g. for measuring it. */
  build?(rng: Rng): Module;
}

/** A searchable block as the space describes it. */
export interface MixedOpSpec {
  /** Stable label, e.g. `s2_b0`. */
  readonly label: string;
  readonly candidates: readonly OpSpec[];
}

/**
 * A network built by a space: its fixed layers and its mixed ops in order. A compact network (built
 * from an `Architecture`) has no mixed ops.
 */
export interface Network extends Module {
  readonly mixedOps: readonly MixedOp[];
  /** Fixed layers in forward order (for latency of the parts that are not searched). */
  readonly fixedOps: readonly OpSpec[];
}

/** A search space: builds the over-parameterized network and compact networks from architectures. */
export interface SearchSpace {
  readonly name: string;
  readonly input: InputSpec;
  /** Mixed ops in forward order with their candidates and features. */
  describe(): readonly MixedOpSpec[];
  /** The over-parameterized network: fixed layers plus one mixed op per searchable block. */
  buildSupernet(rng: Rng): Network;
  /** A compact network with one chosen candidate per label (no mixed ops). */
  buildCompact(architecture: Architecture, rng: Rng): Network;
  /**
   * Optional: copy the chosen paths' weights of a trained supernet into a compact network
   * (weight inheritance).
   */
  inheritWeights?(supernet: Network, compact: Network, architecture: Architecture): void;
}
