import * as tf from '@tensorflow/tfjs-core';
import {
  Adam,
  argmaxArchitecture,
  definePlugin,
  requireSlot,
  localArchCompute,
  deriveWithinBudget,
  Rng,
  sampleFromProbs,
  sampleUniform,
  type Architecture,
  type ArchitectureStrategy,
  type ArchStepInput,
  type GateSample,
  type MixedOp,
  type Network,
  type RngState,
  type StrategyMetrics,
  type StrategySetup,
  type StrategyState,
} from '@proxyless/core';
import { combinedLossGradient } from './combined-gradient.js';
import { asLatencyReward, reinforceStrategyOptions, type ReinforceStrategyOptions } from './options.js';
import { gradientNorm, reinforceGradient, stats, type Choices } from './reinforce-gradient.js';
import { createReinforceHooks, REINFORCE_HOOKS, type LatencySource, type ReinforceHooks, type RewardContext } from './reward.js';

const PLUGIN_NAME = 'ReinforceStrategy';

/** One REINFORCE estimate: what `archStep` computes before it moves the baseline and α. */
export interface ReinforceEstimate {
  /** p per label at sampling time. */
  readonly probabilities: Record<string, number[]>;
  readonly samples: readonly Choices[];
  readonly architectures: readonly Architecture[];
  readonly rewards: readonly number[];
  /** The baseline the advantages were computed with (b before this step's EMA update). */
  readonly baseline: number;
  readonly advantages: readonly number[];
  /** mean_i A_i·∇_α log p(g_i): the ascent direction of J, per label. */
  readonly gradient: Record<string, number[]>;
  /** Mean accuracy / LAT(m) over the samples whose reward asked for them. */
  readonly accuracyMean?: number;
  readonly latencyMean?: number;
  readonly distinct: number;
}

interface JsonState {
  rng: RngState;
  bcRng: RngState;
  baseline: number | null;
  steps: number;
  adam: Record<string, number>;
  latencyCache: [string, number][];
}

/**
 * ProxylessNAS's REINFORCE update of the architecture parameters (paper Eq. 8). Per arch step: M
 * architectures are drawn from p = softmax(α), each is evaluated on the step's validation batch
 * through the supernet with single-path gates (inference mode, no gradient), rewards R_i are
 * computed, and α moves along mean_i (R_i − b)·∇_α log p(g_i) with Adam; b is an EMA of the mean
 * reward. The objective never has to be differentiable: a reward may be a measured latency.
 * In `combined` mode the BinaryConnect gate gradient of the loss joins it on the same α.
 */
export class ReinforceStrategy implements ArchitectureStrategy {
  readonly name = 'reinforce';
  readonly hooks: ReinforceHooks = createReinforceHooks();
  readonly [REINFORCE_HOOKS]: ReinforceHooks = this.hooks;
  private ops: readonly MixedOp[] = [];
  private network: Network | undefined;
  private setupCtx: StrategySetup | undefined;
  private readonly adam: Adam;
  private rng: Rng;
  /** Draws of the combined mode's BinaryConnect paths: separate, so both modes sample the same architectures. */
  private bcRng: Rng;
  private baseline: number | undefined;
  private steps = 0;
  private readonly latencyCache = new Map<string, number>();
  private defaultLatencySource: LatencySource | undefined;
  private checked = false;

  constructor(readonly options: ReinforceStrategyOptions, rng: Rng) {
    this.rng = rng;
    this.bcRng = rng.fork('binaryconnect');
    this.adam = new Adam({ lr: options.lr, beta1: options.beta1, beta2: options.beta2, eps: options.eps, weightDecay: 0 });
    // Built-in rewards are taps like any plugin's.
    this.hooks.rewards.for('accuracy').tapPromise(PLUGIN_NAME, async (ctx) => (await ctx.evaluate()).accuracy);
    this.hooks.rewards.for('latency').tapPromise(PLUGIN_NAME, async (ctx) => {
      const o = ctx.options as { budget: number; w: number; wUnder?: number; latencySource: 'auto' | LatencySource };
      const { accuracy } = await ctx.evaluate();
      const lat = await ctx.latency(o.latencySource === 'auto' ? undefined : o.latencySource);
      const w = lat <= o.budget && o.wUnder !== undefined ? o.wUnder : o.w;
      return accuracy * (lat / o.budget) ** w;
    });
  }

  setup(ctx: StrategySetup): void {
    this.setupCtx = ctx;
    this.network = ctx.network;
    this.ops = ctx.network.mixedOps;
    if (this.ops.length === 0) throw new Error('reinforce strategy: the network has no mixed ops to search');
    this.defaultLatencySource = ctx.measureLatency ? 'measured' : ctx.latency ? 'table' : undefined;
    this.checked = false;
  }

