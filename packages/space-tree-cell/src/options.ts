import { z } from '@proxyless/core';
import { DEFAULT_EDGE_OPS, parseEdgeOp } from './candidates.js';

const edgeOpName = z.string().transform((s, ctx) => {
  const op = parseEdgeOp(s);
  if (!op) {
    ctx.addIssue({ code: 'custom', message: `a tree-cell op (one of ${DEFAULT_EDGE_OPS.join(', ')})` });
    return z.NEVER;
  }
  return op.name;
});

/**
 * Options of the PyramidNet tree-cell space. The paper's CIFAR-10 space is `{ blocks: 18, width: 400 }`
 * (54 residual tree blocks, Proxyless-G); the defaults are a small net that searches on a CPU.
 */
export const treeCellSpaceOptions = z
  .object({
    blocks: z.number().int().min(1).default(2).describe('residual tree blocks per stage, B (3 stages; the paper: 18)'),
    width: z.number().int().min(8).default(64).describe('output channels of the last block, F (the paper: 400); bottlenecks grow linearly from the stem width to F/4'),
    stem: z.number().int().min(1).default(16).describe('channels of the 3×3 stem conv (the paper: 16)'),
    ops: z
      .array(edgeOpName)
      .min(1)
      .default([...DEFAULT_EDGE_OPS])
      .refine((a) => new Set(a).size === a.length, 'each op at most once')
      .describe('candidates of every searched edge'),
    bn: z
      .object({ momentum: z.number().min(0).max(1).default(0.1), eps: z.number().positive().default(1e-5) })
      .strict()
      .default({ momentum: 0.1, eps: 1e-5 })
      .describe('batch norm: PyTorch-convention momentum and epsilon (PyTorch defaults)'),
    cellDropRate: z.number().min(0).lt(1).default(0).describe('DropPath of whole cells (training only; outputs scaled by 1 − rate at inference)'),
    cellDropScheme: z
      .enum(['linear', 'constant'])
      .default('linear')
      .describe('linear: block l of L drops with 2·l·rate/(L + 1) (deeper blocks more), as the authors; constant: every block rate'),
  })
  .strict()
  .superRefine((o, ctx) => {
    // zero-padded shortcuts only grow the channels: the pyramid must not shrink below the stem
    if (o.width < 4 * o.stem) ctx.addIssue({ code: 'custom', path: ['width'], message: `at least 4 × stem = ${4 * o.stem} (the last bottleneck, F/4, must not be narrower than the stem)` });
  });
export type TreeCellSpaceOptions = z.output<typeof treeCellSpaceOptions>;
export type TreeCellSpaceOptionsInput = z.input<typeof treeCellSpaceOptions>;
