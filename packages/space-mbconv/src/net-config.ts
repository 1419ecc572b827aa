import { z, type Architecture, type InputSpec } from '@proxyless/core';
import { DEFAULT_CANDIDATES, mbconvName } from './candidates.js';
import { midChannels } from './geometry.js';
import type { MBConvSpaceOptions, StageOptions } from './options.js';
import { mbconvSpaceOptions } from './options.js';
import { MBConvSpace } from './space.js';

/**
 * Limits on what a net config may declare, checked before any size is believed: channels, kernels,
 * expansion, blocks and classes far above every released model (widths ≤ 1,728, kernels ≤ 7,
 * expand ≤ 6, 22 blocks, 1,000 classes), so a crafted file cannot ask for gigabytes.
 */
export const NET_CONFIG_LIMITS = Object.freeze({ channels: 16_384, kernel: 15, stride: 4, expand: 32, blocks: 512, classes: 100_000 });
const L = NET_CONFIG_LIMITS;
const channels = () => z.number().int().min(1).max(L.channels, { message: `a channel count of at most ${L.channels}` });
const kernel = () =>
  z
    .number()
    .int()
    .min(1)
    .max(L.kernel, { message: `a kernel size of at most ${L.kernel}` })
    .refine((k) => k % 2 === 1, { message: 'an odd kernel size (1, 3, 5, 7, …): "same" padding needs one' });

/**
 * The official ProxylessNAS net-config format (`ProxylessNASNets` JSON, as released with the
 * searched models): `{name, bn, first_conv, feature_mix_layer, classifier, blocks}`.
 */
const convLayer = z
  .object({
    name: z.literal('ConvLayer'),
    kernel_size: kernel(),
    stride: z.number().int().min(1).max(L.stride, { message: `a stride of at most ${L.stride}` }),
    dilation: z.literal(1).default(1),
    groups: z.literal(1).default(1),
    bias: z.literal(false).default(false),
    has_shuffle: z.literal(false).default(false),
    in_channels: channels(),
    out_channels: channels(),
    use_bn: z.literal(true).default(true),
    act_func: z.literal('relu6').default('relu6'),
    dropout_rate: z.number().min(0).max(0).default(0),
    ops_order: z.literal('weight_bn_act').default('weight_bn_act'),
  })
  .passthrough();

const mbConvLayer = z
  .object({
    name: z.literal('MBInvertedConvLayer'),
    in_channels: channels(),
    out_channels: channels(),
    kernel_size: kernel(),
    stride: z.number().int().min(1).max(L.stride, { message: `a stride of at most ${L.stride}` }),
    expand_ratio: z.number().int().min(1).max(L.expand, { message: `an expand ratio of at most ${L.expand}` }),
    mid_channels: z.number().int().min(1).max(L.channels * L.expand).nullable().optional(),
  })
  .passthrough();
const zeroLayer = z.object({ name: z.literal('ZeroLayer'), stride: z.number().int().min(1).max(L.stride, { message: `a stride of at most ${L.stride}` }) }).passthrough();
const identityLayer = z
  .object({
    name: z.literal('IdentityLayer'),
    in_channels: channels(),
    out_channels: channels(),
    use_bn: z.literal(false).default(false),
    act_func: z.null().default(null),
    dropout_rate: z.number().default(0),
    ops_order: z.string().default('weight_bn_act'),
  })
  .passthrough();

export const netConfigSchema = z
  .object({
    name: z.literal('ProxylessNASNets'),
    bn: z.object({ momentum: z.number().min(0).max(1), eps: z.number().positive() }).default({ momentum: 0.1, eps: 1e-3 }),
    first_conv: convLayer,
    feature_mix_layer: convLayer,
    classifier: z
      .object({
        name: z.literal('LinearLayer'),
        in_features: channels(),
        out_features: z.number().int().min(1).max(L.classes, { message: `at most ${L.classes} classes` }),
        bias: z.literal(true).default(true),
        use_bn: z.literal(false).default(false),
        act_func: z.null().default(null),
        dropout_rate: z.number().min(0).lt(1).default(0),
        ops_order: z.string().default('weight_bn_act'),
      })
      .passthrough(),
    blocks: z
      .array(
        z
          .object({
            name: z.literal('MobileInvertedResidualBlock'),
            mobile_inverted_conv: z.discriminatedUnion('name', [mbConvLayer, zeroLayer]),
            shortcut: identityLayer.nullable(),
          })
          .passthrough(),
      )
      .min(2)
      .max(L.blocks, { message: `at most ${L.blocks} blocks` }),
  })
  .passthrough();
