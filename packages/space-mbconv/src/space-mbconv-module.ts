import { pluginModule } from '@proxyless/core';
import { mbconvSpacePlugin } from './space-plugin.js';

/** `space: { use: '@proxyless/space-mbconv' }`: binds the `mbconv` space plugin. */
export default pluginModule(mbconvSpacePlugin);
