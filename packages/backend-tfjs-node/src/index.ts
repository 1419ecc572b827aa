// @proxyless/backend-tfjs-node: optional native TensorFlow backends (CPU and CUDA GPU).
import { measuredLatencyPlugin, pluginModule } from '@proxyless/core';
import { tfjsNodeBackendPlugin, tfjsNodeGpuBackendPlugin } from './tfjs-node-backend.js';

export * from './tfjs-node-backend.js';

/** Latency measured on the native CPU backend: target `cpu`, batch 1 (as in the paper). */
export const tfjsNodeCpuLatencyPlugin = measuredLatencyPlugin({
  name: 'measured',
  target: 'cpu',
  batchSize: 1,
  description: 'Latency measured with native TensorFlow on this CPU (median forward time per op at batch 1)',
});

/** Latency measured on the CUDA backend: target `gpu`, batch 8 (as in the paper). */
export const tfjsNodeGpuLatencyPlugin = measuredLatencyPlugin({
  name: 'measured-gpu',
  target: 'gpu',
  batchSize: 8,
  description: 'Latency measured with native TensorFlow on an NVIDIA GPU (median forward time per op at batch 8)',
});

/**
 * Binds the backends `tensorflow` and `tensorflow-gpu` and the latency plugins `measured` (cpu,
 * batch 1) and `measured-gpu` (gpu, batch 8); pick with `name`, e.g.
 * `backend: { use: "@proxyless/backend-tfjs-node", name: "tensorflow-gpu" }` and
 * `latency: { use: "@proxyless/backend-tfjs-node", name: "measured-gpu" }`.
 */
export default pluginModule(tfjsNodeBackendPlugin, tfjsNodeGpuBackendPlugin, tfjsNodeCpuLatencyPlugin, tfjsNodeGpuLatencyPlugin);
