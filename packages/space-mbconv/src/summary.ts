import type { Architecture, InputSpec } from '@proxyless/core';
import {
  candidateGeometry,
  convBnParams,
  convMacs,
  featureMixFeatures,
  firstConvFeatures,
  latencyKey,
  linearParams,
  logitsFeatures,
  mbconvFeatures,
  mbconvMacs,
  mbconvParams,
  type Shape,
  type SpaceGeometry,
} from './geometry.js';

/** One layer of an inspected network. */
export interface InspectedLayer {
  /** `first_conv`, `first_block`, a block label (`s1_b0`), `feature_mix` or `classifier`. */
  readonly name: string;
  /** Stage: 0 for the first conv and first block, 1… for searchable stages, null for the head. */
  readonly stage: number | null;
  /** `3x3_MBConv6`, `zero`, `3x3_conv`, `1x1_conv`, `avgpool+linear`. */
  readonly op: string;
  readonly input: Shape;
  readonly output: Shape;
  readonly kernel?: number;
  readonly expand?: number;
  readonly stride: number;
  readonly shortcut: boolean;
  readonly skipped: boolean;
  readonly params: number;
  readonly macs: number;
  /** ProxylessNAS lookup-table key (absent for skipped blocks). */
  readonly latencyKey?: string;
}

export interface InspectedStage {
  readonly stage: number;
  readonly width: number;
  readonly stride: number;
  /** Chosen candidate per block (`zero` for skipped blocks). */
  readonly blocks: readonly string[];
}

/** What `proxyless inspect` prints: the network layer by layer, per stage, with totals. */
export interface Inspection {
  readonly input: InputSpec;
  readonly architecture: Architecture;
  readonly layers: readonly InspectedLayer[];
  readonly stages: readonly InspectedStage[];
  /** Trainable parameters as PyTorch counts them (conv weights, BN γ/β, linear weight and bias). */
  readonly params: number;
  /** Multiply-accumulates per image (convolutions and classifier). */
  readonly macs: number;
  readonly blocks: { readonly total: number; readonly skipped: number };
}

/** Layers, parameters and MACs of an architecture, computed from the geometry alone (no tensors). */
export function inspectArchitecture(g: SpaceGeometry, architecture: Architecture): Inspection {
  const layers: InspectedLayer[] = [];
  layers.push({
    name: 'first_conv',
    stage: 0,
    op: `${g.firstConv.kernel}x${g.firstConv.kernel}_conv`,
    input: g.firstConv.input,
    output: g.firstConv.output,
    kernel: g.firstConv.kernel,
    stride: g.firstConv.stride,
    shortcut: false,
    skipped: false,
    params: convBnParams(g.firstConv),
    macs: convMacs(g.firstConv),
    latencyKey: latencyKey(firstConvFeatures(g.firstConv))!,
  });
  const fb = g.firstBlock;
  layers.push({
    name: 'first_block',
    stage: 0,
    op: `${fb.kernel}x${fb.kernel}_MBConv${fb.expand}`,
    input: fb.input,
    output: fb.output,
    kernel: fb.kernel,
    expand: fb.expand,
    stride: 1,
    shortcut: false,
    skipped: false,
    params: mbconvParams(fb),
    macs: mbconvMacs(fb),
    latencyKey: latencyKey(mbconvFeatures(fb))!,
  });
  for (const b of g.blocks) {
    const choice = architecture[b.label]!;
    const c = b.candidates.find((x) => x.name === choice);
    if (!c) throw new Error(`inspect: ${b.label} = ${JSON.stringify(choice)} is not offered there`);
    const geo = candidateGeometry(b, c);
    layers.push({
      name: b.label,
      stage: b.stage,
      op: choice,
      input: b.input,
      output: b.output,
      ...(geo ? { kernel: geo.kernel, expand: geo.expand } : {}),
      stride: b.stride,
      shortcut: b.idskip,
      skipped: !geo,
      params: geo ? mbconvParams(geo) : 0,
      macs: geo ? mbconvMacs(geo) : 0,
      ...(geo ? { latencyKey: latencyKey(mbconvFeatures(geo))! } : {}),
    });
  }
  layers.push({
    name: 'feature_mix',
    stage: null,
    op: '1x1_conv',
    input: g.featureMix.input,
    output: g.featureMix.output,
    kernel: 1,
    stride: 1,
    shortcut: false,
    skipped: false,
    params: convBnParams(g.featureMix),
    macs: convMacs(g.featureMix),
    latencyKey: latencyKey(featureMixFeatures(g.featureMix))!,
  });
  layers.push({
    name: 'classifier',
    stage: null,
    op: 'avgpool+linear',
    input: g.classifier.input,
    output: [1, 1, g.classifier.outFeatures],
    stride: 1,
    shortcut: false,
    skipped: false,
    params: linearParams(g.classifier.inFeatures, g.classifier.outFeatures),
    macs: g.classifier.inFeatures * g.classifier.outFeatures,
    latencyKey: latencyKey(logitsFeatures(g.classifier))!,
  });
  const stages: InspectedStage[] = g.stages.map((s, i) => ({
    stage: i + 1,
    width: s.width,
    stride: s.stride,
    blocks: g.blocks.filter((b) => b.stage === i + 1).map((b) => architecture[b.label]!),
  }));
  const skipped = layers.filter((l) => l.skipped).length;
  return {
    input: g.input,
    architecture: { ...architecture },
    layers,
    stages,
    params: layers.reduce((n, l) => n + l.params, 0),
    macs: layers.reduce((n, l) => n + l.macs, 0),
    blocks: { total: g.blocks.length, skipped },
  };
}

