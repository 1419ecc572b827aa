import '@tensorflow/tfjs-backend-cpu';
import { ensureGradients } from '@proxyless/core';
import { useConformanceBackend } from '@proxyless/test-utils';

await ensureGradients();
await useConformanceBackend('cpu');
