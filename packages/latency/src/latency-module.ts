import { pluginModule } from '@proxyless/core';
import { flopsLatencyPlugin, lookupTablePlugin, mobileLatencyPlugin, predictorPlugin } from './latency-plugins.js';

/** The package's container module: the `table`, `mobile`, `flops` and `predictor` latency plugins. */
export const latencyModule = pluginModule(lookupTablePlugin, mobileLatencyPlugin, flopsLatencyPlugin, predictorPlugin);
