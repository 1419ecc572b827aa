import { pluginModule } from '@proxyless/core';
import { tinySpacePlugin } from './tiny-space.js';

/** Lets configs name `@proxyless/test-utils` as a space package (the tiny fixture space). */
export default pluginModule(tinySpacePlugin);
