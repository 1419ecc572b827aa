// @proxyless/backend-wasm: Trainable TensorFlow.js wasm backend: missing gradient kernels, conformance, measured CPU latency
// the wasm backend plugin is registered by issue 2; training kernels, conformance suite and measured latency come with issue 3.
export {};
