import * as tf from '@tensorflow/tfjs-core';
import { cpus, platform, arch } from 'node:os';
import { z } from 'zod';
import { definePlugin } from '../di/plugin.js';
import { ensureGradients } from '../tfjs/runtime.js';
import type { Backend, DeviceDescription } from './backend.js';

/** `node:os`'s view of the CPU, shared by every CPU-side backend's description. */
export function describeHostCpu(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  return `${model} ×${list.length} (${platform()} ${arch()})`;
}

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
    return { backend: 'cpu', device: describeHostCpu(), details: { tfjs: tf.version_core } };
  }
}

export const cpuBackendPlugin = definePlugin({
  kind: 'backend',
  name: 'cpu',
  description: 'Pure-JS TensorFlow.js cpu backend (reference; slow on convolutions)',
  options: z.object({}).strict(),
  create: () => new CpuBackend(),
});
