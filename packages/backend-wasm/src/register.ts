// Side-effect entry: importing it makes plain TensorFlow.js code train on the wasm backend.
import '@tensorflow/tfjs-backend-wasm';
import { ensureGradients } from '@proxyless/core';
import { registerTrainingKernels } from './kernels/register-all-kernels.js';

registerTrainingKernels();
// Node's CommonJS tfjs-core registers no gradients; finish registering them before the importer runs.
await ensureGradients();
