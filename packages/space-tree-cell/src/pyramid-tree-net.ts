import type { Architecture, InputSpec } from '@proxyless/core';
import { DEFAULT_EDGE_OPS, parseEdgeOp } from './candidates.js';
import { EDGE_PATHS, pyramidWidths } from './geometry.js';
import { treeCellSpaceOptions, type TreeCellSpaceOptions } from './options.js';
import { TreeCellSpace } from './space.js';

/**
 * The authors' `PyramidTreeNet` JSON (the released Proxyless-G CIFAR-10 config,
 * `proxyless_cifar.config`), read into this space's options and an architecture, and written back
 * with the same keys in the same order.
 *
 * Layout: `blocks[0]` a TransitionBlock (3×3 conv, then BN as an `IdentityLayer` with `use_bn`),
 * `blocks[1..3B]` ResidualTreeBlocks, the last a TransitionBlock (BN → ReLU → average pool over the
 * whole map), then a LinearLayer `classifier`. Every layer is `ops_order: bn_act_weight`.
 */

/** A bad file: `path` names the field (`blocks[3].cell.child_nodes[0].edges[1].name`). */
export class PyramidTreeNetError extends Error {
  constructor(readonly path: string, readonly value: unknown, readonly expected: string) {
    super(`PyramidTreeNet ${path}: got ${JSON.stringify(value) ?? 'nothing'}; expected ${expected}`);
    this.name = 'PyramidTreeNetError';
  }
}

type Json = Record<string, unknown>;

function obj(v: unknown, path: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PyramidTreeNetError(path, v, 'an object');
  return v as Json;
}
function arr(v: unknown, path: string, length?: number): unknown[] {
  if (!Array.isArray(v)) throw new PyramidTreeNetError(path, v, 'an array');
  if (length !== undefined && v.length !== length) throw new PyramidTreeNetError(`${path}.length`, v.length, String(length));
  return v;
}
function field<T>(o: Json, key: string, path: string, ok: (v: unknown) => v is T, expected: string): T {
  const v = o[key];
  if (!ok(v)) throw new PyramidTreeNetError(`${path}.${key}`, v, expected);
  return v;
}
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const eq =
  <T>(x: T) =>
  (v: unknown): v is T =>
    v === x;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
function expectEq(o: Json, key: string, path: string, value: unknown, why = ''): void {
  if (o[key] !== value) throw new PyramidTreeNetError(`${path}.${key}`, o[key], `${JSON.stringify(value)}${why ? ` (${why})` : ''}`);
}

/** Checks the fields every layer of the format shares (`bn_act_weight`, no dropout). */
function layerCommon(l: Json, path: string, useBn: boolean, act: string | null): void {
  expectEq(l, 'use_bn', path, useBn);
  expectEq(l, 'act_func', path, act);
  expectEq(l, 'dropout_rate', path, 0, 'dropout is not part of this space');
  expectEq(l, 'ops_order', path, 'bn_act_weight', 'pre-activation');
}
function convLayer(l: Json, path: string, c: { name?: string; kernel: number; stride?: number; groups?: number; shuffle?: boolean; inC: number; outC: number; useBn: boolean; act: string | null }): void {
  expectEq(l, 'name', path, c.name ?? 'ConvLayer');
  expectEq(l, 'kernel_size', path, c.kernel);
  if (c.stride !== undefined) expectEq(l, 'stride', path, c.stride);
  expectEq(l, 'dilation', path, 1);
  expectEq(l, 'groups', path, c.groups ?? 1);
  expectEq(l, 'bias', path, false);
  expectEq(l, 'has_shuffle', path, c.shuffle ?? false);
  expectEq(l, 'in_channels', path, c.inC, 'the channels that reach it');
  expectEq(l, 'out_channels', path, c.outC);
  layerCommon(l, path, c.useBn, c.act);
}

