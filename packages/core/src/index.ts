// @proxyless/core: the contracts of a hardware-aware architecture search and the machinery that
// connects them (hooks, composition from a config, the search loop, data, artifacts).
import 'reflect-metadata';

// TensorFlow.js runtime and randomness
export * from './tfjs/runtime.js';
export * from './random/rng.js';
// Building blocks and the mixed op
export * from './nn/module.js';
export * from './nn/gates.js';
export * from './nn/mixed-op.js';
export * from './nn/layers.js';
export * from './nn/block-network.js';
export * from './nn/loss.js';
export * from './nn/gate-sampling.js';
export * from './estimators/index.js';
// Contracts
export * from './spaces/architecture.js';
export * from './spaces/op-features.js';
export * from './spaces/search-space.js';
export * from './spaces/inherit-weights.js';
export * from './strategies/strategy.js';
export * from './strategies/budget-derive.js';
export * from './strategies/renamed-option.js';
export * from './backend/backend.js';
export * from './backend/describe-device.js';
export * from './latency/latency-provider.js';
export * from './latency/expected-latency.js';
export * from './latency/calibration.js';
export * from './latency/timing.js';
export * from './latency/relative-timing.js';
export * from './latency/measured-latency-provider.js';
export * from './data/dataset.js';
export * from './data/index.js';
// Session, hooks and plugins
export * from './session/hooks.js';
export * from './session/search-session.js';
export * from './di/plugin.js';
// Built-ins
export * from './backend/cpu-backend.js';
export * from './training/sgd.js';
export * from './training/adam.js';
export * from './training/weight-step.js';
export * from './training/arch-compute.js';
export * from './training/search-trainer.js';
export * from './training/train-network.js';
export * from './training/train-checkpoint.js';
export * from './training/collective.js';
export * from './training/data-parallel.js';
export { SearchWorkerFailed, SearchWorkers, type SearchWorkerData } from './training/search-workers.js';
export * from './builtin-plugins.js';
// Config, composition, artifacts
export * from './config/schema.js';
export * from './config/config-error.js';
export * from './config/load-config.js';
export * from './config/resolve-plugin.js';
export * from './config/json-schema.js';
export * from './runtime/composition.js';
export * from './runtime/tokens.js';
export * from './runtime/runtime-builtins.js';
export * from './runtime/runtime-stage.js';
export * from './runtime/compose-network.js';
export * from './compose/search-stage.js';
export * from './compose/compose-search.js';
export * from './compose/search.js';
export * from './artifacts/atomic.js';
export * from './artifacts/checkpoint.js';
export * from './artifacts/layers-model-dir.js';
export * from './artifacts/run-directory-plugin.js';
export * from './artifacts/run-lock.js';
// One copy of these for every plugin package
export { z } from 'zod';
export { ContainerModule, Container } from 'inversify';
export * as tapable from 'tapable';
