// @proxyless/core/contracts: the types a plugin author implements and relies on, and nothing else
// (no runtime code: importing it loads nothing). Each is defined next to the code that uses it; this
// entry gathers them. See docs/writing-a-plugin.md for the lifecycle and the ownership of tensors.

// Plugins: descriptor, factory context, cross-slot validation, the error format
export type * from './di/plugin.js';
export type { ConfigProblem } from './config/config-error.js';
// Spaces (with their optional features: inspect, formatInspection, exportModel, describeCandidate)
export type * from './spaces/search-space.js';
export type * from './spaces/architecture.js';
export type * from './spaces/op-features.js';
// Strategies: the lifecycle contract (setup → setState on resume → per-epoch → archStep → derive)
export type * from './strategies/strategy.js';
// Estimators shared by strategies (Eq. 4 gate gradients, sampled paths)
export type { GateGradients, ArchPaths, ArchSample } from './estimators/index.js';
// Running the network with your own gates
export type * from './nn/module.js';
export type * from './nn/gates.js';
export type { Candidate, MixedOp } from './nn/mixed-op.js';
// Latency providers, backends, data, trainers
export type * from './latency/latency-provider.js';
export type * from './backend/backend.js';
export type * from './data/dataset.js';
// Hooks and hook plugins
export type * from './session/hooks.js';
export type { SearchComponents, SearchPlugin, SearchSession, SessionSnapshot, Trainer } from './session/search-session.js';
