import { cpuBackendPlugin } from './backend/cpu-backend.js';
import { fashionMnistDataPlugin, idxDataPlugin } from './data/index.js';
import { pluginModule } from './di/plugin.js';
import { searchTrainerPlugin } from './training/search-trainer.js';

/** Plugins that ship with core, addressable in a config by their short names. */
export const builtinPlugins = [cpuBackendPlugin, idxDataPlugin, fashionMnistDataPlugin, searchTrainerPlugin] as const;

/** Core's own ContainerModule: binds the built-ins to their contribution points, like any plugin package. */
export const coreModule = pluginModule(...builtinPlugins);
