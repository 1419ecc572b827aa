import { measuredLatencyPlugin } from '@proxyless/core';

export const MEASURED_LATENCY_PLUGIN = 'measured';

/** `latency: { use: "@proxyless/backend-wasm", name: measured }`: op latencies timed on this machine (target `cpu`, batch 1). */
export const cpuLatencyPlugin = measuredLatencyPlugin({
  name: MEASURED_LATENCY_PLUGIN,
  target: 'cpu',
  batchSize: 1,
  description: 'Latency measured on this machine (median forward time of each op at batch 1 on the active TensorFlow.js backend)',
});
