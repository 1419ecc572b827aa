// @proxyless/backend-tfjs-node: optional native TensorFlow backends (CPU and CUDA GPU).
import { measuredLatencyPlugins, pluginModule } from '@proxyless/core';
import { tfjsNodeBackendPlugin, tfjsNodeGpuBackendPlugin } from './tfjs-node-backend.js';

export * from './tfjs-node-backend.js';

/**
 * Binds the backends `tensorflow` and `tensorflow-gpu` and core's measured latency plugins
 * `measured` (cpu, batch 1) and `measured-gpu` (gpu, batch 8); pick with `name`, e.g.
 * `backend: { use: "@proxyless/backend-tfjs-node", name: "tensorflow-gpu" }` and
 * `latency: { use: "@proxyless/backend-tfjs-node", name: "measured-gpu" }`.
 */
export default pluginModule(tfjsNodeBackendPlugin, tfjsNodeGpuBackendPlugin, measuredLatencyPlugins.cpu, measuredLatencyPlugins.gpu);
