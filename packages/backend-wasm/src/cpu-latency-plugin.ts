import { definePlugin, type LatencyProvider } from '@proxyless/core';
import { MeasuredLatencyOptionsSchema, MeasuredLatencyProvider } from './measured-latency-provider.js';

export const MEASURED_LATENCY_PLUGIN = 'measured';

/** `latency: { name: measured, target: cpu }`: op latencies timed on this machine's active backend. */
export const cpuLatencyPlugin = definePlugin({
  kind: 'latency',
  name: MEASURED_LATENCY_PLUGIN,
  description: 'Latency measured on this machine (median forward time of each op at batch 1 on the active TensorFlow.js backend)',
  options: MeasuredLatencyOptionsSchema,
  create: (options, ctx): LatencyProvider => new MeasuredLatencyProvider(options, { rng: ctx.rng.fork('measured-latency'), log: (m) => ctx.log(m) }),
});
