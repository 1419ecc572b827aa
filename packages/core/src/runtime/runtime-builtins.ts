import { cpuBackendPlugin } from '../backend/cpu-backend.js';
import { fashionMnistDataPlugin } from '../data/fashion-mnist-data-plugin.js';
import { idxDataPlugin } from '../data/idx-data-plugin.js';
import { pluginModule } from '../di/plugin.js';
import { measuredLatencyPlugins } from '../latency/measured-latency-provider.js';

/** Built-ins the runtime stage needs (no trainer): the `cpu` backend, the `idx` and `fashion-mnist` data, `measured` latency. */
export const runtimePlugins = [cpuBackendPlugin, idxDataPlugin, fashionMnistDataPlugin, measuredLatencyPlugins.cpu] as const;

/** Core's runtime built-ins as a ContainerModule (what `composeRuntime` and `composeNetwork` resolve names against). */
export const runtimeModule = pluginModule(...runtimePlugins);
