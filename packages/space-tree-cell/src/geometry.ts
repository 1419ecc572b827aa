import type { InputSpec } from '@proxyless/core';
import type { TreeCellSpaceOptions } from './options.js';

export type Shape = readonly [number, number, number];

/** The 12 searched edges of a cell, by path: split branch i, copy-node edge j, leaf edge k (`e{i}{j}`, `e{i}{j}{k}`). */
export const EDGE_PATHS: readonly string[] = ['00', '000', '001', '01', '010', '011', '10', '100', '101', '11', '110', '111'];

/** One residual tree block: 1×1 in-bottleneck → tree cell → 1×1 out-bottleneck (×4) → BN, plus the shortcut. */
export interface BlockGeometry {
  /** `s<stage>_b<index in stage>`. */
  readonly label: string;
  readonly stage: number;
  /** 1-based position among all blocks (for the cell drop rate). */
  readonly position: number;
  readonly input: Shape;
  /** Bottleneck width w: the cell works on w channels (its root conv on 2w). */
  readonly width: number;
  readonly output: Shape;
  readonly stride: 1 | 2;
  /** Channels the shortcut zero-pads (output channels − input channels). */
  readonly padChannels: number;
  readonly cellDropRate: number;
  /** Labels of the 12 searched edges, in `EDGE_PATHS` order. */
  readonly edges: readonly string[];
}

export interface TreeGeometry {
  readonly input: InputSpec;
  readonly stem: { readonly input: Shape; readonly output: Shape };
  readonly blocks: readonly BlockGeometry[];
  readonly head: { readonly input: Shape; readonly numClasses: number };
  readonly bn: { readonly momentum: number; readonly eps: number };
  readonly ops: readonly string[];
}

export const edgeLabel = (block: string, path: string): string => `${block}_e${path}`;

/**
 * Bottleneck widths of the pyramid: block i of L grows the stem width linearly to F/4,
 * w_i = round(stem + i·(F/4 − stem)/L), made even (the cell splits it in two). The released
 * Proxyless-G config (stem 16, F 400, L 54) has exactly these widths: 18, 18, 20, 22, 24, 24, …, 100.
 */
export function pyramidWidths(stem: number, finalWidth: number, total: number): number[] {
  const add = (finalWidth / 4 - stem) / total;
  return Array.from({ length: total }, (_, i) => {
    const w = Math.round(stem + (i + 1) * add + 1e-9);
    return w - (w % 2);
  });
}

/** The layout of a space: every block's shapes, stride and edge labels. */
export function resolveGeometry(o: TreeCellSpaceOptions, input: InputSpec): TreeGeometry {
  const [h, w, c] = input.shape;
  if (h % 4 !== 0 || w % 4 !== 0) {
    throw new Error(`tree-cell space: input ${h}×${w}×${c}: height and width must be multiples of 4 (two stride-2 stages whose 2×2 average-pool shortcuts must meet the convs' output)`);
  }
  const total = 3 * o.blocks;
  const widths = pyramidWidths(o.stem, o.width, total);
  const tooThin = widths.findIndex((x) => x < 2);
  if (tooThin >= 0) throw new Error(`tree-cell space: width ${o.width} and stem ${o.stem} give block ${tooThin + 1} a bottleneck of ${widths[tooThin]} channels; expected at least 2`);
  let shape: Shape = [h, w, o.stem];
  const stem = { input: input.shape, output: shape };
  const blocks: BlockGeometry[] = widths.map((width, i) => {
    const stage = Math.floor(i / o.blocks) + 1;
    const index = i % o.blocks;
    const stride: 1 | 2 = stage > 1 && index === 0 ? 2 : 1;
    const out: Shape = [shape[0] / stride, shape[1] / stride, 4 * width];
    if (out[2] < shape[2]) throw new Error(`tree-cell space: block ${i + 1} would shrink the channels from ${shape[2]} to ${out[2]}; raise options.width (F, got ${o.width}) to at least 4 × options.stem (${4 * o.stem})`);
    const label = `s${stage}_b${index}`;
    const position = i + 1;
    const cellDropRate = o.cellDropScheme === 'linear' ? (2 * position * o.cellDropRate) / (total + 1) : o.cellDropRate;
    const b: BlockGeometry = {
      label,
      stage,
      position,
      input: shape,
      width,
      output: out,
      stride,
      padChannels: out[2] - shape[2],
      cellDropRate,
      edges: EDGE_PATHS.map((p) => edgeLabel(label, p)),
    };
    shape = out;
    return b;
  });
  return { input, stem, blocks, head: { input: shape, numClasses: input.numClasses }, bn: o.bn, ops: o.ops };
}
