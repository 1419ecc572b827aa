// @proxyless/test-utils: shared test fixtures and helpers (private).
export * from './tiny-space.js';
export * from './weighted-strategy.js';
export { default } from './test-utils-module.js';
export * from './conformance/index.js';
