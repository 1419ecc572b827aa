import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';

interface RefCounting {
  incRef(dataId: object): void;
}

/**
 * Identity on wasm without a copy: the output shares the input's buffer (reference counted, as
 * tfjs-backend-wasm's own Reshape and the cpu backend's Identity do; tensors are immutable). tfjs's
 * wasm Identity copies, and the engine runs Identity for every tensor it saves for a gradient
 * (`clone` in `saveTensorsForBackwardMode`) and around every custom-gradient op: ≈ 270 activation
 * copies per training step of the default example's network (≈ 5% of the step).
 */
function identity(args: { inputs: { x: TensorInfo }; backend: unknown }): TensorInfo {
  const { x } = args.inputs;
  (args.backend as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as KernelFunc,
};
