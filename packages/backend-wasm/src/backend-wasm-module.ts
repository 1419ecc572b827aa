import { pluginModule } from '@proxyless/core';
import { cpuLatencyPlugin } from './cpu-latency-plugin.js';
import { wasmBackendPlugin } from './wasm-backend-plugin.js';

/** The package's container module: the `wasm` backend plugin and the `measured` latency plugin. */
export const backendWasmModule = pluginModule(wasmBackendPlugin, cpuLatencyPlugin);
