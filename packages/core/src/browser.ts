// @proxyless/core for browsers (the `browser` export condition, or `@proxyless/core/browser`): the
// parts a page needs to rebuild a space's ops and networks and time them — layers, the mixed op, the
// RNG, the contracts, plugin descriptors and core's timing. Nothing reachable from here imports a
// Node built-in (node:fs, node:worker_threads, …); `browser.test.ts` bundles it for the browser and
// fails on any. Config loading, the composition, the search loop, data files, checkpoints and
// worker threads are Node-only and live in the main entry.
import 'reflect-metadata';

export * from './random/rng.js';
export * from './nn/module.js';
export * from './nn/gates.js';
export * from './nn/mixed-op.js';
export * from './nn/layers.js';
export * from './nn/block-network.js';
export * from './nn/loss.js';
export * from './nn/gate-sampling.js';
export * from './spaces/architecture.js';
export * from './spaces/op-features.js';
export * from './spaces/search-space.js';
export * from './spaces/inherit-weights.js';
export * from './strategies/strategy.js';
export * from './backend/backend.js';
export * from './latency/latency-provider.js';
export * from './latency/expected-latency.js';
export * from './latency/timing.js';
export * from './data/dataset.js';
export * from './di/plugin.js';
export * from './config/config-error.js';
export { LayersModelFiles, LAYERS_MODEL_FORMAT, type SavableLayersModel, type LoadedLayersModel, type LayersModelLike } from './artifacts/layers-model-dir.browser.js';
export { saveLayersModelDir, checkExportedLayersModel, layersModelDirHandler, importTfjsLayers } from './artifacts/layers-model-dir.browser.js';
export { z } from 'zod';
export { ContainerModule, Container } from 'inversify';
