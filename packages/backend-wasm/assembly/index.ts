// The fused training kernels of @proxyless/backend-wasm, one per file; built into
// wasm/kernels-simd.wasm and wasm/kernels-scalar.wasm by scripts/build-wasm.mjs.
export { batchNormStats } from './batch-norm-stats';
export { batchNormApply } from './batch-norm-apply';
export { batchNormBackward } from './batch-norm-backward';
export { relu6Grad } from './relu6-grad';
export { depthwise } from './depthwise';
export { conv1x1FilterGrad } from './conv1x1-filter-grad';
export { convFilterGrad } from './conv-filter-grad';
