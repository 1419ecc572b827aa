import { z } from '@proxyless/core';
import { DEFAULT_CANDIDATES, parseCandidate } from './candidates.js';

const stride = z.union([z.literal(1), z.literal(2)]);
const oddKernel = z
  .number()
  .int()
  .min(1)
  .refine((k) => k % 2 === 1, 'an odd kernel size');

/** One stage of searchable blocks: output width, number of blocks, stride of its first block. */
export const stageSchema = z
  .object({
    width: z.number().int().min(1).describe('output channels before the width multiplier'),
    blocks: z.number().int().min(1).describe('number of (searchable) blocks'),
    stride: stride.describe('stride of the first block of the stage'),
  })
  .strict();
export type StageOptions = z.output<typeof stageSchema>;

const candidateName = z.string().transform((s, ctx) => {
  const c = parseCandidate(s);
  if (!c || c.kind === 'zero') {
    ctx.addIssue({ code: 'custom', message: `an MBConv candidate like 3x3_MBConv6 or k3e6 (zero is added automatically; use \`zero: false\` to leave it out), got "${s}"` });
    return z.NEVER;
  }
  return c.name;
});

/**
 * Options of the MBConv space. Everything not given comes from the preset; widths are raw (before
 * the width multiplier).
 */
export const mbconvSpaceOptions = z
  .object({
    preset: z.enum(['imagenet', 'small']).default('small').describe('imagenet: the paper space at 224×224; small: for 28×28 / 32×32 inputs'),
    width: z.number().positive().max(8).default(1).describe('width multiplier (channels rounded to multiples of `divisor`)'),
    divisor: z.number().int().min(1).default(8).describe('channel counts are rounded to multiples of this (1: no rounding)'),
    firstConv: z
      .object({ width: z.number().int().min(1), stride, kernel: oddKernel })
      .partial()
      .strict()
      .optional()
      .describe('the first k×k conv (+BN+ReLU6)'),
    firstBlock: z
      .object({ width: z.number().int().min(1), kernel: oddKernel, expand: z.number().int().min(1) })
      .partial()
      .strict()
      .optional()
      .describe('the fixed first MBConv block (stride 1, no shortcut)'),
    stages: z.array(stageSchema).min(1).optional().describe('searchable stages in order'),
    featureMix: z.number().int().min(1).optional().describe('channels of the 1×1 feature-mix conv (scaled only when width > 1, as in ProxylessNAS)'),
    candidates: z.array(candidateName).min(1).default([...DEFAULT_CANDIDATES]).describe('MBConv candidates of every searchable block'),
    zero: z.boolean().default(true).describe('offer `zero` (skip the block) on blocks with an identity shortcut'),
    bn: z
      .object({ momentum: z.number().min(0).max(1).default(0.1), eps: z.number().positive().default(1e-3) })
      .strict()
      .default({ momentum: 0.1, eps: 1e-3 })
      .describe('batch norm: PyTorch-convention momentum and epsilon'),
    dropout: z.number().min(0).lt(1).default(0).describe('dropout rate before the classifier (training only)'),
    zeroInitResidual: z
      .boolean()
      .default(false)
      .describe('start γ of the last batch norm of every block with a shortcut at 0, so each such block starts as the identity (supernet and compact networks); the supernet warms up much faster (docs/RESULTS.md)'),
  })
  .strict();
export type MBConvSpaceOptions = z.output<typeof mbconvSpaceOptions>;
export type MBConvSpaceOptionsInput = z.input<typeof mbconvSpaceOptions>;

export interface Preset {
  readonly firstConv: { readonly width: number; readonly stride: 1 | 2; readonly kernel: number };
  readonly firstBlock: { readonly width: number; readonly kernel: number; readonly expand: number };
  readonly stages: readonly StageOptions[];
  readonly featureMix: number;
}

export const PRESETS: Readonly<Record<MBConvSpaceOptions['preset'], Preset>> = Object.freeze({
  /** The ProxylessNAS ImageNet space (224×224×3): feature map 112 → 56 → 28 → 14 → 14 → 7 → 7. */
  imagenet: {
    firstConv: { width: 32, stride: 2, kernel: 3 },
    firstBlock: { width: 16, kernel: 3, expand: 1 },
    stages: [
      { width: 24, blocks: 4, stride: 2 },
      { width: 40, blocks: 4, stride: 2 },
      { width: 80, blocks: 4, stride: 2 },
      { width: 96, blocks: 4, stride: 1 },
      { width: 192, blocks: 4, stride: 2 },
      { width: 320, blocks: 1, stride: 1 },
    ],
    featureMix: 1280,
  },
  /**
   * For 28×28 / 32×32 inputs: first conv at stride 1, three stride-2 stages, so the final feature
   * map is 4×4 (28 → 28 → 14 → 7 → 4; 32 → 32 → 16 → 8 → 4).
   */
  small: {
    firstConv: { width: 16, stride: 1, kernel: 3 },
    firstBlock: { width: 8, kernel: 3, expand: 1 },
    stages: [
      { width: 16, blocks: 2, stride: 2 },
      { width: 24, blocks: 3, stride: 2 },
      { width: 32, blocks: 3, stride: 2 },
      { width: 48, blocks: 2, stride: 1 },
    ],
    featureMix: 256,
  },
});
