import { adamOptionFields, withRenamedOption, z } from '@proxyless/core';

/**
 * Options of the binaryconnect strategy: the single source of its option types. Core validates a
 * config's `strategy.options` against this schema before anything runs.
 */
export const binaryConnectOptionsShape = {
  mode: z
    .enum(['two', 'full', 'exact'])
    .default('two')
    .describe(
      'how ∂L/∂g reaches α in an arch step: `two` (two sampled paths, memory 2×), `full` (all N paths, memory N×), `exact` (Appendix D: active path forward, the others recomputed in backward)',
    ),
  ...adamOptionFields({ lr: 0.006, lrDescription: 'Adam learning rate of α (paper: 0.006 for small images, 0.001 for ImageNet)' }),
  latencyLoss: z
    .enum(['none', 'additive', 'normalized', 'multiplicative'])
    .optional()
    .describe(
      'form of the latency term: `additive` CE + λ1‖w‖² + λ2·E[lat]; `normalized` CE + λ·(E[lat] − T)/T; `multiplicative` α_r·CE·(log E[lat] / log T)^β. Default: `multiplicative` when `budget` is set, else `none`',
    ),
  budget: z
    .number()
    .positive()
    .optional()
    .describe('T: the latency budget (target) in the latency provider’s unit (ms, or MFLOPs for flops); `target` is its deprecated name'),
  lambda: z
    .number()
    .min(0)
    .optional()
    .describe('λ2 of `additive` (per provider unit; required there) or λ of `normalized` (default 0.2)'),
  l2: z
    .number()
    .min(0)
    .default(0)
    .describe('λ1 of `additive`: ‖w‖² of the weight kernels; independent of α, so it only changes the reported loss'),
  alphaR: z.number().positive().default(0.2).describe('α_r of `multiplicative`'),
  beta: z.number().positive().default(0.3).describe('β of `multiplicative`'),
  hardBudget: z
    .boolean()
    .default(false)
    .describe('treat T as a constraint: adds μ·(E[lat] − T)/T to the loss with μ ≥ 0 adapted by dual ascent (on the latency `budgetOn` names), and derives within T'),
  budgetOn: z
    .enum(['derived', 'expected'])
    .default('derived')
    .describe(
      'what the hard budget’s dual ascent constrains: the latency of the argmax architecture, the network the search derives (`derived`), or E[lat] under p (`expected`, which can leave the argmax far under or over T)',
    ),
  dualLr: z.number().positive().default(0.5).describe('step of the dual ascent on μ: μ ← max(0, μ + dualLr·(lat − T)/T), lat as `budgetOn` says'),
  dualInit: z.number().min(0).default(0).describe('initial μ of the hard budget'),
  derive: z
    .enum(['argmax', 'within-budget'])
    .optional()
    .describe('`argmax` p per mixed op, or the most probable architecture whose table latency ≤ T. Default: `within-budget` with `hardBudget`, else `argmax`'),
  beamWidth: z.number().int().min(1).default(64).describe('beam width of the within-budget derive'),
  budgetTolerance: z
    .number()
    .min(0)
    .max(1)
    .default(0.05)
    .describe(
      'within-budget derive: the most probable architecture whose latency lies in [(1 − budgetTolerance)·T, T] when one does (else in a window widened downwards; when the whole space lies under the window, T does not bind and the same window under the slowest architecture is used); the checked derive aims for that window on the measured network. 0: the most probable ≤ T, however far under',
    ),
  measureDerived: z
    .number()
    .int()
    .min(0)
    .default(6)
    .describe(
      'within-budget derive with a latency provider that measures whole networks: measure the derived network and re-derive under a budget corrected by the measured/predicted ratio until it measures ≤ T, trying at most this many networks (0: trust the latency model)',
    ),
  confirmRounds: z
    .number()
    .int()
    .min(0)
    .default(8)
    .describe(
      'checked derive, when the session times networks against a reference network: measure the network it accepts again, independently, in this many rounds, and keep it only if that measurement is ≤ T too (else the next network that fitted; when none does, up to two networks derived further below T). Taking the network whose noisy measurement came out ≤ T favours low readings; the second measurement is what the result reports. 0: no second measurement',
    ),
  zeroActive: z
    .enum(['estimate', 'skip'])
    .default('estimate')
    .describe('arch step where the active path is `zero`: apply Eq. 4 with ∂L/∂g_zero = 0 (`estimate`), or leave that mixed op’s α alone as the authors’ code does (`skip`)'),
} as const;

const binaryConnectOptionsObject = z
  .object(binaryConnectOptionsShape)
  .strict()
  .superRefine((o, ctx) => {
    const form = o.latencyLoss ?? (o.budget !== undefined ? 'multiplicative' : 'none');
    if (form === 'additive' && o.lambda === undefined) {
      ctx.addIssue({ code: 'custom', path: ['lambda'], message: 'latencyLoss "additive" needs lambda (λ2, the weight of E[lat] per provider unit)' });
    }
    for (const [need, why] of [
      [form === 'normalized', 'latencyLoss "normalized"'],
      [form === 'multiplicative', 'latencyLoss "multiplicative"'],
      [o.hardBudget, 'hardBudget'],
      [o.derive === 'within-budget', 'derive "within-budget"'],
    ] as const) {
      if (need && o.budget === undefined) ctx.addIssue({ code: 'custom', path: ['budget'], message: `${why} needs budget (T in the latency provider’s unit)` });
    }
    if (form === 'multiplicative' && o.budget !== undefined && o.budget <= 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['budget'],
        message: `latencyLoss "multiplicative" uses log E[lat] / log T, so T must exceed 1 (got ${o.budget}); use "normalized" or a provider unit in which T > 1`,
      });
    }
  });

/** The options schema; the deprecated key `target` is read as `budget` (with a warning). */
export const binaryConnectOptions = withRenamedOption(binaryConnectOptionsObject, { from: 'target', to: 'budget', where: 'strategy binaryconnect' });

export type BinaryConnectOptionsInput = z.input<typeof binaryConnectOptions>;
export type BinaryConnectOptions = z.output<typeof binaryConnectOptions>;
export type LatencyLossForm = NonNullable<BinaryConnectOptions['latencyLoss']>;

/** The latency-loss form an options object means once defaults are resolved. */
export function latencyLossForm(o: BinaryConnectOptions): LatencyLossForm {
  return o.latencyLoss ?? (o.budget !== undefined ? 'multiplicative' : 'none');
}

/** The derive rule an options object means once defaults are resolved. */
export function deriveRule(o: BinaryConnectOptions): 'argmax' | 'within-budget' {
  return o.derive ?? (o.hardBudget ? 'within-budget' : 'argmax');
}
