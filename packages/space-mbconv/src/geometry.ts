import type { InputSpec, OpFeatures } from '@proxyless/core';
import { parseCandidate, ZERO, type CandidateChoice, type MBConvChoice } from './candidates.js';
import { PRESETS, type MBConvSpaceOptions } from './options.js';

/** H×W×C of one example. */
export type Shape = readonly [number, number, number];

/**
 * ProxylessNAS / TF `make_divisible`: the nearest multiple of `divisor` (at least `divisor`), never
 * more than 10% below `v`.
 */
export function makeDivisible(v: number, divisor = 8): number {
  if (divisor <= 1) return Math.max(1, Math.round(v));
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** TF `same` padding: output size ceil(in / stride). */
export const convOut = (s: Shape, c: number, stride: number): Shape => [Math.ceil(s[0] / stride), Math.ceil(s[1] / stride), c];

/** Middle (expanded) channels of an MBConv, as ProxylessNAS: round(in × expand). */
export const midChannels = (inC: number, expand: number): number => Math.round(inC * expand);

export interface ConvGeometry {
  readonly input: Shape;
  readonly output: Shape;
  readonly kernel: number;
  readonly stride: number;
}

export interface MBConvGeometry extends ConvGeometry {
  readonly expand: number;
  readonly idskip: boolean;
}

/** A searchable block: its position, shapes and candidate list. */
export interface BlockGeometry {
  /** `s{stage}_b{index}`: stage from 1 (stage 0 is the fixed first block), block from 0. */
  readonly label: string;
  readonly stage: number;
  readonly index: number;
  readonly input: Shape;
  readonly output: Shape;
  readonly stride: number;
  /** Identity shortcut: stride 1 and as many output as input channels. */
  readonly idskip: boolean;
  readonly candidates: readonly CandidateChoice[];
}

/** The resolved layout of the space for one input: every width after the multiplier, every shape. */
export interface SpaceGeometry {
  readonly input: InputSpec;
  readonly firstConv: ConvGeometry;
  readonly firstBlock: MBConvGeometry;
  readonly stages: readonly { readonly width: number; readonly blocks: number; readonly stride: number }[];
  readonly blocks: readonly BlockGeometry[];
  readonly featureMix: ConvGeometry;
  readonly classifier: { readonly input: Shape; readonly inFeatures: number; readonly outFeatures: number };
  readonly bn: { readonly momentum: number; readonly eps: number };
  readonly dropout: number;
}

export function resolveGeometry(options: MBConvSpaceOptions, input: InputSpec): SpaceGeometry {
  const preset = PRESETS[options.preset];
  const fc = { ...preset.firstConv, ...options.firstConv };
  const fb = { ...preset.firstBlock, ...options.firstBlock };
  const stagesRaw = options.stages ?? preset.stages;
  const w = options.width;
  const ch = (c: number) => makeDivisible(c * w, options.divisor);
  const mixRaw = options.featureMix ?? preset.featureMix;
  const mix = w > 1 ? makeDivisible(mixRaw * w, options.divisor) : mixRaw;

  const [h, wd, c] = input.shape;
  const inShape: Shape = [h, wd, c];
  const firstConv: ConvGeometry = { input: inShape, output: convOut(inShape, ch(fc.width), fc.stride), kernel: fc.kernel, stride: fc.stride };
  const fbOut = convOut(firstConv.output, ch(fb.width), 1);
  const firstBlock: MBConvGeometry = { input: firstConv.output, output: fbOut, kernel: fb.kernel, stride: 1, expand: fb.expand, idskip: false };

  const mbconvs: MBConvChoice[] = [];
  for (const name of options.candidates) {
    const p = parseCandidate(name);
    if (p?.kind === 'mbconv' && !mbconvs.some((m) => m.name === p.name)) mbconvs.push(p);
  }
  const zero = parseCandidate(ZERO)!;
  let shape = fbOut;
  const stages = stagesRaw.map((s) => ({ width: ch(s.width), blocks: s.blocks, stride: s.stride }));
  const blocks: BlockGeometry[] = [];
  stages.forEach((s, si) => {
    for (let i = 0; i < s.blocks; i++) {
      const stride = i === 0 ? s.stride : 1;
      const out = convOut(shape, s.width, stride);
      const idskip = stride === 1 && shape[2] === s.width;
      const candidates: CandidateChoice[] = idskip && options.zero ? [...mbconvs, zero] : [...mbconvs];
      blocks.push({ label: `s${si + 1}_b${i}`, stage: si + 1, index: i, input: shape, output: out, stride, idskip, candidates });
      shape = out;
    }
  });
  const featureMix: ConvGeometry = { input: shape, output: convOut(shape, mix, 1), kernel: 1, stride: 1 };
  return {
    input,
    firstConv,
    firstBlock,
    stages,
    blocks,
    featureMix,
    classifier: { input: featureMix.output, inFeatures: mix, outFeatures: input.numClasses },
    bn: options.bn,
    dropout: options.dropout,
  };
}

// ---------------------------------------------------------------------------------------------
// Op features (the ProxylessNAS lookup-table form), parameters and multiply-accumulates

export const firstConvFeatures = (g: ConvGeometry): OpFeatures => ({ type: 'Conv', input: g.input, output: g.output, kernel: g.kernel, stride: g.stride });
export const featureMixFeatures = (g: ConvGeometry): OpFeatures => ({ type: 'Conv_1', input: g.input, output: g.output, kernel: 1, stride: 1 });
/** `Logits`: global average pooling + classifier; output [1, 1, classes] (the table key uses the class count). */
export const logitsFeatures = (c: SpaceGeometry['classifier']): OpFeatures => ({ type: 'Logits', input: c.input, output: [1, 1, c.outFeatures] });
export const mbconvFeatures = (g: MBConvGeometry): OpFeatures => ({
  type: 'expanded_conv',
  input: g.input,
  output: g.output,
  expand: g.expand,
  kernel: g.kernel,
  stride: g.stride,
  idskip: g.idskip,
});
export const zeroFeatures = (b: { input: Shape; output: Shape }): OpFeatures => ({ type: 'zero', input: b.input, output: b.output, idskip: true });

/** The geometry of candidate `c` in block `b` (undefined for `zero`). */
export function candidateGeometry(b: BlockGeometry, c: CandidateChoice): MBConvGeometry | undefined {
  if (c.kind === 'zero') return undefined;
  return { input: b.input, output: b.output, kernel: c.kernel, stride: b.stride, expand: c.expand, idskip: b.idskip };
}

const shapeKey = (s: readonly number[]): string => s.join('x');

/**
 * The ProxylessNAS lookup-table key of an op (`search/utils/latency_estimator.py`):
 * `<type>-input:HxWxC-output:HxWxC[-expand:E-kernel:K-stride:S-idskip:0|1]`; `Logits` keys the output
 * by the class count alone. `zero` has no key (it costs nothing): undefined.
 */
export function latencyKey(f: OpFeatures): string | undefined {
  if (f.type === 'zero') return undefined;
  const output = f.type === 'Logits' ? String(f.output[2]) : shapeKey(f.output);
  const parts = [f.type, `input:${shapeKey(f.input)}`, `output:${output}`];
  if (f.type === 'expanded_conv') parts.push(`expand:${f.expand}`, `kernel:${f.kernel}`, `stride:${f.stride}`, `idskip:${f.idskip ? 1 : 0}`);
  return parts.join('-');
}

/** Trainable parameters the way PyTorch counts them: conv weights (no bias), BN γ and β, linear weight and bias. */
export function mbconvParams(g: MBConvGeometry): number {
  const inC = g.input[2];
  const outC = g.output[2];
  const mid = midChannels(inC, g.expand);
  const expand = g.expand === 1 ? 0 : inC * mid + 2 * mid;
  return expand + g.kernel * g.kernel * mid + 2 * mid + mid * outC + 2 * outC;
}
export const convBnParams = (g: ConvGeometry): number => g.kernel * g.kernel * g.input[2] * g.output[2] + 2 * g.output[2];
export const linearParams = (inF: number, outF: number): number => inF * outF + outF;

/** Multiply-accumulates per image (convolutions and the classifier; BN, activations and pooling excluded). */
export function mbconvMacs(g: MBConvGeometry): number {
  const [hi, wi, inC] = g.input;
  const [ho, wo, outC] = g.output;
  const mid = midChannels(inC, g.expand);
  const expand = g.expand === 1 ? 0 : hi * wi * inC * mid;
  return expand + ho * wo * g.kernel * g.kernel * mid + ho * wo * mid * outC;
}
export const convMacs = (g: ConvGeometry): number => g.output[0] * g.output[1] * g.kernel * g.kernel * g.input[2] * g.output[2];
