import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm, Conv2d, Dense, DepthwiseConv2d, type BatchNormOptions, type ForwardContext, type Module, type NamedVariable, type Rng } from '@proxyless/core';
import type { EdgeOp } from './candidates.js';
import { avgPoolSame, convSymmetric, depthwiseConvDilated, shuffleTwo } from './ops.js';

/** Pre-activation conv (`ops_order: bn_act_weight`): BN(in) → ReLU (optional) → k×k conv, no bias. */
export class PreActConv implements Module {
  readonly bn: BatchNorm;
  readonly conv: Conv2d;

  constructor(readonly name: string, inC: number, outC: number, readonly kernel: number, readonly stride: number, readonly act: boolean, bn: BatchNormOptions, rng: Rng) {
    this.bn = new BatchNorm(`${name}/bn`, inC, bn);
    this.conv = new Conv2d(`${name}/conv`, inC, outC, { kernel }, rng);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      let h = this.bn.apply(x, ctx);
      if (this.act) h = tf.relu(h);
      return convSymmetric(h as tf.Tensor4D, this.conv.w as tf.Tensor4D, this.stride);
    });
  }

  variables(): NamedVariable[] {
    return [...this.bn.variables(), ...this.conv.variables()];
  }
}

/**
 * The cell's root edge: BN → ReLU → 3×3 conv with 2 groups (w → 2w channels, carries the block's
 * stride) → channel shuffle. The grouped conv is two convs on the two channel halves (so it trains
 * and exports with ordinary ops), interleaved by the shuffle.
 */
export class GroupedRootConv implements Module {
  readonly bn: BatchNorm;
  readonly groups: readonly [Conv2d, Conv2d];

  constructor(readonly name: string, readonly inChannels: number, readonly stride: number, bn: BatchNormOptions, rng: Rng, readonly kernel = 3) {
    if (inChannels % 2 !== 0) throw new Error(`${name}: a 2-group conv needs an even channel count, got ${inChannels}`);
    this.bn = new BatchNorm(`${name}/bn`, inChannels, bn);
    const half = inChannels / 2;
    this.groups = [0, 1].map((g) => new Conv2d(`${name}/conv_g${g}`, half, inChannels, { kernel }, rng)) as unknown as [Conv2d, Conv2d];
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const h = tf.relu(this.bn.apply(x, ctx)) as tf.Tensor4D;
      const [a, b] = tf.split(h, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
      const ya = convSymmetric(a, this.groups[0].w as tf.Tensor4D, this.stride);
      const yb = convSymmetric(b, this.groups[1].w as tf.Tensor4D, this.stride);
      return shuffleTwo(ya, yb);
    });
  }

  variables(): NamedVariable[] {
    return [...this.bn.variables(), ...this.groups[0].variables(), ...this.groups[1].variables()];
  }
}

/** Depthwise-separable edge (`DepthConvLayer`): BN → ReLU → k×k depthwise (dilation d) → 1×1 pointwise. */
export class SepConv implements Module {
  readonly bn: BatchNorm;
  readonly depthwise: DepthwiseConv2d;
  readonly pointwise: Conv2d;

  constructor(readonly name: string, readonly channels: number, readonly kernel: number, readonly dilation: number, bn: BatchNormOptions, rng: Rng) {
    this.bn = new BatchNorm(`${name}/bn`, channels, bn);
    this.depthwise = new DepthwiseConv2d(`${name}/depthwise`, channels, kernel, 1, rng);
    this.pointwise = new Conv2d(`${name}/pointwise`, channels, channels, { kernel: 1 }, rng);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const h = tf.relu(this.bn.apply(x, ctx)) as tf.Tensor4D;
      const d = depthwiseConvDilated(h, this.depthwise.w as tf.Tensor4D, this.dilation, ctx.training);
      return tf.conv2d(d, this.pointwise.w as tf.Tensor4D, 1, 'valid');
    });
  }

  variables(): NamedVariable[] {
    return [...this.bn.variables(), ...this.depthwise.variables(), ...this.pointwise.variables()];
  }
}

/** k×k stride-1 pooling with `same` padding (average: padding excluded). */
export class Pool implements Module {
  constructor(readonly name: string, readonly pool: 'avg' | 'max', readonly kernel: number) {}

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const x4 = x as tf.Tensor4D;
    return this.pool === 'max' ? tf.maxPool(x4, this.kernel, 1, 'same') : avgPoolSame(x4, this.kernel, ctx.training);
  }

  variables(): NamedVariable[] {
    return [];
  }
}

/** The identity edge. */
export class Identity implements Module {
  constructor(readonly name: string) {}
  apply(x: tf.Tensor): tf.Tensor {
    return tf.clone(x);
  }
  variables(): NamedVariable[] {
    return [];
  }
}

/** The module of one candidate op on a `channels`-wide edge. */
export function buildEdgeOp(name: string, op: EdgeOp, channels: number, bn: BatchNormOptions, rng: Rng): Module {
  if (op.kind === 'sep_conv') return new SepConv(name, channels, op.kernel, op.dilation, bn, rng);
  if (op.kind === 'pool') return new Pool(name, op.pool, op.kernel);
  return new Identity(name);
}