export type NetConfig = z.output<typeof netConfigSchema>;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const k of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[k as string] : undefined;
  return cur;
}
const describe = (v: unknown): string => (v === undefined ? 'nothing' : (JSON.stringify(v) ?? String(v)).slice(0, 80));

/** Whether a parsed JSON value looks like a ProxylessNAS net config. */
export const isNetConfig = (v: unknown): boolean => typeof v === 'object' && v !== null && (v as { name?: unknown }).name === 'ProxylessNASNets';

/** A net config as a space plus an architecture of it. */
export interface ImportedNetConfig {
  /** Space options that reproduce the config's fixed layers and stage layout exactly. */
  readonly options: MBConvSpaceOptions;
  readonly input: InputSpec;
  readonly architecture: Architecture;
  readonly space: MBConvSpace;
}

/**
 * Reads a `ProxylessNASNets` net config: validates it, recovers the stage layout (a stage starts at
 * every block whose width or stride differs from the running feature map; the others have identity
 * shortcuts) and returns the space options and the architecture that build this exact network.
 * Net configs carry no resolution: `resolution` (default 224) sets the input size.
 */
export function readNetConfig(json: unknown, opts: { resolution?: number } = {}): ImportedNetConfig {
  const parsed = netConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: got ${describe(valueAt(json, i.path))}; expected ${i.message}`);
    throw new Error(`not a ProxylessNASNets net config: ${issues.join('; ')}`);
  }
  const cfg = parsed.data;
  const [first, ...rest] = cfg.blocks;
  const fbConv = first!.mobile_inverted_conv;
  if (fbConv.name !== 'MBInvertedConvLayer') throw new Error('net config: blocks[0] (the first block) must be an MBInvertedConvLayer');
  if (first!.shortcut) throw new Error('net config: blocks[0] (the first block) has a shortcut; this space has none there');
  if (fbConv.stride !== 1) throw new Error(`net config: blocks[0] has stride ${fbConv.stride}; the first block has stride 1 here`);
  const fc = cfg.first_conv;
  if (fc.in_channels < 1 || fc.out_channels !== fbConv.in_channels) throw new Error(`net config: first_conv outputs ${fc.out_channels} channels but blocks[0] takes ${fbConv.in_channels}`);

  const stages: StageOptions[] = [];
  const architecture: Architecture = {};
  const used = new Set<string>();
  let width = fbConv.out_channels;
  rest.forEach((b, i) => {
    const where = `blocks[${i + 1}]`;
    const conv = b.mobile_inverted_conv;
    const stride = conv.stride;
    if (stride !== 1 && stride !== 2) throw new Error(`net config: ${where} has stride ${stride}; expected 1 or 2`);
    const outC = conv.name === 'ZeroLayer' ? width : conv.out_channels;
    if (conv.name === 'MBInvertedConvLayer') {
      if (conv.in_channels !== width) throw new Error(`net config: ${where} takes ${conv.in_channels} channels but the previous block outputs ${width}`);
      if (conv.mid_channels != null && conv.mid_channels !== midChannels(conv.in_channels, conv.expand_ratio)) {
        throw new Error(`net config: ${where} has mid_channels ${conv.mid_channels}; only round(in_channels × expand_ratio) is supported`);
      }
    }
    const idskip = stride === 1 && outC === width;
    if (Boolean(b.shortcut) !== idskip) throw new Error(`net config: ${where} ${b.shortcut ? 'has' : 'lacks'} an identity shortcut; this space puts one exactly on stride-1 blocks that keep the width`);
    if (conv.name === 'ZeroLayer' && !idskip) throw new Error(`net config: ${where} is a ZeroLayer without an identity shortcut`);
    if (!idskip) stages.push({ width: outC, blocks: 0, stride: stride as 1 | 2 });
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`net config: ${where} keeps the width of the first block; the first stage must change width or stride`);
    const label = `s${stages.length}_b${stage.blocks}`;
    stage.blocks++;
    const choice = conv.name === 'ZeroLayer' ? 'zero' : mbconvName(conv.kernel_size, conv.expand_ratio);
    if (choice !== 'zero') used.add(choice);
    architecture[label] = choice;
    width = outC;
  });
  if (cfg.feature_mix_layer.in_channels !== width) throw new Error(`net config: feature_mix_layer takes ${cfg.feature_mix_layer.in_channels} channels but the last block outputs ${width}`);
  if (cfg.feature_mix_layer.kernel_size !== 1 || cfg.feature_mix_layer.stride !== 1) throw new Error('net config: feature_mix_layer must be a 1×1 stride-1 conv');
  if (cfg.classifier.in_features !== cfg.feature_mix_layer.out_channels) throw new Error(`net config: classifier takes ${cfg.classifier.in_features} features but feature_mix_layer outputs ${cfg.feature_mix_layer.out_channels}`);

  const candidates = [...DEFAULT_CANDIDATES, ...[...used].filter((c) => !DEFAULT_CANDIDATES.includes(c)).sort()];
  const widths = [fc.out_channels, fbConv.out_channels, ...stages.map((s) => s.width), cfg.feature_mix_layer.out_channels];
  const parsedOptions = mbconvSpaceOptions.safeParse({
    preset: 'imagenet',
    width: 1,
    divisor: widths.every((c) => c % 8 === 0) ? 8 : 1,
    firstConv: { width: fc.out_channels, stride: fc.stride, kernel: fc.kernel_size },
    firstBlock: { width: fbConv.out_channels, kernel: fbConv.kernel_size, expand: fbConv.expand_ratio },
    stages,
    featureMix: cfg.feature_mix_layer.out_channels,
    candidates,
    zero: true,
    bn: cfg.bn,
    dropout: cfg.classifier.dropout_rate,
  });
  if (!parsedOptions.success) {
    // what the net config asks for that this space cannot build, in the space's terms (no raw zod dump)
    const issues = parsedOptions.error.issues.slice(0, 5).map((i) => `space option ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`net config: not buildable by the mbconv space: ${issues.join('; ')}`);
  }
  const options = parsedOptions.data;
  const r = opts.resolution ?? 224;
  const input: InputSpec = { shape: [r, r, fc.in_channels], numClasses: cfg.classifier.out_features };
  const space = new MBConvSpace(options, input);
  space.validateArchitecture(architecture);
  return { options, input, architecture, space };
}

