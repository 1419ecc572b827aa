import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm,
  Lambda,
  MixedOp,
  type Architecture,
  type Candidate,
  type CandidateDescription,
  type ExportedModel,
  type ExportModelOptions,
  type InputSpec,
  type MixedOpSpec,
  type Module,
  type Network,
  type OpFeatures,
  type OpSpec,
  type Rng,
  type SearchSpace,
  inheritWeightsByName,
} from '@proxyless/core';
import { parseEdgeOp } from './candidates.js';
import { resolveGeometry, type BlockGeometry, type TreeGeometry } from './geometry.js';
import { exportCheckedLayersModel } from './layers-export.js';
import { buildEdgeOp, GroupedRootConv, Head, PreActConv, ResidualTreeBlock, Stem, TreeCell } from './modules.js';
import { PyramidTreeNetwork } from './network.js';
import { treeCellSpaceOptions, type TreeCellSpaceOptions } from './options.js';
import { formatInspection, inspectArchitecture, type Inspection } from './summary.js';

/** The latency features of one candidate on an edge of block `b`. */
export function edgeFeatures(b: BlockGeometry, name: string): OpFeatures {
  const op = parseEdgeOp(name);
  if (!op) throw new Error(`unknown tree-cell op "${name}"`);
  const shape = [b.output[0], b.output[1], b.width] as const;
  if (op.kind === 'identity') return { type: 'identity', input: shape, output: shape };
  if (op.kind === 'pool') return { type: `${op.pool}_pool`, input: shape, output: shape, kernel: op.kernel, stride: 1 };
  return { type: 'sep_conv', input: shape, output: shape, kernel: op.kernel, stride: 1, dilation: op.dilation };
}

/**
 * The PyramidNet tree-cell search space of the ProxylessNAS CIFAR-10 experiment (Cai et al. 2018b
 * cells on a PyramidNet backbone): 3 stages of B residual tree blocks whose bottleneck widths grow
 * linearly to F/4; every block's cell has 12 searched edges, each a mixed op over the candidates.
 * Edge labels are `<block>_e<path>` (`s2_b0_e01`); variables are `<label>/<candidate>/…` in the
 * supernet and compact networks alike, so weight inheritance copies by name.
 */
export class TreeCellSpace implements SearchSpace {
  readonly name = 'tree-cell';
  readonly geometry: TreeGeometry;

  constructor(readonly options: TreeCellSpaceOptions, readonly input: InputSpec) {
    this.geometry = resolveGeometry(options, input);
  }

  /** Builds the space from raw (unvalidated) options: validates and applies defaults. */
  static from(options: unknown, input: InputSpec): TreeCellSpace {
    return new TreeCellSpace(treeCellSpaceOptions.parse(options ?? {}), input);
  }

  /** Every edge label in forward order (12 per block). */
  get labels(): string[] {
    return this.geometry.blocks.flatMap((b) => b.edges);
  }

  private candidateSpec(b: BlockGeometry, label: string, name: string): OpSpec {
    const op = parseEdgeOp(name)!;
    const bn = this.geometry.bn;
    return { name, features: edgeFeatures(b, name), build: (rng: Rng) => buildEdgeOp(`${label}/${name}`, op, b.width, bn, rng) };
  }

  describe(): MixedOpSpec[] {
    return this.geometry.blocks.flatMap((b) => b.edges.map((label) => ({ label, candidates: this.geometry.ops.map((n) => this.candidateSpec(b, label, n)) })));
  }

  /** The fixed (unsearched) layers as priceable ops: stem, per block the bottlenecks, the root conv and the pooled shortcut, the head. */
  fixedOps(): OpSpec[] {
    const g = this.geometry;
    const bn = g.bn;
    const ops: OpSpec[] = [
      { name: 'stem', features: { type: 'conv', input: g.stem.input, output: g.stem.output, kernel: 3, stride: 1 }, build: (rng: Rng) => new Stem('stem', g.stem.input[2], g.stem.output[2], bn, rng) },
    ];
    for (const b of g.blocks) {
      const [hi, wi, ci] = b.input;
      const [ho, wo, co] = b.output;
      const w = b.width;
      ops.push(
        { name: `${b.label}/in_bottle`, features: { type: 'conv', input: b.input, output: [hi, wi, w], kernel: 1, stride: 1 }, build: (rng: Rng) => new PreActConv(`${b.label}/in_bottle`, ci, w, 1, 1, false, bn, rng) },
        {
          name: `${b.label}/root`,
          features: { type: 'conv', input: [hi, wi, w], output: [ho, wo, 2 * w], kernel: 3, stride: b.stride, extra: { groups: 2, shuffle: true } },
          build: (rng: Rng) => new GroupedRootConv(`${b.label}/root`, w, b.stride, bn, rng),
        },
        { name: `${b.label}/out_bottle`, features: { type: 'conv', input: [ho, wo, w], output: [ho, wo, co], kernel: 1, stride: 1 }, build: (rng: Rng) => new PreActConv(`${b.label}/out_bottle`, w, co, 1, 1, true, bn, rng) },
      );
      if (b.stride > 1) {
        ops.push({
          name: `${b.label}/shortcut`,
          features: { type: 'avg_pool', input: b.input, output: [ho, wo, ci], kernel: b.stride, stride: b.stride },
          build: () => new Lambda(`${b.label}/shortcut`, (x) => tf.avgPool(x as tf.Tensor4D, b.stride, b.stride, 'valid')),
        });
      }
    }
    const [, , F] = g.head.input;
    ops.push({ name: 'head', features: { type: 'Logits', input: g.head.input, output: [1, 1, g.head.numClasses] }, build: (rng: Rng) => new Head('head', F, g.head.numClasses, bn, rng) });
    return ops;
  }

