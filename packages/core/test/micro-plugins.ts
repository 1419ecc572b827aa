// Fixtures of core's own composition tests: a micro space (stem → one mixed op of two 1×1 convs →
// pooled classifier) and a strategy that keeps α, defined with core's parts only (core cannot
// depend on the packages that depend on it). Real modules and tensors; nothing is mocked.
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  argmaxArchitecture,
  BlockNetwork,
  Conv2d,
  definePlugin,
  Dense,
  globalAvgPool,
  MixedOp,
  pluginModule,
  probabilitiesOf,
  requireSlot,
  sampleUniform,
  Sequential,
  z,
  type Architecture,
  type ArchitectureStrategy,
  type InputSpec,
  type MixedOpSpec,
  type Network,
  type OpSpec,
  type Rng,
  type SearchSpace,
  type StrategySetup,
} from '../src/index.js';

export const subsetDir = join(fileURLToPath(new URL('../../../', import.meta.url)), 'examples/fashion-mnist/data');

/** Every factory call, in order, with the active tfjs backend at the time: what the composition tests assert on. */
export const created: { kind: string; backend: string }[] = [];

export class MicroSpace implements SearchSpace {
  readonly name = 'micro';
  private readonly ops: OpSpec[];
  constructor(readonly input: InputSpec) {
    const [h, w] = [Math.ceil(input.shape[0] / 2), Math.ceil(input.shape[1] / 2)]; // after the stride-2 stem
    this.ops = [1, 3].map((k) => ({
      name: `${k}x${k}_conv`,
      features: { type: 'conv', input: [h, w, 4], output: [h, w, 4], kernel: k, stride: 1 },
      build: (rng: Rng) => new Conv2d(`b0/${k}x${k}_conv`, 4, 4, { kernel: k, stride: 1 }, rng),
    }));
  }
  describe(): MixedOpSpec[] {
    return [{ label: 'b0', candidates: this.ops }];
  }
  private build(rng: Rng, body: (rng: Rng) => { mixed: MixedOp[]; module: import('../src/index.js').Module }, name: string): Network {
    const [, , c] = this.input.shape;
    const stem = new Conv2d('stem', c, 4, { kernel: 3, stride: 2 }, rng);
    const { mixed, module } = body(rng);
    const head = new Sequential('head', [globalAvgPool(), new Dense('classifier', 4, this.input.numClasses, rng)]);
    return new BlockNetwork(name, [stem], [{ label: 'b0', body: module, residual: false }], [head], mixed, []);
  }
  buildSupernet(rng: Rng): Network {
    return this.build(
      rng,
      (r) => {
        const op = new MixedOp('b0', this.ops.map((o) => ({ name: o.name, features: o.features, module: o.build!(r) })), new Float32Array([0, 0]));
        return { mixed: [op], module: op };
      },
      'micro-supernet',
    );
  }
  buildCompact(architecture: Architecture, rng: Rng): Network {
    const op = this.ops.find((o) => o.name === architecture['b0']);
    if (!op) throw new Error(`micro space: b0 = ${architecture['b0']}`);
    return this.build(rng, (r) => ({ mixed: [], module: op.build!(r) }), 'micro-compact');
  }
}

export const microSpacePlugin = definePlugin({
  kind: 'space',
  name: 'micro',
  description: 'micro space (core test fixture)',
  options: z.object({}).strict(),
  create: (_o, ctx) => {
    created.push({ kind: 'space', backend: tf.getBackend() });
    if (!ctx.input) throw new Error('micro space: no input');
    return new MicroSpace(ctx.input);
  },
});

/** Uniform gates, α never updated. With `latencyWeight` it declares that it needs a `latency:` slot (the `validate` step). */
export const keepStrategyPlugin = definePlugin({
  kind: 'strategy',
  name: 'keep',
  description: 'uniform gates, α kept (core test fixture)',
  options: z.object({ latencyWeight: z.number().min(0).default(0) }).strict(),
  validate: (o, view) => (o.latencyWeight > 0 ? requireSlot(view, 'latency', `${view.slot}.options.latencyWeight > 0 prices E[lat]`) : []),
  create: (_o, ctx): ArchitectureStrategy => {
    created.push({ kind: 'strategy', backend: tf.getBackend() });
    let ops: readonly MixedOp[] = [];
    const rng = ctx.rng;
    return {
      name: 'keep',
      setup: (s: StrategySetup) => void (ops = s.network.mixedOps),
      sampleGates: () => sampleUniform(ops, rng),
      archStep: async () => ({}),
      derive: () => argmaxArchitecture(ops),
      probabilities: () => probabilitiesOf(ops),
      getState: () => ({ json: {}, tensors: {} }),
      setState: () => {},
    };
  },
});

/** A hook plugin that records the order of the hooks it sees. */
export const recorderPlugin = definePlugin({
  kind: 'plugin',
  name: 'recorder',
  description: 'records hook calls (core test fixture)',
  options: z.object({ tag: z.string().default('recorder') }).strict(),
  create: (o) => {
    created.push({ kind: `plugin:${o.tag}`, backend: tf.getBackend() });
    return { name: o.tag, apply: () => {} };
  },
});

/** The fixtures as a plugin package would bind them. */
export const microModule = pluginModule(microSpacePlugin, keepStrategyPlugin, recorderPlugin);

/** A small search config over the fixtures on the cpu backend with the Fashion-MNIST subset. */
export function microConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seed: 3,
    backend: 'cpu',
    data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 96, test: 32 }, validation: 32 } },
    space: 'micro',
    strategy: 'keep',
    trainer: { use: 'search', options: { epochs: 1, warmupEpochs: 0, batchSize: 32 } },
    ...overrides,
  };
}