const convLayerJson = (kernel: number, stride: number, inC: number, outC: number) => ({
  name: 'ConvLayer',
  kernel_size: kernel,
  stride,
  dilation: 1,
  groups: 1,
  bias: false,
  has_shuffle: false,
  in_channels: inC,
  out_channels: outC,
  use_bn: true,
  act_func: 'relu6',
  dropout_rate: 0,
  ops_order: 'weight_bn_act',
});

const mbconvJson = (inC: number, outC: number, kernel: number, stride: number, expand: number) => ({
  name: 'MBInvertedConvLayer',
  in_channels: inC,
  out_channels: outC,
  kernel_size: kernel,
  stride,
  expand_ratio: expand,
});

/**
 * Writes an architecture of a space as a `ProxylessNASNets` net config (the format of the released
 * models; key order as theirs, so `JSON.stringify(cfg, null, 4)` of a read config reproduces the file).
 */
export function toNetConfig(space: MBConvSpace, architecture: Architecture): Record<string, unknown> {
  space.validateArchitecture(architecture);
  const g = space.geometry;
  const blocks: unknown[] = [
    {
      name: 'MobileInvertedResidualBlock',
      mobile_inverted_conv: mbconvJson(g.firstBlock.input[2], g.firstBlock.output[2], g.firstBlock.kernel, 1, g.firstBlock.expand),
      shortcut: null,
    },
  ];
  for (const b of g.blocks) {
    const c = b.candidates.find((x) => x.name === architecture[b.label])!;
    blocks.push({
      name: 'MobileInvertedResidualBlock',
      mobile_inverted_conv: c.kind === 'zero' ? { name: 'ZeroLayer', stride: b.stride } : mbconvJson(b.input[2], b.output[2], c.kernel, b.stride, c.expand),
      shortcut: b.idskip
        ? { name: 'IdentityLayer', in_channels: b.input[2], out_channels: b.output[2], use_bn: false, act_func: null, dropout_rate: 0, ops_order: 'weight_bn_act' }
        : null,
    });
  }
  return {
    name: 'ProxylessNASNets',
    bn: { momentum: g.bn.momentum, eps: g.bn.eps },
    first_conv: convLayerJson(g.firstConv.kernel, g.firstConv.stride, g.firstConv.input[2], g.firstConv.output[2]),
    feature_mix_layer: convLayerJson(1, 1, g.featureMix.input[2], g.featureMix.output[2]),
    classifier: {
      name: 'LinearLayer',
      in_features: g.classifier.inFeatures,
      out_features: g.classifier.outFeatures,
      bias: true,
      use_bn: false,
      act_func: null,
      dropout_rate: g.dropout,
      ops_order: 'weight_bn_act',
    },
    blocks,
  };
}