  /**
   * Checks that the configured reward can be computed. Runs before the first arch step rather than in
   * `setup`, because `setup` also serves `derive` (core's `deriveFromRun`), which offers no
   * `measureLatency` and may run without the reward plugins.
   */
  private checkReward(): void {
    if (this.checked) return;
    const ctx = this.setupCtx;
    if (!ctx) throw new Error('reinforce strategy: archStep before setup');
    const r = this.options.reward;
    const lr = asLatencyReward(r);
    if (lr) {
      if (lr.latencySource === 'measured' && !ctx.measureLatency) {
        throw new Error(
          'reinforce strategy: reward.latencySource "measured" needs a latency provider that measures whole networks, e.g. latency: { use: "@proxyless/backend-wasm", name: "measured" }',
        );
      }
      if (lr.latencySource === 'table' && !ctx.latency) throw new Error('reinforce strategy: reward.latencySource "table" needs a latency provider (config `latency`)');
      if (lr.latencySource === 'auto' && !this.defaultLatencySource) throw new Error('reinforce strategy: the latency reward needs a latency provider (config `latency`)');
    }
    if (!this.hooks.rewards.get(r.use)?.isUsed()) {
      throw new Error(
        `reinforce strategy: no reward called "${r.use}" is registered; built-in rewards are accuracy and latency, others come from a hook plugin that taps strategy.hooks.rewards.for("${r.use}") (see @proxyless/strategy-reinforce's README)`,
      );
    }
    this.checked = true;
  }

  /** Gates of a weight step: one path per mixed op, uniform in warm-up, else drawn from p. */
  sampleGates(phase: 'warmup' | 'search'): GateSample {
    return phase === 'warmup' ? sampleUniform(this.ops, this.rng) : sampleFromProbs(this.ops, this.rng);
  }

  /**
   * Draws M architectures, computes their rewards and the REINFORCE gradient with the current
   * baseline. Moves the rng only: neither the baseline nor α changes (`archStep` does that).
   */
  async estimate(input: ArchStepInput): Promise<ReinforceEstimate> {
    this.checkReward();
    const ops = this.ops;
    const probabilities = this.probabilities();
    const samples: Choices[] = [];
    for (let i = 0; i < this.options.samples; i++) {
      samples.push(Object.fromEntries(ops.map((op) => [op.label, this.rng.categorical(probabilities[op.label]!)])));
    }
    const evaluations = new Map<string, Promise<{ accuracy: number; loss: number }>>();
    // through the trainer: data-parallel over the search's workers when it has several
    const compute = input.compute ?? localArchCompute(this.network!, input.batch, input.forward, this.setupCtx!.loss);
    const accuracies: number[] = [];
    const latencies: number[] = [];
    const rewardOptions = this.rewardOptions();
    const rewards: number[] = [];
    const architectures: Architecture[] = [];
    const named = this.hooks.rewards.get(this.options.reward.use)!;
    const gatesOf = (choices: Choices): GateSample => Object.fromEntries(ops.map((op) => [op.label, { active: [choices[op.label]!], chosen: choices[op.label]! }]));
    const distinct = new Map(samples.map((choices) => [archKey(ops, choices), choices]));
    // The first evaluation a reward asks for evaluates every distinct sample of the step at once when
    // the trainer can (`evaluateEach`: the layers before the first differing choice run once).
    const evaluationOf = (key: string, gates: GateSample): Promise<{ accuracy: number; loss: number }> => {
      if (!evaluations.has(key) && compute.evaluateEach) {
        const keys = [...distinct.keys()].filter((k) => !evaluations.has(k));
        const all = compute.evaluateEach(keys.map((k) => gatesOf(distinct.get(k)!)));
        for (const [i, k] of keys.entries()) {
          const one = all.then((r) => r[i]!);
          one.catch(() => {}); // the caller of the first evaluation sees the failure; the others may never be asked for
          evaluations.set(k, one);
        }
      }
      let e = evaluations.get(key);
      if (!e) {
        e = compute.evaluate(gates);
        evaluations.set(key, e);
      }
      return e;
    };
    for (const [index, choices] of samples.entries()) {
      const key = archKey(ops, choices);
      const architecture = Object.fromEntries(ops.map((op) => [op.label, op.candidates[choices[op.label]!]!.name]));
      const gates = gatesOf(choices);
      let seenEval = false;
      let seenLat = false;
      const ctx: RewardContext = {
        architecture,
        gates,
        index,
        epoch: input.epoch,
        step: input.step,
        options: rewardOptions,
        evaluate: async () => {
          const r = await evaluationOf(key, gates);
          if (!seenEval) accuracies.push(r.accuracy);
          seenEval = true;
          return r;
        },
        latency: async (source) => {
          const lat = await this.latencyOf(architecture, key, source);
          if (!seenLat) latencies.push(lat);
          seenLat = true;
          return lat;
        },
      };
      const raw = await named.promise(ctx);
      if (typeof raw !== 'number' || !Number.isFinite(raw)) {
        throw new Error(`reinforce strategy: reward "${this.options.reward.use}" gave ${String(raw)} for ${JSON.stringify(architecture)}; expected a finite number`);
      }
      const shaped = await this.hooks.reward.promise(raw, ctx);
      if (!Number.isFinite(shaped)) throw new Error(`reinforce strategy: the reward hook made ${String(shaped)} of ${raw}; expected a finite number`);
      rewards.push(shaped);
      architectures.push(architecture);
    }
    const mean = stats(rewards).mean;
    const baseline = this.baseline ?? (this.options.baseline.initial === 'first-mean' ? mean : this.options.baseline.initial);
    const advantages = rewards.map((r) => r - baseline);
    const gradient = reinforceGradient(probabilities, samples, advantages);
    return {
      probabilities,
      samples,
      architectures,
      rewards,
      baseline,
      advantages,
      gradient,
      ...(accuracies.length ? { accuracyMean: stats(accuracies).mean } : {}),
      ...(latencies.length ? { latencyMean: stats(latencies).mean } : {}),
      distinct: new Set(samples.map((s) => archKey(ops, s))).size,
    };
  }

