import { definePlugin } from '@proxyless/core';
import { readNetConfig, toNetConfig } from './net-config.js';
import { mbconvSpaceOptions } from './options.js';
import { MBConvSpace } from './space.js';

/** `space: { use: '@proxyless/space-mbconv', options: {...} }`. */
export const mbconvSpacePlugin = definePlugin({
  kind: 'space',
  name: 'mbconv',
  description: 'ProxylessNAS MobileNetV2 (MBConv) search space: kernel {3,5,7} × expand {3,6} + zero, path-binarized mixed ops',
  options: mbconvSpaceOptions,
  create: (options, ctx) => {
    if (!ctx.input) throw new Error('mbconv space: the input shape is unknown (no data plugin ran first)');
    return new MBConvSpace(options, ctx.input);
  },
  importArchitecture: (file, opts) => {
    if (typeof file !== 'object' || file === null || (file as { name?: unknown }).name !== 'ProxylessNASNets') return undefined;
    return readNetConfig(file, opts.resolution === undefined ? {} : { resolution: opts.resolution });
  },
  exportArchitecture: (space, architecture) => ({ format: 'ProxylessNASNets', file: toNetConfig(space, architecture) }),
});
