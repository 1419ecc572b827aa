// @proxyless/strategy-binaryconnect: ProxylessNAS architecture updates through binarized gates
// (BinaryConnect-style gradient, Eq. 4) with the latency-aware loss and a hard latency budget.
import { pluginModule } from '@proxyless/core';
import { binaryConnectStrategyPlugin } from './binaryconnect-plugin.js';

export * from './options.js';
// The estimators moved to @proxyless/core (one home for both strategies); re-exported for existing imports.
export { binaryConnectGradient, logSumExp, rescalePair, sampleTwoPaths, softmaxOver } from '@proxyless/core';
// The within-budget derive moved to @proxyless/core too (REINFORCE derives the same way); re-exported.
export { mostProbableWithin, type BudgetChoice, type BudgetedArchitecture } from '@proxyless/core';
export * from './binaryconnect-strategy.js';
export * from './binaryconnect-plugin.js';

/** The plugin contract: a default-exported ContainerModule binding the `binaryconnect` strategy. */
export default pluginModule(binaryConnectStrategyPlugin);
