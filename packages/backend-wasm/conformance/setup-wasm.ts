import '@tensorflow/tfjs-backend-cpu'; // the reference backend
import '@proxyless/backend-wasm'; // wasm backend + training kernels + gradients
import { useConformanceBackend } from '@proxyless/test-utils';

await useConformanceBackend('wasm');
