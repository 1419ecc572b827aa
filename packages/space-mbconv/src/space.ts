import {
  MixedOp,
  ZeroOp,
  type Architecture,
  type Candidate,
  type CandidateDescription,
  type ExportedModel,
  type ExportModelOptions,
  type InputSpec,
  type MixedOpSpec,
  type Network,
  type OpSpec,
  type Rng,
  type SearchSpace,
  inheritWeightsByName,
} from '@proxyless/core';
import { parseCandidate, type MBConvChoice } from './candidates.js';
import {
  candidateGeometry,
  featureMixFeatures,
  firstConvFeatures,
  logitsFeatures,
  mbconvFeatures,
  resolveGeometry,
  zeroFeatures,
  type BlockGeometry,
  type SpaceGeometry,
} from './geometry.js';
import { Classifier, ConvBn, MBConv } from './modules.js';
import { MBConvNetwork, type NetworkBlock } from './network.js';
import { mbconvSpaceOptions, type MBConvSpaceOptions } from './options.js';
import { exportCheckedLayersModel } from './layers-export.js';
import { formatInspection, inspectArchitecture, type Inspection } from './summary.js';

/** Fixed-layer names (also the prefixes of their variables). */
export const FixedLayers = Object.freeze({ firstConv: 'first_conv', firstBlock: 'first_block', featureMix: 'feature_mix', classifier: 'classifier' });

/**
 * The ProxylessNAS MobileNetV2 (MBConv) search space. Every block of every stage is a mixed op over
 * MBConv candidates (kernel × expand ratio) plus `zero` where the block has an identity shortcut.
 * Variables are named `<label>/<candidate>/...` in both the supernet and compact networks, so weight
 * inheritance copies by name.
 */
export class MBConvSpace implements SearchSpace {
  readonly name = 'mbconv';
  readonly geometry: SpaceGeometry;

  constructor(readonly options: MBConvSpaceOptions, readonly input: InputSpec) {
    this.geometry = resolveGeometry(options, input);
    if (this.geometry.blocks.length === 0) throw new Error('mbconv space: no searchable blocks');
  }

  /** Builds the space from raw (unvalidated) options: validates and applies defaults. */
  static from(options: unknown, input: InputSpec): MBConvSpace {
    return new MBConvSpace(mbconvSpaceOptions.parse(options ?? {}), input);
  }

  /** The labels in forward order. */
  get labels(): string[] {
    return this.geometry.blocks.map((b) => b.label);
  }

  /** Whether block `b`'s MBConvs start as the identity (`zeroInitResidual`, only where there is a shortcut). */
  private zeroInit(b: BlockGeometry): boolean {
    return this.options.zeroInitResidual && b.idskip;
  }

  private get bnOptions() {
    return this.geometry.bn;
  }

  /** The fixed layers as priceable ops (first conv, first block, feature mix, classifier). */
  fixedOps(): OpSpec[] {
    const g = this.geometry;
    const bn = this.bnOptions;
    return [
      { name: FixedLayers.firstConv, features: firstConvFeatures(g.firstConv), build: (rng: Rng) => new ConvBn(FixedLayers.firstConv, g.firstConv, bn, rng) },
      { name: FixedLayers.firstBlock, features: mbconvFeatures(g.firstBlock), build: (rng: Rng) => new MBConv(FixedLayers.firstBlock, g.firstBlock, bn, rng) },
      { name: FixedLayers.featureMix, features: featureMixFeatures(g.featureMix), build: (rng: Rng) => new ConvBn(FixedLayers.featureMix, g.featureMix, bn, rng) },
      {
        name: FixedLayers.classifier,
        features: logitsFeatures(g.classifier),
        build: (rng: Rng) => new Classifier(FixedLayers.classifier, g.classifier.inFeatures, g.classifier.outFeatures, 0, rng, rng.fork('dropout')),
      },
    ];
  }

  private candidateSpec(b: BlockGeometry, name: string): OpSpec {
    const c = b.candidates.find((x) => x.name === name)!;
    const geo = candidateGeometry(b, c);
    if (!geo) return { name: c.name, features: zeroFeatures(b) };
    return { name: c.name, features: mbconvFeatures(geo), build: (rng: Rng) => new MBConv(`${b.label}/${c.name}`, geo, this.bnOptions, rng, this.zeroInit(b)) };
  }

  describe(): MixedOpSpec[] {
    return this.geometry.blocks.map((b) => ({ label: b.label, candidates: b.candidates.map((c) => this.candidateSpec(b, c.name)) }));
  }

  buildSupernet(rng: Rng): Network {
    const fixed = this.fixedOps();
    const { firstConv, firstBlock, featureMix, classifier } = this.buildFixed(rng);
    const mixedOps: MixedOp[] = [];
    const blocks: NetworkBlock[] = this.geometry.blocks.map((b) => {
      const candidates: Candidate[] = b.candidates.map((c) => {
        const spec = this.candidateSpec(b, c.name);
        return spec.build
          ? { name: c.name, features: spec.features, module: spec.build(rng) }
          : { name: c.name, features: spec.features, module: new ZeroOp(`${b.label}/zero`), isZero: true };
      });
      const alpha = new Float32Array(candidates.length).map(() => rng.normal(0, 1e-3));
      const op = new MixedOp(b.label, candidates, alpha);
      mixedOps.push(op);
      return { label: b.label, body: op, residual: b.idskip };
    });
    return new MBConvNetwork('mbconv-supernet', this.geometry, firstConv, firstBlock, blocks, featureMix, classifier, mixedOps, fixed);
  }

