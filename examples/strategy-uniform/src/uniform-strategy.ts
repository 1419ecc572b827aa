import {
  argmaxArchitecture,
  probabilitiesOf,
  definePlugin,
  Rng,
  sampleUniform,
  z,
  type Architecture,
  type ArchitectureStrategy,
  type GateSample,
  type MixedOp,
  type StrategyMetrics,
  type StrategySetup,
  type StrategyState,
} from '@proxyless/core';

/** Options of the uniform strategy, validated by core before the search starts. */
export const uniformStrategyOptions = z
  .object({
    derive: z.enum(['argmax', 'random']).default('argmax').describe('argmax of the (never updated) α, or one uniform draw'),
  })
  .strict();

/**
 * Random search over paths: every weight step activates one path per mixed op, uniformly;
 * architecture steps do nothing, so α stays at its initial value. A baseline, and the worked
 * example of docs/writing-a-plugin.md.
 */
export class UniformStrategy implements ArchitectureStrategy {
  readonly name = 'uniform';
  private ops: readonly MixedOp[] = [];

  constructor(readonly options: z.output<typeof uniformStrategyOptions>, private rng: Rng) {}

  setup(ctx: StrategySetup): void {
    this.ops = ctx.network.mixedOps;
  }

  sampleGates(): GateSample {
    return sampleUniform(this.ops, this.rng);
  }

  async archStep(): Promise<StrategyMetrics> {
    return {};
  }

  derive(): Architecture {
    if (this.options.derive === 'argmax') return argmaxArchitecture(this.ops);
    const draw = sampleUniform(this.ops, new Rng(this.rng.state()));
    return Object.fromEntries(this.ops.map((op) => [op.label, op.candidates[draw[op.label]!.chosen]!.name]));
  }

  probabilities(): Record<string, number[]> {
    return probabilitiesOf(this.ops);
  }

  getState(): StrategyState {
    return { json: { rng: this.rng.state() }, tensors: {} };
  }

  setState(state: StrategyState): void {
    const s = state.json as { rng?: [number, number, number, number] };
    if (s.rng) this.rng = new Rng(s.rng);
  }
}

export const uniformStrategyPlugin = definePlugin({
  kind: 'strategy',
  name: 'uniform',
  description: 'Uniform random gates; never updates α',
  options: uniformStrategyOptions,
  create: (options, ctx) => new UniformStrategy(options, ctx.rng),
});
