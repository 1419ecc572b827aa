// @proxyless/space-tree-cell: the PyramidNet tree-cell search space of the ProxylessNAS CIFAR-10
// experiment — 12 path-binarized mixed ops per cell, the released PyramidTreeNet config read and
// written, derive and TF.js LayersModel export.
export * from './candidates.js';
export * from './options.js';
export * from './geometry.js';
export * from './ops.js';
export * from './modules.js';
export * from './network.js';
export * from './space.js';
export * from './summary.js';
export * from './pyramid-tree-net.js';
export * from './layers-export.js';
export * from './space-plugin.js';
export { default } from './space-tree-cell-module.js';
