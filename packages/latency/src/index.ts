// @proxyless/latency: latency lookup tables in the official ProxylessNAS format, the Pixel 1
// `mobile` table, the `flops` target, building a table for your own device, and a fitted predictor.
import { latencyModule } from './latency-module.js';

export * from './latency-key.js';
export * from './latency-table.js';
export * from './lookup-table-provider.js';
export * from './mobile.js';
export * from './flops.js';
export * from './net-config.js';
export * from './build-table.js';
export * from './predictor.js';
export * from './predict.js';
export * from './linalg.js';
export * from './latency-plugins.js';
export { latencyModule };
export default latencyModule;
export * from './latency-config.js';
