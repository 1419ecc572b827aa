import { pluginModule } from '@proxyless/core';
import { tinySpacePlugin } from './tiny-space.js';
import { weightedStrategyPlugin } from './weighted-strategy.js';

/** Lets configs name `@proxyless/test-utils` as a space or strategy package (test fixtures). */
export default pluginModule(tinySpacePlugin, weightedStrategyPlugin);
