import { definePlugin } from '@proxyless/core';
import { BinaryConnectStrategy } from './binaryconnect-strategy.js';
import { binaryConnectOptions } from './options.js';

export const binaryConnectStrategyPlugin = definePlugin({
  kind: 'strategy',
  name: 'binaryconnect',
  description: 'ProxylessNAS gradient updates of α through binarized gates (Eq. 4: two-path, full or exact), latency-aware loss, hard budget',
  options: binaryConnectOptions,
  create: (options, ctx) => new BinaryConnectStrategy(options, ctx.rng, (m) => ctx.log(m)),
});
