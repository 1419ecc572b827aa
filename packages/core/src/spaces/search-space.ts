import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../random/rng.js';
import type { MixedOp } from '../nn/mixed-op.js';
import type { GateSample } from '../nn/gates.js';
import type { ForwardContext, Module } from '../nn/module.js';
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
  /**
   * Optional: the binarized forward of several gate samples on one input, output i for sample i,
   * computing once what the samples have in common (the layers before the first mixed op where they
   * differ). Equal to `apply` with each sample's gates; callers fall back to that when absent.
   */
  applyEach?(x: tf.Tensor, ctx: Omit<ForwardContext, 'gates' | 'mode'>, samples: readonly GateSample[]): tf.Tensor[];
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

  // Optional features. Callers check for them (`if (space.inspect)`) and never cast; a space
  // without one gets the generic behaviour (a choice list, the op features, no export).

  /** Optional: the layers of an architecture's compact network, its parameters and MACs (`proxyless inspect`). */
  inspect?(architecture: Architecture): SpaceInspection;
  /** Optional: the lines a person reads for an inspection (what `proxyless inspect` prints). */
  formatInspection?(inspection: SpaceInspection, title?: string): string[];
  /**
   * Optional: saves a compact network in a format other runtimes load (e.g. a TF.js LayersModel),
   * and — given `check` inputs — verifies that the exported model predicts what the network does.
   */
  exportModel?(network: Network, dir: string, options?: ExportModelOptions): Promise<ExportedModel>;
  /**
   * Optional: what a candidate is, for reports (kind, kernel, expand ratio). Without it, core
   * describes a candidate from its op features (`describeCandidate`). Stored in `architecture.json`.
   */
  describeCandidate?(op: OpSpec): CandidateDescription;
}

/** What `SearchSpace.inspect` returns: at least the parameter and multiply-accumulate counts of the compact network. */
export interface SpaceInspection {
  readonly input: InputSpec;
  readonly architecture: Architecture;
  /** Trainable parameters of the compact network (must equal the built network's). */
  readonly params: number;
  /** Multiply-accumulates per example. */
  readonly macs: number;
}

export interface ExportModelOptions {
  /** Inputs (N×H×W×C) on which the exported model must give the network's argmax; omitted: no check. */
  readonly check?: tf.Tensor4D;
  /** Fraction of `check` inputs that must agree (default 0.99). */
  readonly minAgreement?: number;
}

export interface ExportedModel {
  readonly dir: string;
  /** Files written, relative to `dir`. */
  readonly files: readonly string[];
  readonly bytes: number;
  /** Format name, e.g. `tfjs-layers-model`. */
  readonly format: string;
  /** Fraction of the `check` inputs on which the exported model agreed with the network. */
  readonly agreement?: number;
}

/** What a candidate op is, for people and reports. */
export interface CandidateDescription {
  readonly name: string;
  readonly kind: 'mbconv' | 'conv' | 'zero' | 'identity' | 'other';
  readonly kernel?: number;
  /** Expand ratio of an MBConv (1 for a plain conv). */
  readonly expand?: number;
}

/** A candidate's description: the space's own (`describeCandidate`), else one read from its op features. */
export function describeCandidate(space: Pick<SearchSpace, 'describeCandidate'>, op: OpSpec): CandidateDescription {
  if (space.describeCandidate) return space.describeCandidate(op);
  const f = op.features;
  const type = f.type.toLowerCase();
  if (type === 'zero') return { name: op.name, kind: 'zero' };
  if (type === 'identity') return { name: op.name, kind: 'identity' };
  const sized = { ...(f.kernel !== undefined ? { kernel: f.kernel } : {}), ...(f.expand !== undefined ? { expand: f.expand } : {}) };
  if (type === 'conv') return { name: op.name, kind: 'conv', ...sized, expand: 1 };
  return { name: op.name, kind: 'other', ...sized };
}