  /** Throws one error listing every label that is missing, unknown or has a choice not offered there. */
  validateArchitecture(architecture: Architecture): void {
    const problems: string[] = [];
    for (const b of this.geometry.blocks) {
      const choice = architecture[b.label];
      if (choice === undefined) problems.push(`${b.label}: missing`);
      else if (!b.candidates.some((c) => c.name === choice)) {
        const canon = parseCandidate(choice)?.name;
        const hint = canon && b.candidates.some((c) => c.name === canon) ? ` (write it as ${canon})` : '';
        problems.push(`${b.label} = ${JSON.stringify(choice)}${hint}; expected one of ${b.candidates.map((c) => c.name).join(', ')}`);
      }
    }
    const known = new Set(this.labels);
    for (const k of Object.keys(architecture)) if (!known.has(k)) problems.push(`${k}: not a block of this space (labels ${this.labels[0]} … ${this.labels[this.labels.length - 1]})`);
    if (problems.length) throw new Error(`mbconv space: architecture does not fit:\n  ${problems.join('\n  ')}`);
  }

  buildCompact(architecture: Architecture, rng: Rng): Network {
    this.validateArchitecture(architecture);
    const fixed = this.fixedOps();
    const { firstConv, firstBlock, featureMix, classifier } = this.buildFixed(rng);
    const blocks: NetworkBlock[] = this.geometry.blocks.map((b) => {
      const choice = architecture[b.label]!;
      const c = b.candidates.find((x) => x.name === choice)! as MBConvChoice | { kind: 'zero'; name: 'zero' };
      const geo = candidateGeometry(b, c);
      return geo
        ? { label: b.label, choice, body: new MBConv(`${b.label}/${choice}`, geo, this.bnOptions, rng, this.zeroInit(b)), residual: b.idskip }
        : { label: b.label, choice, residual: b.idskip };
    });
    return new MBConvNetwork('mbconv-compact', this.geometry, firstConv, firstBlock, blocks, featureMix, classifier, [], fixed);
  }

  /**
   * Weight inheritance: copies the fixed layers and every chosen path's weights (and batch-norm
   * statistics) of a trained supernet into a compact network of `architecture`. Variables match by
   * their stable names.
   */
  inheritWeights(supernet: Network, compact: Network, architecture: Architecture): void {
    this.validateArchitecture(architecture);
    for (const b of this.geometry.blocks) {
      const op = supernet.mixedOps.find((m) => m.label === b.label);
      if (!op) throw new Error(`inheritWeights: the supernet has no mixed op ${b.label}`);
      op.indexOf(architecture[b.label]!);
    }
    inheritWeightsByName(supernet, compact);
  }

  /** Stage-by-stage layers, parameters and multiply-accumulates of an architecture (no tensors). */
  inspect(architecture: Architecture): Inspection {
    this.validateArchitecture(architecture);
    return inspectArchitecture(this.geometry, architecture);
  }

  /** The lines `proxyless inspect` prints for an inspection. */
  formatInspection(x: Inspection, title?: string): string[] {
    return formatInspection(x, title);
  }

  /** Exports a compact network as a TF.js LayersModel directory, checked against the network on `check` inputs. */
  exportModel(network: Network, dir: string, options: ExportModelOptions = {}): Promise<ExportedModel> {
    return exportCheckedLayersModel(network, dir, options);
  }

  /** `5x5_MBConv6` → an MBConv with kernel 5 and expand ratio 6; `zero` → a skipped block. */
  describeCandidate(op: OpSpec): CandidateDescription {
    const c = parseCandidate(op.name);
    if (!c) return { name: op.name, kind: 'other' };
    if (c.kind === 'zero') return { name: op.name, kind: 'zero' };
    return { name: op.name, kind: 'mbconv', kernel: c.kernel, expand: c.expand };
  }

  private buildFixed(rng: Rng): { firstConv: ConvBn; firstBlock: MBConv; featureMix: ConvBn; classifier: Classifier } {
    const g = this.geometry;
    const bn = this.bnOptions;
    const firstConv = new ConvBn(FixedLayers.firstConv, g.firstConv, bn, rng);
    const firstBlock = new MBConv(FixedLayers.firstBlock, g.firstBlock, bn, rng);
    // Searchable blocks draw next; feature mix and classifier are drawn from forks so their weights
    // do not depend on how many candidates the space has.
    const featureMix = new ConvBn(FixedLayers.featureMix, g.featureMix, bn, rng.fork(FixedLayers.featureMix));
    const classifier = new Classifier(FixedLayers.classifier, g.classifier.inFeatures, g.classifier.outFeatures, g.dropout, rng.fork(FixedLayers.classifier), rng.fork('dropout'));
    return { firstConv, firstBlock, featureMix, classifier };
  }
}
