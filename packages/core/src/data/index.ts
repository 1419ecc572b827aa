// The data pipeline: IDX files → labelled images in memory → train / validation / test splits
// whose batches are made per call. The contracts (`Dataset`, `Split`, `Batch`, `DataProvider`)
// live in ./dataset.ts, which the package index re-exports.
export * from './idx.js';
export * from './data-options.js';
export * from './normalization.js';
export * from './augment.js';
export * from './in-memory-split.js';
export * from './build-dataset.js';
export * from './idx-data-plugin.js';
export * from './fashion-mnist-data-plugin.js';
export * from './cifar10.js';
export * from './cifar10-data-plugin.js';
