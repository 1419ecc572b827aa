// @proxyless/core: the contracts of a hardware-aware architecture search and the machinery that
// connects them (hooks, composition from a config, the search loop, data, artifacts).
import 'reflect-metadata';

export * from './tfjs/runtime.js';
export * from './random/rng.js';
export * from './nn/module.js';
export * from './nn/gates.js';
export * from './nn/mixed-op.js';
export * from './spaces/architecture.js';
export * from './spaces/op-features.js';
export * from './spaces/search-space.js';
export * from './backend/backend.js';
export * from './latency/latency-provider.js';
export * from './data/dataset.js';
export * from './di/plugin.js';
export { z } from 'zod';
export { ContainerModule, Container } from 'inversify';
