// @proxyless/runner-bullmq: latency tables and search sweeps as BullMQ jobs on Redis, run by
// `proxyless worker` processes on any number of machines.
export * from './connection.js';
export * from './jobs.js';
export * from './security.js';
export * from './worker.js';
export * from './coordinator.js';
export * from './latency-build.js';
export * from './sweep.js';
export * from './sweep-report.js';