  /**
   * One architecture step: estimate (rewards and advantages with the baseline *before* this step),
   * then the baseline's EMA update with this step's mean reward, then one Adam step on α with the
   * negative ascent direction (combined mode: mixed with the BinaryConnect loss gradient).
   */
  async archStep(input: ArchStepInput): Promise<StrategyMetrics> {
    const est = await this.estimate(input);
    const r = stats(est.rewards);
    const a = stats(est.advantages);
    await this.hooks.afterRewards.promise({ epoch: input.epoch, step: input.step, architectures: est.architectures, rewards: est.rewards, baseline: est.baseline, advantages: est.advantages });
    const decay = this.options.baseline.decay;
    this.baseline = decay * est.baseline + (1 - decay) * r.mean;

    const metrics: StrategyMetrics = {
      'reward/mean': r.mean,
      'reward/min': r.min,
      'reward/max': r.max,
      baseline: est.baseline,
      'baseline/next': this.baseline,
      'advantage/mean': a.mean,
      'advantage/std': a.std,
      'samples/distinct': est.distinct,
      'grad/reinforce': gradientNorm(est.gradient),
      ...(est.accuracyMean !== undefined ? { 'accuracy/mean': est.accuracyMean } : {}),
      ...(est.latencyMean !== undefined ? { 'latency/mean': est.latencyMean } : {}),
    };
    // Adam minimizes: REINFORCE ascends J, so its descent direction is −∇J.
    let direction: Record<string, number[]> = Object.fromEntries(Object.entries(est.gradient).map(([l, g]) => [l, g.map((v) => -v)]));
    if (this.options.mode === 'combined') {
      const bc = await combinedLossGradient(this.network!, input, this.setupCtx!.loss, this.bcRng, this.options.combinedPaths);
      const w = this.options.combinedWeight;
      direction = Object.fromEntries(Object.entries(direction).map(([l, d]) => [l, d.map((v, i) => w * bc.gradient[l]![i]! + (1 - w) * v)]));
      metrics['bc/loss'] = bc.loss;
      metrics['grad/binaryconnect'] = gradientNorm(bc.gradient);
    }
    this.applyDirection(direction);
    this.steps++;
    for (const [label, p] of Object.entries(this.probabilities())) {
      const op = this.ops.find((o) => o.label === label)!;
      p.forEach((v, i) => (metrics[`p/${label}/${op.candidates[i]!.name}`] = v));
    }
    return metrics;
  }

  /** One Adam step on every α along `direction` (a descent gradient per label). */
  private applyDirection(direction: Record<string, number[]>): void {
    const vars = Object.fromEntries(this.ops.map((op) => [op.label, op.alpha as tf.Variable]));
    const grads = Object.fromEntries(this.ops.map((op) => [op.label, tf.tensor1d(direction[op.label]!)]));
    try {
      this.adam.apply(vars, grads);
    } finally {
      tf.dispose(Object.values(grads));
    }
  }

