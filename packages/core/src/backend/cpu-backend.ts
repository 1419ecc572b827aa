import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { definePlugin } from '../di/plugin.js';
import { ensureGradients } from '../tfjs/runtime.js';
import type { Backend, DeviceDescription } from './backend.js';
import { describeDevice } from './describe-device.js';

/**
 * The pure-JavaScript `cpu` backend of TensorFlow.js: slow, but available everywhere and the
 * reference every other backend is checked against.
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu';

  async init(): Promise<void> {
    await import('@tensorflow/tfjs-backend-cpu');
    await ensureGradients();
    if (!(await tf.setBackend('cpu'))) throw new Error('TensorFlow.js could not initialize the cpu backend');
    await tf.ready();
  }

  describe(): DeviceDescription {
    return describeDevice('cpu');
  }
}

export const cpuBackendPlugin = definePlugin({
  kind: 'backend',
  name: 'cpu',
  description: 'Pure-JS TensorFlow.js cpu backend (reference; slow on convolutions)',
  options: z.object({}).strict(),
  create: () => new CpuBackend(),
});
