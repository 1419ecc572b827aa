// @proxyless/space-mbconv: the ProxylessNAS MobileNetV2 (MBConv) search space — path-binarized mixed
// ops, official net-config import/export, derive and TF.js LayersModel export.
export * from './candidates.js';
export * from './options.js';
export * from './geometry.js';
export * from './modules.js';
export * from './network.js';
export * from './space.js';
export * from './space-plugin.js';
export * from './summary.js';
export * from './net-config.js';
export * from './layers-export.js';
export { default } from './space-mbconv-module.js';
