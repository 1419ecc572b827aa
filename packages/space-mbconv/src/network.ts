import { BlockNetwork, type Block, type MixedOp, type OpSpec } from '@proxyless/core';
import type { SpaceGeometry } from './geometry.js';
import type { Classifier, ConvBn, MBConv } from './modules.js';

/** One searchable block of a built network (a core `Block` plus the chosen candidate's name). */
export interface NetworkBlock extends Block {
  /** Candidate name in a compact network. */
  readonly choice?: string;
}

/**
 * A MobileNetV2-style network of the MBConv space: first conv → first block → searchable blocks
 * (each x + body(x) when it has a shortcut; a skipped block is the identity) → 1×1 feature mix →
 * global average pool → dropout → classifier.
 */
export class MBConvNetwork extends BlockNetwork {
  constructor(
    name: string,
    readonly geometry: SpaceGeometry,
    readonly firstConv: ConvBn,
    readonly firstBlock: MBConv,
    override readonly blocks: readonly NetworkBlock[],
    readonly featureMix: ConvBn,
    readonly classifier: Classifier,
    mixedOps: readonly MixedOp[],
    fixedOps: readonly OpSpec[],
  ) {
    super(name, [firstConv, firstBlock], blocks, [featureMix, classifier], mixedOps, fixedOps);
  }

  /** Whether every block is a concrete MBConv or skipped (no mixed ops). */
  get compact(): boolean {
    return this.mixedOps.length === 0;
  }
}
