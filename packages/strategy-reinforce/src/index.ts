// @proxyless/strategy-reinforce: REINFORCE updates of the binarized architecture parameters
// (ProxylessNAS Eq. 8), for objectives that are not differentiable (e.g. measured latency).
import { pluginModule } from '@proxyless/core';
import { reinforceStrategyPlugin } from './reinforce-strategy.js';

export * from './options.js';
export * from './reinforce-gradient.js';
export * from './reward.js';
export * from './combined-gradient.js';
export * from './reinforce-strategy.js';

/** The plugin contract: a default-exported ContainerModule binding the `reinforce` strategy. */
export default pluginModule(reinforceStrategyPlugin);
