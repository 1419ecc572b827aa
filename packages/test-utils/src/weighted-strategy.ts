import * as tf from '@tensorflow/tfjs-core';
import {
  argmaxArchitecture,
  probabilitiesOf,
  definePlugin,
  Rng,
  sampleFromProbs,
  z,
  type Architecture,
  type ArchitectureStrategy,
  type ArchStepInput,
  type GateSample,
  type MixedOp,
  type Network,
  type StrategyMetrics,
  type StrategySetup,
  type StrategyState,
} from '@proxyless/core';

/**
 * Test fixture: a DARTS-style strategy. Weight steps sample one path from p; an arch step runs the
 * supernet in weighted mode (all paths, Σ p_i·o_i) and takes a plain gradient step on every α.
 * Gives tests a real, deterministic α trajectory without depending on the strategy packages.
 */
export const weightedStrategyOptions = z.object({ lr: z.number().positive().default(0.05) }).strict();

export class WeightedFixtureStrategy implements ArchitectureStrategy {
  readonly name = 'weighted-fixture';
  private ops: readonly MixedOp[] = [];
  private network!: Network;
  private loss!: StrategySetup['loss'];

  constructor(readonly options: z.output<typeof weightedStrategyOptions>, private rng: Rng) {}

  setup(ctx: StrategySetup): void {
    this.network = ctx.network;
    this.ops = ctx.network.mixedOps;
    this.loss = ctx.loss;
  }

  sampleGates(): GateSample {
    return sampleFromProbs(this.ops, this.rng);
  }

  async archStep(input: ArchStepInput): Promise<StrategyMetrics> {
    const alphas = this.ops.map((op) => op.alpha);
    const { value, grads } = tf.variableGrads(
      () => this.loss(this.network.apply(input.batch.x, { ...input.forward, mode: 'weighted' }), input.batch.y),
      alphas,
    );
    tf.tidy(() => {
      for (const a of alphas) a.assign(tf.sub(a, tf.mul(grads[a.name]!, this.options.lr)));
    });
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return { loss };
  }

  derive(): Architecture {
    return argmaxArchitecture(this.ops);
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

export const weightedStrategyPlugin = definePlugin({
  kind: 'strategy',
  name: 'weighted-fixture',
  description: 'DARTS-style weighted arch steps (test fixture)',
  options: weightedStrategyOptions,
  create: (options, ctx) => new WeightedFixtureStrategy(options, ctx.rng),
});
