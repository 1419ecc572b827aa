import type { Architecture, ArchitectureStrategy, GateSample, SearchPlugin, SearchSession } from '@proxyless/core';
import { AsyncSeriesBailHook, AsyncSeriesHook, AsyncSeriesWaterfallHook, HookMap } from 'tapable';

/** Where LAT(m) comes from: measured on the backend, or summed from the latency provider's table. */
export type LatencySource = 'measured' | 'table';

/** What a reward sees of one sampled architecture (lazy: nothing runs unless asked for). */
export interface RewardContext {
  /** The sampled architecture (candidate name per mixed-op label). */
  readonly architecture: Architecture;
  /** The same, as single-path gates (candidate index per label). */
  readonly gates: GateSample;
  /** Index of this sample in the arch step (0 … M−1). */
  readonly index: number;
  readonly epoch: number;
  readonly step: number;
  /** The reward's options from the config (`reward.options` for plugin rewards; the built-ins' own fields). */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * Accuracy and loss of the architecture on this arch step's validation batch: one forward pass
   * through the supernet with single-path gates, inference mode, no gradient. Run once per distinct
   * architecture and step: the first call evaluates every distinct architecture of the step together
   * (when the trainer offers `evaluateEach`, layers the architectures share run once), later calls
   * read those results.
   */
  evaluate(): Promise<{ accuracy: number; loss: number }>;
  /**
   * LAT(m) in the latency provider's unit. `measured`: the compact network timed on the active
   * backend (`measureLatency`); `table`: the provider's per-op table / FLOPs summed
   * (`latency.ofArchitecture`). Without an argument: measured when the provider can measure, else
   * the table. Throws when the source is not available.
   */
  latency(source?: LatencySource): Promise<number>;
}

/** The rewards of one arch step, after every reward was computed. */
export interface RewardSummary {
  readonly epoch: number;
  readonly step: number;
  readonly architectures: readonly Architecture[];
  readonly rewards: readonly number[];
  /** The baseline the advantages were computed with. */
  readonly baseline: number;
  readonly advantages: readonly number[];
}

/**
 * The strategy's own hooks (created once, frozen), for hook plugins to extend:
 * - `rewards.for(name)`: the reward called `name` — a bail hook whose first tap to return a number
 *   gives R(m). The configured `reward.use` picks one; `accuracy` and `latency` are tapped by the
 *   strategy itself.
 * - `reward`: a waterfall over every computed reward (shaping, penalties, logging).
 * - `afterRewards`: once per arch step with all rewards, the baseline and the advantages.
 */
export function createReinforceHooks() {
  return Object.freeze({
    rewards: new HookMap<AsyncSeriesBailHook<[RewardContext], number>>(() => new AsyncSeriesBailHook<[RewardContext], number>(['context'])),
    reward: new AsyncSeriesWaterfallHook<[number, RewardContext]>(['reward', 'context']),
    afterRewards: new AsyncSeriesHook<[RewardSummary]>(['summary']),
  });
}

export type ReinforceHooks = ReturnType<typeof createReinforceHooks>;

/**
 * Key under which a REINFORCE strategy exposes its hooks. A registered symbol, so that a plugin that
 * loaded another copy of this package still finds them.
 */
export const REINFORCE_HOOKS: unique symbol = Symbol.for('proxyless.strategy-reinforce.hooks');

/** The REINFORCE hooks of a strategy (or of a session's strategy); undefined for any other strategy. */
export function reinforceHooksOf(target: ArchitectureStrategy | SearchSession): ReinforceHooks | undefined {
  const strategy = 'components' in target ? target.components.strategy : target;
  return (strategy as unknown as { [REINFORCE_HOOKS]?: ReinforceHooks })[REINFORCE_HOOKS];
}

/**
 * A hook plugin that provides a named reward: `new RewardPlugin('params', (ctx) => …)`; a config
 * then selects it with `strategy.options.reward: { use: params }`. Fails when the session's
 * strategy is not REINFORCE.
 */
export class RewardPlugin implements SearchPlugin {
  readonly name: string;

  constructor(
    readonly reward: string,
    private readonly compute: (ctx: RewardContext) => number | Promise<number>,
  ) {
    this.name = `RewardPlugin(${reward})`;
  }

  apply(session: SearchSession): void {
    const hooks = reinforceHooksOf(session);
    if (!hooks) throw new Error(`${this.name}: the strategy "${session.components.strategy.name}" has no REINFORCE reward hooks (use @proxyless/strategy-reinforce)`);
    hooks.rewards.for(this.reward).tapPromise(this.name, async (ctx) => this.compute(ctx));
  }
}