  private buildNetwork(rng: Rng, edge: (b: BlockGeometry, label: string, rng: Rng) => Module, name: string, mixedOps: MixedOp[], architecture?: Architecture): PyramidTreeNetwork {
    const g = this.geometry;
    const bn = g.bn;
    const stem = new Stem('stem', g.stem.input[2], g.stem.output[2], bn, rng);
    const blocks = g.blocks.map((b) => {
      const w = b.width;
      const inBottle = new PreActConv(`${b.label}/in_bottle`, b.input[2], w, 1, 1, false, bn, rng);
      const root = new GroupedRootConv(`${b.label}/root`, w, b.stride, bn, rng);
      const edges = b.edges.map((label) => edge(b, label, rng));
      const branchBns = [0, 1].map((i) => new BatchNorm(`${b.label}/branch${i}_bn`, w, bn)) as unknown as [BatchNorm, BatchNorm];
      const cell = new TreeCell(`${b.label}/cell`, root, branchBns, edges);
      const outBottle = new PreActConv(`${b.label}/out_bottle`, w, b.output[2], 1, 1, true, bn, rng);
      const finalBn = new BatchNorm(`${b.label}/final_bn`, b.output[2], bn);
      return new ResidualTreeBlock(b.label, inBottle, cell, outBottle, finalBn, b.stride, b.padChannels, b.cellDropRate, rng.fork(`${b.label}/drop`));
    });
    const head = new Head('head', g.head.input[2], g.head.numClasses, bn, rng.fork('head'));
    return new PyramidTreeNetwork(name, g, stem, blocks, head, mixedOps, this.fixedOps(), architecture);
  }

  buildSupernet(rng: Rng): Network {
    const mixedOps: MixedOp[] = [];
    return this.buildNetwork(
      rng,
      (b, label, r) => {
        const candidates: Candidate[] = this.geometry.ops.map((n) => {
          const spec = this.candidateSpec(b, label, n);
          return { name: n, features: spec.features, module: spec.build!(r) };
        });
        const op = new MixedOp(label, candidates, new Float32Array(candidates.length).map(() => r.normal(0, 1e-3)));
        mixedOps.push(op);
        return op;
      },
      'tree-cell-supernet',
      mixedOps,
    );
  }

  /** Throws one error listing every edge that is missing, unknown, or has a choice not offered. */
  validateArchitecture(architecture: Architecture): void {
    const problems: string[] = [];
    const offered = this.geometry.ops;
    for (const label of this.labels) {
      const choice = architecture[label];
      if (choice === undefined) problems.push(`${label}: missing`);
      else if (!offered.includes(choice)) {
        const canon = parseEdgeOp(choice)?.name;
        const hint = canon && canon !== choice && offered.includes(canon) ? ` (write it as ${canon})` : '';
        problems.push(`${label} = ${JSON.stringify(choice)}${hint}; expected one of ${offered.join(', ')}`);
      }
    }
    const known = new Set(this.labels);
    const extra = Object.keys(architecture).filter((k) => !known.has(k));
    for (const k of extra.slice(0, 5)) problems.push(`${k}: not an edge of this space (labels ${this.labels[0]} … ${this.labels[this.labels.length - 1]})`);
    if (extra.length > 5) problems.push(`… and ${extra.length - 5} more unknown labels`);
    if (problems.length) {
      const shown = problems.slice(0, 12);
      throw new Error(`tree-cell space: architecture does not fit:\n  ${shown.join('\n  ')}${problems.length > shown.length ? `\n  … ${problems.length - shown.length} more` : ''}`);
    }
  }

  buildCompact(architecture: Architecture, rng: Rng): Network {
    this.validateArchitecture(architecture);
    return this.buildNetwork(
      rng,
      (b, label, r) => {
        const name = architecture[label]!;
        return this.candidateSpec(b, label, name).build!(r);
      },
      'tree-cell-compact',
      [],
      { ...architecture },
    );
  }

  /** Weight inheritance: copies every variable of the compact network from the supernet variable of the same name. */
  inheritWeights(supernet: Network, compact: Network, architecture: Architecture): void {
    this.validateArchitecture(architecture);
    inheritWeightsByName(supernet, compact);
  }

  inspect(architecture: Architecture): Inspection {
    this.validateArchitecture(architecture);
    return inspectArchitecture(this.geometry, architecture);
  }

  formatInspection(x: Inspection, title?: string): string[] {
    return formatInspection(x, title);
  }

  exportModel(network: Network, dir: string, options: ExportModelOptions = {}): Promise<ExportedModel> {
    return exportCheckedLayersModel(network, dir, options);
  }

  describeCandidate(op: OpSpec): CandidateDescription {
    const e = parseEdgeOp(op.name);
    if (!e) return { name: op.name, kind: 'other' };
    if (e.kind === 'identity') return { name: op.name, kind: 'identity' };
    if (e.kind === 'sep_conv') return { name: op.name, kind: 'conv', kernel: e.kernel, expand: 1 };
    return { name: op.name, kind: 'other', kernel: e.kernel };
  }
}

