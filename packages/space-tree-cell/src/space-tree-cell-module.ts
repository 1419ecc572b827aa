import { pluginModule } from '@proxyless/core';
import { treeCellSpacePlugin } from './space-plugin.js';

/** `space: { use: '@proxyless/space-tree-cell' }`: binds the `tree-cell` space plugin. */
export default pluginModule(treeCellSpacePlugin);