/** A searched edge's op name, from its layer config. */
function edgeOp(l: Json, path: string, width: number): string {
  const name = l.name;
  const channels = () => {
    expectEq(l, 'in_channels', path, width, "the cell's bottleneck width");
    expectEq(l, 'out_channels', path, width, "the cell's bottleneck width");
  };
  if (name === 'IdentityLayer') {
    channels();
    layerCommon(l, path, false, null);
    return 'Identity';
  }
  if (name === 'DepthConvLayer') {
    const k = field(l, 'kernel_size', path, (v): v is number => isInt(v) && (v as number) % 2 === 1, 'an odd kernel size');
    const d = field(l, 'dilation', path, (v): v is number => v === 1 || v === 2, '1 or 2');
    expectEq(l, 'stride', path, 1, 'searched edges keep the resolution');
    expectEq(l, 'groups', path, 1);
    expectEq(l, 'bias', path, false);
    expectEq(l, 'has_shuffle', path, false);
    channels();
    layerCommon(l, path, true, 'relu');
    return `${k}x${k}_${d === 2 ? 'Dilated' : ''}DepthConv`;
  }
  if (name === 'PoolingLayer') {
    const t = field(l, 'pool_type', path, (v): v is 'avg' | 'max' => v === 'avg' || v === 'max', '"avg" or "max"');
    const k = field(l, 'kernel_size', path, (v): v is number => isInt(v) && (v as number) % 2 === 1, 'an odd kernel size');
    expectEq(l, 'stride', path, 1, 'searched edges keep the resolution');
    channels();
    layerCommon(l, path, false, null);
    return `${k}x${k}_${t.toUpperCase()}Pool`;
  }
  throw new PyramidTreeNetError(`${path}.name`, name, 'a tree-cell op layer: "DepthConvLayer", "PoolingLayer" or "IdentityLayer"');
}

function treeNode(n: Json, path: string, c: { inC: number; outC: number; split: string | null; merge: string | null; branchBn: boolean }): { edges: Json[]; children: (Json | null)[] } {
  expectEq(n, 'name', path, 'TreeNode');
  expectEq(n, 'in_channels', path, c.inC, 'the channels that reach it');
  expectEq(n, 'out_channels', path, c.outC);
  expectEq(n, 'split_type', path, c.split);
  expectEq(n, 'merge_type', path, c.merge);
  expectEq(n, 'has_branch_bn', path, c.branchBn);
  expectEq(n, 'path_drop_rate', path, 0, 'per-path drop is not supported; use the cell drop rate');
  const edges = arr(n.edges, `${path}.edges`).map((e, i) => obj(e, `${path}.edges[${i}]`));
  const children = arr(n.child_nodes, `${path}.child_nodes`, edges.length).map((ch, i) => (ch === null ? null : obj(ch, `${path}.child_nodes[${i}]`)));
  return { edges, children };
}

/** The released file read into this space. */
export interface ImportedPyramidTreeNet {
  readonly options: TreeCellSpaceOptions;
  readonly input: InputSpec;
  readonly architecture: Architecture;
  readonly space: TreeCellSpace;
}

/** Whether a parsed JSON value looks like a `PyramidTreeNet` config. */
export const isPyramidTreeNet = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as { name?: unknown }).name === 'PyramidTreeNet';

/**
 * Reads a `PyramidTreeNet` config: checks every field against this space's structure (an unknown
 * op or channels that do not meet throw a `PyramidTreeNetError` naming the field) and returns the
 * options and architecture that build this exact network. The input resolution is 4 × the final
 * pool's kernel (two stride-2 stages), unless `resolution` is given.
 */
