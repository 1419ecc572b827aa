import { measuredLatencyPlugins, pluginModule } from '@proxyless/core';
import { wasmBackendPlugin } from './wasm-backend-plugin.js';

/** `latency: { use: "@proxyless/backend-wasm", name: measured }`: core's measured provider (target `cpu`, batch 1), bound here next to the backend it times. */
export const MEASURED_LATENCY_PLUGIN = measuredLatencyPlugins.cpu.name;

/** The package's container module: the `wasm` backend plugin and core's `measured` latency plugin. */
export const backendWasmModule = pluginModule(wasmBackendPlugin, measuredLatencyPlugins.cpu);
