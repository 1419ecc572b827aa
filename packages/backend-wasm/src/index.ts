// @proxyless/backend-wasm: TensorFlow.js's wasm backend, trainable (the missing gradient kernels),
// proven against the cpu backend, and a measured-latency provider for the `cpu` target.
import './register.js';
import { backendWasmModule, MEASURED_LATENCY_PLUGIN } from './backend-wasm-module.js';

export * from './kernels/register-all-kernels.js';
export * from './kernels/kernel-scope.js';
export * from './kernels/conv-geometry.js';
export * from './kernels/conv-grads.js';
export { conv2DBackpropFilterConfig } from './kernels/conv2d-backprop-filter.js';
export { conv2DBackpropInputConfig } from './kernels/conv2d-backprop-input.js';
export { depthwiseConv2dNativeBackpropFilterConfig } from './kernels/depthwise-conv2d-native-backprop-filter.js';
export { depthwiseConv2dNativeBackpropInputConfig } from './kernels/depthwise-conv2d-native-backprop-input.js';
export * from './ops/dilated-conv.js';
export * from './ops/avg-pool.js';
export * from './wasm-backend-plugin.js';
export { backendWasmModule, MEASURED_LATENCY_PLUGIN };
export default backendWasmModule;