export function readPyramidTreeNet(json: unknown, opts: { resolution?: number } = {}): ImportedPyramidTreeNet {
  const cfg = obj(json, '(root)');
  expectEq(cfg, 'name', '(root)', 'PyramidTreeNet');
  const blocks = arr(cfg.blocks, 'blocks').map((b, i) => obj(b, `blocks[${i}]`));
  if (blocks.length < 5 || (blocks.length - 2) % 3 !== 0) throw new PyramidTreeNetError('blocks.length', blocks.length, 'a stem TransitionBlock, 3·B ResidualTreeBlocks and a final TransitionBlock');
  const L = blocks.length - 2;
  const B = L / 3;

  // stem
  const first = blocks[0]!;
  expectEq(first, 'name', 'blocks[0]', 'TransitionBlock');
  const stemLayers = arr(first.layers, 'blocks[0].layers', 2).map((l, i) => obj(l, `blocks[0].layers[${i}]`));
  const sc = stemLayers[0]!;
  const inChannels = field(sc, 'in_channels', 'blocks[0].layers[0]', (v): v is number => isInt(v) && (v as number) > 0, 'a positive integer');
  const stem = field(sc, 'out_channels', 'blocks[0].layers[0]', (v): v is number => isInt(v) && (v as number) > 0, 'a positive integer');
  convLayer(sc, 'blocks[0].layers[0]', { kernel: 3, stride: 1, inC: inChannels, outC: stem, useBn: false, act: null });
  const sb = stemLayers[1]!;
  expectEq(sb, 'name', 'blocks[0].layers[1]', 'IdentityLayer');
  expectEq(sb, 'in_channels', 'blocks[0].layers[1]', stem);
  expectEq(sb, 'out_channels', 'blocks[0].layers[1]', stem);
  layerCommon(sb, 'blocks[0].layers[1]', true, null);

  // final width from the last block
  const lastBlock = blocks[L]!;
  const lastOut = obj(lastBlock.out_bottle, `blocks[${L}].out_bottle`);
  const F = field(lastOut, 'out_channels', `blocks[${L}].out_bottle`, (v): v is number => isInt(v) && (v as number) > 0, 'a positive integer');
  const widths = pyramidWidths(stem, F, L);

  const architecture: Architecture = {};
  const used = new Set<string>();
  const drops: number[] = [];
  let channels = stem;
  for (let i = 0; i < L; i++) {
    const p = `blocks[${i + 1}]`;
    const b = blocks[i + 1]!;
    expectEq(b, 'name', p, 'ResidualTreeBlock');
    expectEq(b, 'final_bn', p, true);
    drops.push(field(b, 'cell_drop_rate', p, (v): v is number => isNum(v) && (v as number) >= 0 && (v as number) < 1, 'a rate in [0, 1)'));
    const stage = Math.floor(i / B) + 1;
    const index = i % B;
    const stride = stage > 1 && index === 0 ? 2 : 1;
    const w = widths[i]!;
    const out = 4 * w;
    const label = `s${stage}_b${index}`;
    // shortcut
    const s = obj(b.shortcut, `${p}.shortcut`);
    if (stride === 1) {
      expectEq(s, 'name', `${p}.shortcut`, 'IdentityLayer', 'stride-1 blocks have an identity shortcut');
      expectEq(s, 'in_channels', `${p}.shortcut`, channels);
      expectEq(s, 'out_channels', `${p}.shortcut`, channels);
      layerCommon(s, `${p}.shortcut`, false, null);
    } else {
      expectEq(s, 'name', `${p}.shortcut`, 'PoolingLayer', 'the first block of stages 2 and 3 pools its shortcut');
      expectEq(s, 'pool_type', `${p}.shortcut`, 'avg');
      expectEq(s, 'kernel_size', `${p}.shortcut`, 2);
      expectEq(s, 'stride', `${p}.shortcut`, 2);
      expectEq(s, 'in_channels', `${p}.shortcut`, channels);
      expectEq(s, 'out_channels', `${p}.shortcut`, channels);
      layerCommon(s, `${p}.shortcut`, false, null);
    }
    convLayer(obj(b.in_bottle, `${p}.in_bottle`), `${p}.in_bottle`, { kernel: 1, stride: 1, inC: channels, outC: w, useBn: true, act: null });
    convLayer(obj(b.out_bottle, `${p}.out_bottle`), `${p}.out_bottle`, { kernel: 1, stride: 1, inC: w, outC: out, useBn: true, act: 'relu' });
    // the cell
    const cp = `${p}.cell`;
    const root = treeNode(obj(b.cell, cp), cp, { inC: w, outC: w, split: null, merge: null, branchBn: false });
    arr(root.edges, `${cp}.edges`, 1);
    convLayer(root.edges[0]!, `${cp}.edges[0]`, { kernel: 3, stride, groups: 2, shuffle: true, inC: w, outC: 2 * w, useBn: true, act: 'relu' });
    const sp = `${cp}.child_nodes[0]`;
    if (!root.children[0]) throw new PyramidTreeNetError(sp, null, 'the split node');
    const split = treeNode(root.children[0], sp, { inC: 2 * w, outC: w, split: 'split', merge: 'add', branchBn: true });
    arr(split.edges, `${sp}.edges`, 2);
    const choices: string[] = [];
    split.edges.forEach((e, k) => {
      if (edgeOp(e, `${sp}.edges[${k}]`, w) !== 'Identity') throw new PyramidTreeNetError(`${sp}.edges[${k}].name`, e.name, '"IdentityLayer" (the split node\'s edges are fixed)');
    });
    for (let ii = 0; ii < 2; ii++) {
      const np = `${sp}.child_nodes[${ii}]`;
      if (!split.children[ii]) throw new PyramidTreeNetError(np, null, 'a copy node');
      const node = treeNode(split.children[ii]!, np, { inC: w, outC: w, split: 'copy', merge: 'add', branchBn: false });
      arr(node.edges, `${np}.edges`, 2);
      for (let j = 0; j < 2; j++) {
        choices.push(edgeOp(node.edges[j]!, `${np}.edges[${j}]`, w));
        const lp = `${np}.child_nodes[${j}]`;
        if (!node.children[j]) throw new PyramidTreeNetError(lp, null, 'a leaf node');
        const leaf = treeNode(node.children[j]!, lp, { inC: w, outC: w, split: 'copy', merge: 'add', branchBn: false });
        arr(leaf.edges, `${lp}.edges`, 2);
        leaf.children.forEach((ch, k) => {
          if (ch !== null) throw new PyramidTreeNetError(`${lp}.child_nodes[${k}]`, '(a node)', 'null (cells are 3 levels deep)');
        });
        for (let k = 0; k < 2; k++) choices.push(edgeOp(leaf.edges[k]!, `${lp}.edges[${k}]`, w));
      }
    }
    // choices are in DFS order: e00, e000, e001, e01, e010, e011, e10, …  = EDGE_PATHS
    choices.forEach((c, k) => {
      architecture[`${label}_e${EDGE_PATHS[k]}`] = c;
      used.add(c);
    });
    channels = out;
  }
  if (channels !== F) throw new PyramidTreeNetError(`blocks[${L}].out_bottle.out_channels`, channels, String(F));

  // head
  const hp = `blocks[${L + 1}]`;
  const last = blocks[L + 1]!;
  expectEq(last, 'name', hp, 'TransitionBlock');
  const pool = obj(arr(last.layers, `${hp}.layers`, 1)[0], `${hp}.layers[0]`);
  expectEq(pool, 'name', `${hp}.layers[0]`, 'PoolingLayer');
  expectEq(pool, 'pool_type', `${hp}.layers[0]`, 'avg');
  const finalSize = field(pool, 'kernel_size', `${hp}.layers[0]`, (v): v is number => isInt(v) && (v as number) > 0, 'the final feature map size');
  expectEq(pool, 'stride', `${hp}.layers[0]`, finalSize, 'a global average pool');
  expectEq(pool, 'in_channels', `${hp}.layers[0]`, F);
  expectEq(pool, 'out_channels', `${hp}.layers[0]`, F);
  layerCommon(pool, `${hp}.layers[0]`, true, 'relu');
  const cls = obj(cfg.classifier, 'classifier');
  expectEq(cls, 'name', 'classifier', 'LinearLayer');
  expectEq(cls, 'in_features', 'classifier', F);
  const numClasses = field(cls, 'out_features', 'classifier', (v): v is number => isInt(v) && (v as number) > 0, 'a positive integer');
  expectEq(cls, 'bias', 'classifier', true);
  layerCommon(cls, 'classifier', false, null);

  const resolution = opts.resolution ?? finalSize * 4;
  if (resolution !== finalSize * 4) throw new PyramidTreeNetError(`${hp}.layers[0].kernel_size`, finalSize, `${resolution / 4} (the final map of a ${resolution}×${resolution} input)`);

  // cell drop rate: all zero, constant, or the authors' linear scheme
  let cellDropRate = 0;
  let cellDropScheme: 'linear' | 'constant' = 'linear';
  if (drops.some((d) => d !== 0)) {
    const linear = (drops[0]! * (L + 1)) / 2;
    if (drops.every((d, i) => Math.abs(d - (2 * (i + 1) * linear) / (L + 1)) < 1e-9)) cellDropRate = linear;
    else if (drops.every((d) => d === drops[0])) {
      cellDropRate = drops[0]!;
      cellDropScheme = 'constant';
    } else throw new PyramidTreeNetError('blocks[*].cell_drop_rate', drops.slice(0, 4), 'one rate for every block, or the linear scheme 2·l·rate/(L + 1)');
  }
  const ops = [...DEFAULT_EDGE_OPS, ...[...used].filter((c) => !DEFAULT_EDGE_OPS.includes(c) && parseEdgeOp(c)).sort()];
  const options = treeCellSpaceOptions.parse({ blocks: B, width: F, stem, ops, cellDropRate, cellDropScheme });
  const input: InputSpec = { shape: [resolution, resolution, inChannels], numClasses };
  const space = new TreeCellSpace(options, input);
  space.validateArchitecture(architecture);
  return { options, input, architecture, space };
}

