import { BatchNorm, BlockNetwork, ZeroOp, Conv2d, Dense, definePlugin, globalAvgPool, MixedOp, relu6, Sequential, z, type Rng } from '@proxyless/core';
// The contracts a space implements (types only: this import loads nothing at run time).
import type { Architecture, Candidate, InputSpec, MixedOpSpec, Network, OpSpec, SearchSpace } from '@proxyless/core/contracts';

/**
 * A tiny search space (the worked space example of docs/writing-a-plugin.md, and the test fixture
 * space of `@proxyless/test-utils`): a 3×3 stem, then blocks of plain k×k
 * conv → BN → ReLU6 candidates (plus `zero` on blocks with an identity shortcut), global average
 * pooling and a classifier. Small enough to train on the cpu backend in seconds; real enough to
 * exercise every part of a search.
 */
export const tinySpaceOptions = z
  .object({
    stem: z.number().int().min(1).default(8),
    blocks: z
      .array(z.object({ width: z.number().int().min(1), stride: z.union([z.literal(1), z.literal(2)]) }).strict())
      .min(1)
      .default([
        { width: 8, stride: 2 },
        { width: 8, stride: 1 },
        { width: 16, stride: 2 },
        { width: 16, stride: 1 },
      ]),
    kernels: z.array(z.union([z.literal(1), z.literal(3), z.literal(5), z.literal(7)])).min(1).default([3, 5]),
    zero: z.boolean().default(true).describe('offer `zero` on blocks with an identity shortcut'),
    batchNorm: z.boolean().default(true).describe('conv → BN → ReLU6 (false: conv with bias → ReLU6, no batch statistics)'),
  })
  .strict();
export type TinySpaceOptions = z.output<typeof tinySpaceOptions>;

type Shape = readonly [number, number, number];

const outShape = (s: Shape, c: number, stride: number): Shape => [Math.ceil(s[0] / stride), Math.ceil(s[1] / stride), c];

function convBnAct(name: string, inC: number, outC: number, k: number, stride: number, rng: Rng, bn = true): Sequential {
  if (!bn) return new Sequential(name, [new Conv2d(`${name}/conv`, inC, outC, { kernel: k, stride, bias: true }, rng), relu6()]);
  return new Sequential(name, [new Conv2d(`${name}/conv`, inC, outC, { kernel: k, stride }, rng), new BatchNorm(`${name}/bn`, outC), relu6()]);
}

interface BlockPlan {
  readonly label: string;
  readonly input: Shape;
  readonly output: Shape;
  readonly stride: number;
  readonly residual: boolean;
  readonly candidates: readonly OpSpec[];
}

export class TinySpace implements SearchSpace {
  readonly name = 'tiny';
  private readonly plan: BlockPlan[];
  private readonly stemSpec: OpSpec;
  private readonly headSpec: OpSpec;

  constructor(readonly options: TinySpaceOptions, readonly input: InputSpec) {
    const [h, w, c] = input.shape;
    const stemOut: Shape = [h, w, options.stem];
    this.stemSpec = {
      name: 'stem',
      features: { type: 'conv', input: [h, w, c], output: stemOut, kernel: 3, stride: 1 },
      build: (rng) => convBnAct('stem', c, options.stem, 3, 1, rng, options.batchNorm),
    };
    let shape = stemOut;
    this.plan = options.blocks.map((b, i) => {
      const out = outShape(shape, b.width, b.stride);
      const residual = b.stride === 1 && shape[2] === b.width;
      const inC = shape[2];
      const input = shape;
      const candidates: OpSpec[] = options.kernels.map((k) => ({
        name: `${k}x${k}_conv`,
        features: { type: 'conv', input, output: out, kernel: k, stride: b.stride, idskip: residual },
        build: (rng: Rng) => convBnAct(`b${i}/${k}x${k}_conv`, inC, b.width, k, b.stride, rng, options.batchNorm),
      }));
      if (residual && options.zero) candidates.push({ name: 'zero', features: { type: 'zero', input, output: out, idskip: true } });
      shape = out;
      return { label: `b${i}`, input, output: out, stride: b.stride, residual, candidates };
    });
    this.headSpec = {
      name: 'classifier',
      features: { type: 'Logits', input: shape, output: [1, 1, input.numClasses] },
      build: (rng) => new Sequential('head', [globalAvgPool(), new Dense('classifier', shape[2], input.numClasses, rng)]),
    };
  }

  describe(): MixedOpSpec[] {
    return this.plan.map((b) => ({ label: b.label, candidates: b.candidates }));
  }

  buildSupernet(rng: Rng): Network {
    const mixed = this.plan.map((b) => {
      const candidates: Candidate[] = b.candidates.map((c) => ({
        name: c.name,
        features: c.features,
        module: c.build ? c.build(rng) : new ZeroOp(`${b.label}/zero`),
        ...(c.features.type === 'zero' ? { isZero: true } : {}),
      }));
      const alpha = new Float32Array(candidates.length).map(() => rng.normal(0, 1e-3));
      return new MixedOp(b.label, candidates, alpha);
    });
    return new BlockNetwork(
      'tiny-supernet',
      [this.stemSpec.build!(rng)],
      this.plan.map((b, i) => ({ label: b.label, body: mixed[i]!, residual: b.residual })),
      [this.headSpec.build!(rng)],
      mixed,
      [this.stemSpec, this.headSpec],
    );
  }

  buildCompact(architecture: Architecture, rng: Rng): Network {
    const blocks = this.plan.flatMap((b) => {
      const choice = architecture[b.label];
      const spec = b.candidates.find((c) => c.name === choice);
      if (!spec) throw new Error(`architecture: ${b.label} = ${JSON.stringify(choice)}; expected one of ${b.candidates.map((c) => c.name).join(', ')}`);
      if (spec.features.type === 'zero') return [];
      return [{ label: b.label, body: spec.build!(rng), residual: b.residual }];
    });
    return new BlockNetwork('tiny-compact', [this.stemSpec.build!(rng)], blocks, [this.headSpec.build!(rng)], [], [this.stemSpec, this.headSpec]);
  }
}

export const tinySpacePlugin = definePlugin({
  kind: 'space',
  name: 'tiny',
  description: 'Tiny conv search space (test fixture)',
  options: tinySpaceOptions,
  create: (options, ctx) => {
    if (!ctx.input) throw new Error('tiny space: the input shape is unknown (no data plugin ran first)');
    return new TinySpace(options, ctx.input);
  },
});
