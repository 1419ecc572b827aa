import { definePlugin } from '@proxyless/core';
import { treeCellSpaceOptions } from './options.js';
import { readPyramidTreeNet, toPyramidTreeNet } from './pyramid-tree-net.js';
import { TreeCellSpace } from './space.js';

/** `space: { use: '@proxyless/space-tree-cell', options: {...} }`. */
export const treeCellSpacePlugin = definePlugin({
  kind: 'space',
  name: 'tree-cell',
  description: 'ProxylessNAS CIFAR-10 space: PyramidNet of residual tree cells, 12 searched edges per cell (dilated/separable convs, pools, identity)',
  options: treeCellSpaceOptions,
  create: (options, ctx) => {
    if (!ctx.input) throw new Error('tree-cell space: the input shape is unknown (no data plugin ran first)');
    return new TreeCellSpace(options, ctx.input);
  },
  importArchitecture: (file, opts) => {
    if (typeof file !== 'object' || file === null || (file as { name?: unknown }).name !== 'PyramidTreeNet') return undefined;
    return readPyramidTreeNet(file, opts.resolution === undefined ? {} : { resolution: opts.resolution });
  },
  exportArchitecture: (space, architecture) => ({ format: 'PyramidTreeNet', file: toPyramidTreeNet(space, architecture) }),
});