  private async latencyOf(architecture: Architecture, key: string, source: LatencySource | undefined): Promise<number> {
    const ctx = this.setupCtx!;
    const s = source ?? this.defaultLatencySource;
    if (s === 'table') {
      if (!ctx.latency) throw new Error('reinforce strategy: a reward asked for table latency, but no latency provider is configured');
      return ctx.latency.ofArchitecture(architecture);
    }
    if (s === 'measured') {
      if (!ctx.measureLatency) throw new Error('reinforce strategy: a reward asked for measured latency, but the latency provider cannot measure networks');
      if (!this.options.cacheLatency) return ctx.measureLatency(architecture);
      let lat = this.latencyCache.get(key);
      if (lat === undefined) {
        // kept for the whole search, so three timings: when the session offers it, one round against
        // its reference network (reference, network, reference; the ratio times the machine's pinned
        // quiet latency, as BinaryConnect's derive and the calibration price networks), else the
        // least of three measurements (a shared machine's phases of load only ever add time)
        lat = ctx.measureLatencies
          ? (await ctx.measureLatencies([architecture], 1))[0]!
          : Math.min(await ctx.measureLatency(architecture), await ctx.measureLatency(architecture), await ctx.measureLatency(architecture));
        this.latencyCache.set(key, lat);
      }
      return lat;
    }
    throw new Error('reinforce strategy: a reward asked for latency, but no latency provider is configured');
  }

  private rewardOptions(): Record<string, unknown> {
    const r = this.options.reward;
    const lr = asLatencyReward(r);
    if (lr) return { budget: lr.budget, w: lr.w, ...(lr.wUnder !== undefined ? { wUnder: lr.wUnder } : {}), latencySource: lr.latencySource };
    return 'options' in r ? r.options : {};
  }

  /**
   * `argmax`, or with `derive: within-budget` the most probable architecture whose latency by the
   * search's model (the provider's op table, calibrated on whole networks when the provider does)
   * lies in [(1 − budgetTolerance)·T, T]: core's `deriveWithinBudget`, as BinaryConnect derives.
   */
  derive(): Architecture {
    const o = this.options;
    const lr = asLatencyReward(o.reward);
    if (o.derive !== 'within-budget' || !lr) return argmaxArchitecture(this.ops);
    const lat = this.setupCtx?.latency;
    if (!lat) throw new Error('reinforce strategy: derive "within-budget" needs a latency provider (config `latency`) to price architectures');
    return deriveWithinBudget(this.ops, lat, lr.budget, { beamWidth: o.beamWidth, tolerance: o.budgetTolerance }).architecture;
  }

  probabilities(): Record<string, number[]> {
    return Object.fromEntries(this.ops.map((op) => [op.label, op.probsSync()]));
  }

  /** The baseline b that the next step's advantages use (undefined before the first step). */
  get currentBaseline(): number | undefined {
    return this.baseline;
  }

  getState(): StrategyState {
    const slots = this.adam.slots();
    const json: JsonState = {
      rng: this.rng.state(),
      bcRng: this.bcRng.state(),
      baseline: this.baseline ?? null,
      steps: this.steps,
      adam: slots.json,
      latencyCache: [...this.latencyCache],
    };
    return { json, tensors: Object.fromEntries(Object.entries(slots.tensors).map(([k, t]) => [`adam/${k}`, t])) };
  }

  setState(state: StrategyState): void {
    const s = state.json as Partial<JsonState>;
    if (s.rng) this.rng = new Rng(s.rng);
    if (s.bcRng) this.bcRng = new Rng(s.bcRng);
    this.baseline = s.baseline ?? undefined;
    this.steps = s.steps ?? 0;
    this.latencyCache.clear();
    for (const [k, v] of s.latencyCache ?? []) this.latencyCache.set(k, v);
    const tensors = Object.fromEntries(Object.entries(state.tensors).filter(([k]) => k.startsWith('adam/')).map(([k, t]) => [k.slice('adam/'.length), t]));
    this.adam.loadSlots({ json: s.adam ?? {}, tensors });
  }

  dispose(): void {
    this.adam.dispose();
  }
}

function archKey(ops: readonly MixedOp[], choices: Choices): string {
  return ops.map((op) => choices[op.label]).join(',');
}

export const reinforceStrategyPlugin = definePlugin({
  kind: 'strategy',
  name: 'reinforce',
  description: 'REINFORCE updates of α (paper Eq. 8): sampled architectures, rewards (accuracy, ACC·(LAT/T)^w, or a plugin’s), EMA baseline, Adam',
  options: reinforceStrategyOptions,
  create: (options, ctx) => new ReinforceStrategy(options, ctx.rng),
  // Before any backend or data loads: the built-in latency reward needs LAT(m) from a `latency:` slot.
  validate: (o, view) =>
    asLatencyReward(o.reward) ? requireSlot(view, 'latency', `${view.slot}.options.reward: the latency reward ACC·(LAT/T)^w needs LAT`) : [],
});
