import type { Architecture, InputSpec } from '@proxyless/core';
import { parseEdgeOp } from './candidates.js';
import { EDGE_PATHS, type Shape, type TreeGeometry } from './geometry.js';

/** One row of an inspection: the stem, a residual tree block, or the head. */
export interface InspectedLayer {
  /** `stem`, a block label (`s1_b0`) or `head`. */
  readonly name: string;
  /** 0 for the stem, 1…3 for blocks, null for the head. */
  readonly stage: number | null;
  readonly input: Shape;
  readonly output: Shape;
  /** Bottleneck width (blocks). */
  readonly width?: number;
  readonly stride: number;
  /** `identity`, `identity+pad<n>`, `avgpool2+pad<n>` (blocks). */
  readonly shortcut?: string;
  /** The 12 edges' ops by path (blocks). */
  readonly edges?: Readonly<Record<string, string>>;
  readonly params: number;
  readonly macs: number;
  /** Where the block's parameters sit (blocks). */
  readonly breakdown?: { readonly bottlenecks: number; readonly root: number; readonly edges: number; readonly bn: number };
}

/** What `proxyless inspect` prints for a tree-cell architecture. */
export interface Inspection {
  readonly input: InputSpec;
  readonly architecture: Architecture;
  readonly layers: readonly InspectedLayer[];
  /** Trainable parameters (conv weights, BN γ/β, classifier weight and bias): the built network's count. */
  readonly params: number;
  /** Multiply-accumulates per image (convolutions and classifier; the authors' `get_flops`). */
  readonly macs: number;
  /** How many of the searched edges chose each op. */
  readonly opCounts: Readonly<Record<string, number>>;
}

const bnParams = (c: number): number => 2 * c;

/** Parameters and MACs of one candidate on a w-wide edge at h×w pixels. */
export function edgeCost(op: string, width: number, pixels: number): { params: number; macs: number } {
  const e = parseEdgeOp(op);
  if (!e) throw new Error(`unknown tree-cell op "${op}"`);
  if (e.kind !== 'sep_conv') return { params: 0, macs: 0 };
  const k2 = e.kernel * e.kernel;
  return { params: bnParams(width) + k2 * width + width * width, macs: (k2 * width + width * width) * pixels };
}

/** Layers, parameters and MACs of an architecture, from the geometry alone (no tensors). */
export function inspectArchitecture(g: TreeGeometry, architecture: Architecture): Inspection {
  const layers: InspectedLayer[] = [];
  const [h, w, c] = g.input.shape;
  const stemC = g.stem.output[2];
  layers.push({ name: 'stem', stage: 0, input: g.stem.input, output: g.stem.output, stride: 1, params: 9 * c * stemC + bnParams(stemC), macs: 9 * c * stemC * h * w });
  const opCounts: Record<string, number> = {};
  for (const b of g.blocks) {
    const [hi, wi, ci] = b.input;
    const [ho, wo, co] = b.output;
    const wb = b.width;
    const outPixels = ho * wo;
    const bottlenecks = bnParams(ci) + ci * wb + bnParams(wb) + wb * co;
    const root = bnParams(wb) + 9 * (wb / 2) * (2 * wb);
    const bn = 2 * bnParams(wb) + bnParams(co);
    let edgeParams = 0;
    let edgeMacs = 0;
    const edges: Record<string, string> = {};
    b.edges.forEach((label, i) => {
      const op = architecture[label];
      if (op === undefined) throw new Error(`inspect: the architecture has no choice for ${label}`);
      const cost = edgeCost(op, wb, outPixels);
      edgeParams += cost.params;
      edgeMacs += cost.macs;
      edges[EDGE_PATHS[i]!] = op;
      opCounts[op] = (opCounts[op] ?? 0) + 1;
    });
    const macs = ci * wb * hi * wi + (9 * (wb / 2) * 2 * wb) * outPixels + edgeMacs + wb * co * outPixels;
    const pad = b.padChannels > 0 ? `+pad${b.padChannels}` : '';
    layers.push({
      name: b.label,
      stage: b.stage,
      input: b.input,
      output: b.output,
      width: wb,
      stride: b.stride,
      shortcut: `${b.stride > 1 ? 'avgpool2' : 'identity'}${pad}`,
      edges,
      params: bottlenecks + root + edgeParams + bn,
      macs,
      breakdown: { bottlenecks, root, edges: edgeParams, bn },
    });
  }
  const F = g.head.input[2];
  const k = g.head.numClasses;
  layers.push({ name: 'head', stage: null, input: g.head.input, output: [1, 1, k], stride: 1, params: bnParams(F) + F * k + k, macs: F * k });
  return {
    input: g.input,
    architecture: { ...architecture },
    layers,
    params: layers.reduce((n, l) => n + l.params, 0),
    macs: layers.reduce((n, l) => n + l.macs, 0),
    opCounts,
  };
}

const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

/** Short op names for the cell sketch. */
const SHORT: Readonly<Record<string, string>> = {
  '3x3_DilatedDepthConv': 'dil3',
  Identity: 'id',
  '3x3_DepthConv': 'sep3',
  '5x5_DepthConv': 'sep5',
  '7x7_DepthConv': 'sep7',
  '3x3_AVGPool': 'avg3',
  '3x3_MAXPool': 'max3',
};
export const shortEdgeOp = (op: string): string => SHORT[op] ?? op;

/** `[e00 → (e000 + e001)] + [e01 → …]` per half, in short names. */
export function cellSketch(edges: Readonly<Record<string, string>>): string {
  const s = (p: string) => shortEdgeOp(edges[p]!);
  const half = (i: number) => [0, 1].map((j) => `${s(`${i}${j}`)}→(${s(`${i}${j}0`)}+${s(`${i}${j}1`)})`).join(' + ');
  return `${half(0)} | ${half(1)}`;
}

/** The lines `proxyless inspect` prints: one row per block (shape, stride, shortcut, params, MACs, cell). */
export function formatInspection(x: Inspection, title?: string): string[] {
  const lines: string[] = [];
  const [h, w, c] = x.input.shape;
  lines.push(`${title ? `${title}: ` : ''}PyramidNet tree-cell net, input ${h}×${w}×${c}, ${x.input.numClasses} classes, ${x.layers.length - 2} blocks`);
  lines.push(`${pad('layer', 9)}${pad('output', 12)}${pad('width', 7)}${pad('stride', 7)}${pad('shortcut', 16)}${lpad('params', 10)}${lpad('MMACs', 9)}  cell (half 0 | half 1)`);
  let stage: number | null = -1;
  for (const l of x.layers) {
    if (l.stage !== stage && l.stage !== null && l.stage > 0) lines.push(`stage ${l.stage}`);
    stage = l.stage;
    const out = l.name === 'head' ? String(l.output[2]) : l.output.join('×');
    lines.push(
      `${pad(`  ${l.name}`, 9)}${pad(out, 12)}${pad(l.width ? String(l.width) : '-', 7)}${pad(String(l.stride), 7)}${pad(l.shortcut ?? '-', 16)}${lpad(thousands(l.params), 10)}${lpad((l.macs / 1e6).toFixed(2), 9)}  ${l.edges ? cellSketch(l.edges) : ''}`,
    );
  }
  lines.push(`params: ${thousands(x.params)}   MACs: ${(x.macs / 1e6).toFixed(1)}M per image`);
  lines.push(`edge ops: ${Object.entries(x.opCounts).sort(([, a], [, b]) => b - a).map(([op, n]) => `${op} ×${n}`).join(', ')}`);
  return lines;
}