const base = (o: Record<string, unknown>) => ({ ...o });
const layerTail = (useBn: boolean, act: string | null) => ({ use_bn: useBn, act_func: act, dropout_rate: 0, ops_order: 'bn_act_weight' });
const convJson = (name: string, k: number, stride: number, dilation: number, groups: number, shuffle: boolean, inC: number, outC: number, useBn: boolean, act: string | null) =>
  base({ name, kernel_size: k, stride, dilation, groups, bias: false, has_shuffle: shuffle, in_channels: inC, out_channels: outC, ...layerTail(useBn, act) });
const identityJson = (c: number, useBn = false) => base({ name: 'IdentityLayer', in_channels: c, out_channels: c, ...layerTail(useBn, null) });
const poolJson = (type: string, k: number, stride: number, c: number, useBn = false, act: string | null = null) =>
  base({ name: 'PoolingLayer', pool_type: type, kernel_size: k, stride, in_channels: c, out_channels: c, ...layerTail(useBn, act) });

function edgeJson(op: string, w: number): Record<string, unknown> {
  const e = parseEdgeOp(op)!;
  if (e.kind === 'identity') return identityJson(w);
  if (e.kind === 'pool') return poolJson(e.pool, e.kernel, 1, w);
  return convJson('DepthConvLayer', e.kernel, 1, e.dilation, 1, false, w, w, true, 'relu');
}
const nodeJson = (inC: number, outC: number, split: string | null, merge: string | null, branchBn: boolean, edges: unknown[], children: unknown[]) =>
  base({ name: 'TreeNode', in_channels: inC, out_channels: outC, split_type: split, merge_type: merge, has_branch_bn: branchBn, path_drop_rate: 0, edges, child_nodes: children });

