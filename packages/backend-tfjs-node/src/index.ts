// @proxyless/backend-tfjs-node: optional native TensorFlow backends (CPU and CUDA GPU).
import { pluginModule } from '@proxyless/core';
import { tfjsNodeBackendPlugin, tfjsNodeGpuBackendPlugin } from './tfjs-node-backend.js';

export * from './tfjs-node-backend.js';

/** Binds `tensorflow` and `tensorflow-gpu`; pick one with `backend: { use: "@proxyless/backend-tfjs-node", name: "tensorflow-gpu" }`. */
export default pluginModule(tfjsNodeBackendPlugin, tfjsNodeGpuBackendPlugin);
