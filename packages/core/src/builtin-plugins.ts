import { runDirectoryPlugin } from './artifacts/run-directory-plugin.js';
import { pluginModule } from './di/plugin.js';
import { runtimePlugins } from './runtime/runtime-builtins.js';
import { searchTrainerPlugin } from './training/search-trainer.js';

/** Plugins that ship with core, addressable in a config by their short names. */
export const builtinPlugins = [...runtimePlugins, searchTrainerPlugin, runDirectoryPlugin] as const;

/** Core's own ContainerModule: binds the built-ins to their contribution points, like any plugin package. */
export const coreModule = pluginModule(...builtinPlugins);
