import { adamOptionFields, withRenamedOption, z } from '@proxyless/core';

/** Names of the rewards this package computes itself; any other name must be provided by a plugin. */
export const BUILTIN_REWARDS = ['accuracy', 'latency'] as const;

/** `reward: { use: accuracy }`: R(m) = ACC(m) on the arch step's validation batch. */
export const accuracyRewardOptions = z.object({ use: z.literal('accuracy') }).strict();

/**
 * `reward: { use: latency, budget, w, wUnder }`: R(m) = ACC(m) × [LAT(m)/T]^w (paper, w < 0); with
 * `wUnder`, that exponent applies where LAT(m) ≤ T instead (MnasNet's α and β: `wUnder: 0, w: -1` is
 * its hard constraint, which gives nothing for being faster than T). `target` is the deprecated name
 * of `budget` (read with a warning).
 * LAT(m) is measured on the active backend (`measured`), or summed from the latency provider's
 * per-op table / FLOPs (`table`); `auto` measures when the configured provider can.
 */
export const latencyRewardOptions = withRenamedOption(
  z
    .object({
      use: z.literal('latency'),
      budget: z.number().positive().describe('T: the latency budget (target), in the latency provider’s unit'),
      w: z.number().max(0).default(-0.07).describe('exponent of LAT/T (w < 0 rewards faster networks)'),
      wUnder: z
        .number()
        .max(0)
        .optional()
        .describe('exponent of LAT/T where LAT ≤ T (default: w, the soft constraint; 0 with w = -1: the hard constraint, no reward for being faster than T)'),
      latencySource: z.enum(['auto', 'measured', 'table']).default('auto').describe('where LAT(m) comes from'),
    })
    .strict(),
  { from: 'target', to: 'budget', where: 'strategy reinforce, reward latency' },
);

/**
 * `reward: { use: <name>, options }`: a reward that a hook plugin taps into
 * `strategy.hooks.rewards.for(<name>)` (see README, "Extension point").
 */
export const pluginRewardOptions = z
  .object({
    use: z
      .string()
      .min(1)
      .refine((n) => !(BUILTIN_REWARDS as readonly string[]).includes(n), { message: 'built-in reward names take their own options' }),
    options: z.record(z.string(), z.unknown()).default({}).describe('passed to the reward plugin as-is'),
  })
  .strict();

export const rewardOptions = z.union([accuracyRewardOptions, latencyRewardOptions, pluginRewardOptions]);
export type RewardOptions = z.output<typeof rewardOptions>;
export type LatencyRewardOptions = z.output<typeof latencyRewardOptions>;

/** The latency reward's options, when the configured reward is the built-in `latency`. */
export function asLatencyReward(r: RewardOptions): LatencyRewardOptions | undefined {
  return r.use === 'latency' && 'budget' in r ? (r as LatencyRewardOptions) : undefined;
}

/**
 * Baseline b of the advantages R_i − b: an exponential moving average of each step's mean reward,
 * b ← decay·b + (1 − decay)·mean_i R_i. `initial: 'first-mean'` sets b to the first step's mean
 * reward before that step's advantages are computed; a number starts b there instead.
 */
export const baselineOptions = z
  .object({
    decay: z.number().min(0).max(1).default(0.9).describe('EMA decay of the baseline (1: b never moves from its initial value)'),
    initial: z.union([z.literal('first-mean'), z.number()]).default('first-mean').describe('b before the first step'),
  })
  .strict();

export const reinforceStrategyOptions = z
  .object({
    mode: z.enum(['reinforce', 'combined']).default('reinforce').describe('REINFORCE alone, or REINFORCE plus the BinaryConnect gradient'),
    samples: z.number().int().min(1).default(10).describe('M: architectures sampled per architecture step'),
    ...adamOptionFields({ lr: 0.01, lrDescription: 'Adam learning rate of α (paper: 0.01 small images, 0.001 ImageNet)' }),
    reward: rewardOptions.default({ use: 'accuracy' }),
    baseline: baselineOptions.default({ decay: 0.9, initial: 'first-mean' }),
    combinedWeight: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('combined mode, λ: Adam is given λ·∇α L_BC + (1 − λ)·(−∇α J)'),
    combinedPaths: z
      .enum(['two', 'all'])
      .default('two')
      .describe('combined mode: the BinaryConnect gradient through two sampled paths per mixed op (paper) or through every path (exact, recomputed)'),
    derive: z
      .enum(['argmax', 'within-budget'])
      .default('argmax')
      .describe(
        '`argmax`: the most probable candidate per mixed op. `within-budget` (needs the latency reward and a latency provider): the most probable architecture whose latency by the search\'s model lies in [(1 − budgetTolerance)·T, T], as BinaryConnect\'s derive (not measured again)',
      ),
    budgetTolerance: z.number().min(0).max(1).default(0.05).describe('within-budget derive: aim for [(1 − budgetTolerance)·T, T]; 0: the most probable ≤ T, however far under'),
    beamWidth: z.number().int().min(1).default(64).describe('beam width of the within-budget derive'),
    cacheLatency: z
      .boolean()
      .default(true)
      .describe('measure each distinct architecture once per search: one round against the search\'s reference network, else the least of three measurements (kept in checkpoints)'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.derive === 'within-budget' && !asLatencyReward(o.reward)) {
      ctx.addIssue({ code: 'custom', path: ['derive'], message: `"within-budget" derives within the latency reward's budget T, but the reward is "${o.reward.use}": use reward: { use: latency, budget: T }, or derive: argmax` });
    }
  });

export type ReinforceStrategyOptions = z.output<typeof reinforceStrategyOptions>;
export type ReinforceStrategyInput = z.input<typeof reinforceStrategyOptions>;