/**
 * The tree cell (a `TreeNode` of depth 3 under the root edge): root grouped conv (w → 2w) → the
 * split node cuts the channels into two halves; on each half a copy node feeds two searched edges,
 * each followed by a leaf node that feeds its input to two more searched edges and adds them; the
 * copy node adds its two paths, its own batch norm follows, and the half is added back (identity
 * skip); the two halves are added. 12 searched edges, in `EDGE_PATHS` order:
 * e00 → (e000 + e001), e01 → (e010 + e011) on half 0; e10 …, e11 … on half 1.
 */
export class TreeCell implements Module {
  constructor(
    readonly name: string,
    readonly root: GroupedRootConv,
    readonly branchBns: readonly [BatchNorm, BatchNorm],
    /** The 12 searched edges (mixed ops in a supernet, chosen candidates in a compact net). */
    readonly edges: readonly Module[],
  ) {
    if (edges.length !== 12) throw new Error(`${name}: a tree cell has 12 searched edges, got ${edges.length}`);
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const halves = tf.split(this.root.apply(x, ctx), 2, 3);
      let out: tf.Tensor | undefined;
      for (let i = 0; i < 2; i++) {
        const xi = halves[i]!;
        let s: tf.Tensor | undefined;
        for (let j = 0; j < 2; j++) {
          const base = i * 6 + j * 3; // e_ij, e_ij0, e_ij1
          const y = this.edges[base]!.apply(xi, ctx);
          const leaf = tf.add(this.edges[base + 1]!.apply(y, ctx), this.edges[base + 2]!.apply(y, ctx));
          s = s ? tf.add(s, leaf) : leaf;
        }
        const branch = tf.add(this.branchBns[i]!.apply(s!, ctx), xi);
        out = out ? tf.add(out, branch) : branch;
      }
      return out!;
    });
  }

  variables(): NamedVariable[] {
    return [...this.root.variables(), ...this.edges.flatMap((e) => e.variables()), ...this.branchBns.flatMap((b) => b.variables())];
  }
}

/**
 * A residual tree block: x ↦ shortcut(x) + BN(out_bottle(cell(in_bottle(x)))), where in_bottle is
 * BN → 1×1 conv (no activation), out_bottle BN → ReLU → 1×1 conv (w → 4w), and the shortcut is the
 * identity, or a 2×2 average pool at a stride-2 block, with zero channels appended where the width
 * grows. DropPath (`cellDropRate`): in training the residual of the whole batch is dropped with that
 * probability; at inference it is scaled by 1 − rate (the authors' convention).
 */
export class ResidualTreeBlock implements Module {
  constructor(
    readonly name: string,
    readonly inBottle: PreActConv,
    readonly cell: TreeCell,
    readonly outBottle: PreActConv,
    readonly finalBn: BatchNorm,
    readonly stride: number,
    readonly padChannels: number,
    readonly cellDropRate: number,
    private readonly dropRng: Rng,
  ) {}

  shortcut(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let s = this.stride > 1 ? tf.avgPool(x as tf.Tensor4D, this.stride, this.stride, 'valid') : x;
      if (this.padChannels > 0) s = tf.pad(s, [[0, 0], [0, 0], [0, 0], [0, this.padChannels]]);
      return s === x ? tf.clone(x) : s;
    });
  }

  residual(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => this.finalBn.apply(this.outBottle.apply(this.cell.apply(this.inBottle.apply(x, ctx), ctx), ctx), ctx));
  }

  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const s = this.shortcut(x);
      const rate = this.cellDropRate;
      if (rate > 0 && ctx.training && (ctx.rng ?? this.dropRng).next() < rate) return s;
      let r = this.residual(x, ctx);
      if (rate > 0 && !ctx.training) r = tf.mul(r, 1 - rate);
      return tf.add(s, r);
    });
  }

  variables(): NamedVariable[] {
    return [...this.inBottle.variables(), ...this.cell.variables(), ...this.outBottle.variables(), ...this.finalBn.variables()];
  }
}

/** Stem: 3×3 conv (no BN before it: the input is the image) → BN. */
export class Stem implements Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;
  constructor(readonly name: string, inC: number, outC: number, bn: BatchNormOptions, rng: Rng) {
    this.conv = new Conv2d(`${name}/conv`, inC, outC, { kernel: 3 }, rng);
    this.bn = new BatchNorm(`${name}/bn`, outC, bn);
  }
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => this.bn.apply(this.conv.apply(x, ctx), ctx));
  }
  variables(): NamedVariable[] {
    return [...this.conv.variables(), ...this.bn.variables()];
  }
}

/** Head: BN → ReLU → global average pool → linear classifier (the only bias of the net). */
export class Head implements Module {
  readonly bn: BatchNorm;
  readonly dense: Dense;
  constructor(readonly name: string, channels: number, numClasses: number, bn: BatchNormOptions, rng: Rng) {
    this.bn = new BatchNorm(`${name}/bn`, channels, bn);
    this.dense = new Dense('classifier', channels, numClasses, rng);
  }
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => this.dense.apply(tf.mean(tf.relu(this.bn.apply(x, ctx)), [1, 2]), ctx));
  }
  variables(): NamedVariable[] {
    return [...this.bn.variables(), ...this.dense.variables()];
  }
}