const shape = (s: readonly number[]): string => s.join('×');
const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** `3x3_MBConv6` → `MB6 3×3` (the paper's Figure 6 notation); `zero` → `skip`. */
export function shortOpName(op: string): string {
  const m = /^(\d)x\1_MBConv(\d+)$/.exec(op);
  if (m) return `MB${m[2]} ${m[1]}×${m[1]}`;
  return op === 'zero' ? 'skip' : op;
}

/**
 * The human-readable summary: one row per layer grouped by stage (output shape, op, stride,
 * shortcut, parameters, MACs), totals, then one line per stage in the style of the paper's
 * Figure 6 (kernel and expand ratio per block, skipped blocks marked).
 */
export function formatInspection(x: Inspection, title?: string): string[] {
  const lines: string[] = [];
  const [h, w, c] = x.input.shape;
  lines.push(`${title ? `${title}: ` : ''}input ${h}×${w}×${c}, ${x.input.numClasses} classes`);
  const header = `${pad('layer', 15)}${pad('output', 14)}${pad('op', 16)}${pad('stride', 8)}${pad('shortcut', 10)}${lpad('params', 11)}${lpad('MMACs', 10)}`;
  lines.push(header);
  let stage: number | null | undefined;
  for (const l of x.layers) {
    if (l.stage !== stage && l.stage !== null && l.stage > 0) {
      const s = x.stages[l.stage - 1]!;
      lines.push(`stage ${s.stage}: ${s.width} channels, ${s.blocks.length} block${s.blocks.length === 1 ? '' : 's'}, stride ${s.stride}`);
    }
    if (l.stage === null && stage !== null) lines.push('head');
    stage = l.stage;
    const out = l.name === 'classifier' ? String(l.output[2]) : shape(l.output);
    const op = l.skipped ? 'zero (skipped)' : l.op;
    lines.push(
      `${pad(`  ${l.name}`, 15)}${pad(out, 14)}${pad(op, 16)}${pad(String(l.stride), 8)}${pad(l.shortcut ? 'identity' : '-', 10)}${lpad(l.skipped ? '-' : thousands(l.params), 11)}${lpad(l.skipped ? '-' : (l.macs / 1e6).toFixed(2), 10)}`,
    );
  }
  lines.push(`params: ${thousands(x.params)}   MACs: ${(x.macs / 1e6).toFixed(1)}M per image   blocks: ${x.blocks.total - x.blocks.skipped} of ${x.blocks.total} (${x.blocks.skipped} skipped)`);
  lines.push('');
  lines.push(...architectureSketch(x));
  return lines;
}

/** One line per stage, like the paper's Figure 6: `stage 1  24 s2  | MB3 5×5 | MB3 3×3 | skip | skip |`. */
export function architectureSketch(x: Inspection): string[] {
  const fb = x.layers.find((l) => l.name === 'first_block')!;
  const fc = x.layers[0]!;
  const out = [`stem     ${pad(`${fc.output[2]} s${fc.stride}`, 8)}| conv ${fc.kernel}×${fc.kernel} | ${shortOpName(fb.op)} → ${fb.output[2]} |`];
  for (const s of x.stages) out.push(`stage ${s.stage}  ${pad(`${s.width} s${s.stride}`, 8)}| ${s.blocks.map(shortOpName).join(' | ')} |`);
  return out;
}
