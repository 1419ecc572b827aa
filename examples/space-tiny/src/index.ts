// proxyless-space-tiny: an example third-party search-space package for proxyless (the worked
// space example of docs/writing-a-plugin.md).
import { pluginModule } from '@proxyless/core';
import { tinySpacePlugin } from './tiny-space.js';

export * from './tiny-space.js';

/** The plugin contract: a default-exported ContainerModule binding the space. */
export default pluginModule(tinySpacePlugin);
