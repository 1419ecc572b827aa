// @proxyless/latency-browser: the `browser` hardware target — latency measured inside headless
// Chromium (Playwright's driver on the system binary) on TensorFlow.js's wasm and WebGL backends.
import { pluginModule } from '@proxyless/core';
import { browserLatencyPlugin } from './browser-latency-provider.js';

export * from './chromium.js';
export * from './page-server.js';
export * from './browser-runtime.js';
export * from './browser-table.js';
export * from './browser-latency-provider.js';
export type { PageApi, PageDevice, PageInit } from './page/protocol.js';

export default pluginModule(browserLatencyPlugin);
