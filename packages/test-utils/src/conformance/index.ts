// Cross-backend conformance: the same op cases and gradient checks run in one vitest project per
// TensorFlow.js backend (cpu, wasm, tensorflow), each selecting its backend in a setup file.
export * from './backend-env.js';
export * from './describe-with-backends.js';
export * from './tolerances.js';
export * from './op-cases.js';
export * from './conformance-suite.js';
