// proxyless-strategy-uniform: an example third-party strategy package for proxyless.
import { pluginModule } from '@proxyless/core';
import { uniformStrategyPlugin } from './uniform-strategy.js';

export * from './uniform-strategy.js';

/** The plugin contract: a default-exported ContainerModule binding the strategy. */
export default pluginModule(uniformStrategyPlugin);