/** An architecture of a space as a `PyramidTreeNet` config (the authors' keys and key order). */
export function toPyramidTreeNet(space: TreeCellSpace, architecture: Architecture): Record<string, unknown> {
  space.validateArchitecture(architecture);
  const g = space.geometry;
  const inC = g.input.shape[2];
  const stem = g.stem.output[2];
  const blocks: unknown[] = [base({ name: 'TransitionBlock', layers: [convJson('ConvLayer', 3, 1, 1, 1, false, inC, stem, false, null), identityJson(stem, true)] })];
  for (const b of g.blocks) {
    const w = b.width;
    const ci = b.input[2];
    const op = (path: string) => architecture[`${b.label}_e${path}`]!;
    const leaf = (path: string) => nodeJson(w, w, 'copy', 'add', false, [edgeJson(op(`${path}0`), w), edgeJson(op(`${path}1`), w)], [null, null]);
    const copy = (i: number) => nodeJson(w, w, 'copy', 'add', false, [edgeJson(op(`${i}0`), w), edgeJson(op(`${i}1`), w)], [leaf(`${i}0`), leaf(`${i}1`)]);
    const split = nodeJson(2 * w, w, 'split', 'add', true, [identityJson(w), identityJson(w)], [copy(0), copy(1)]);
    const cell = nodeJson(w, w, null, null, false, [convJson('ConvLayer', 3, b.stride, 1, 2, true, w, 2 * w, true, 'relu')], [split]);
    blocks.push(
      base({
        name: 'ResidualTreeBlock',
        cell_drop_rate: b.cellDropRate,
        final_bn: true,
        shortcut: b.stride > 1 ? poolJson('avg', 2, 2, ci) : identityJson(ci),
        in_bottle: convJson('ConvLayer', 1, 1, 1, 1, false, ci, w, true, null),
        out_bottle: convJson('ConvLayer', 1, 1, 1, 1, false, w, b.output[2], true, 'relu'),
        cell,
      }),
    );
  }
  const F = g.head.input[2];
  blocks.push(base({ name: 'TransitionBlock', layers: [poolJson('avg', g.head.input[0], g.head.input[0], F, true, 'relu')] }));
  return {
    name: 'PyramidTreeNet',
    blocks,
    classifier: base({ name: 'LinearLayer', in_features: F, out_features: g.head.numClasses, bias: true, ...layerTail(false, null) }),
  };
}
