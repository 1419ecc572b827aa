import { definePlugin, requireSlot } from '@proxyless/core';
import { BinaryConnectStrategy } from './binaryconnect-strategy.js';
import { binaryConnectOptions, deriveRule, latencyLossForm } from './options.js';

export const binaryConnectStrategyPlugin = definePlugin({
  kind: 'strategy',
  name: 'binaryconnect',
  description: 'ProxylessNAS gradient updates of α through binarized gates (Eq. 4: two-path, full or exact), latency-aware loss, hard budget',
  options: binaryConnectOptions,
  create: (options, ctx) => new BinaryConnectStrategy(options, ctx.rng, (m) => ctx.log(m)),
  // Before any backend or data loads: E[lat] needs a `latency:` slot.
  validate: (o, view) => {
    const form = latencyLossForm(o);
    const needs = [
      form !== 'none' ? `latencyLoss "${form}"` : undefined,
      o.hardBudget ? 'hardBudget' : undefined,
      deriveRule(o) === 'within-budget' ? 'derive "within-budget"' : undefined,
    ].filter((n) => n !== undefined);
    return needs.length ? requireSlot(view, 'latency', `${view.slot}.options: ${needs.join(', ')} needs E[lat]`) : [];
  },
});
