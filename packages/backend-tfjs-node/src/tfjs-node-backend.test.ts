import { describe, expect, it } from 'vitest';
import { isInstalled, MissingBackendPackageError, TfjsNodeBackend } from './tfjs-node-backend.js';

const cpuInstalled = isInstalled('@tensorflow/tfjs-node');
const gpuInstalled = isInstalled('@tensorflow/tfjs-node-gpu');
if (!cpuInstalled) console.log('[backend-tfjs-node] @tensorflow/tfjs-node is not installed: testing the missing-package error only');

describe('backend-tfjs-node', () => {
  it.skipIf(cpuInstalled)('says exactly what to install when @tensorflow/tfjs-node is absent', () => {
    expect(() => new TfjsNodeBackend('tensorflow')).toThrow(MissingBackendPackageError);
    expect(() => new TfjsNodeBackend('tensorflow')).toThrow('npm install @tensorflow/tfjs-node@4.22.0');
  });

  it.skipIf(gpuInstalled)('says exactly what to install when @tensorflow/tfjs-node-gpu is absent', () => {
    expect(() => new TfjsNodeBackend('tensorflow-gpu')).toThrow('backend "tensorflow-gpu" needs @tensorflow/tfjs-node-gpu@4.22.0, which is not installed');
  });

  it.runIf(cpuInstalled)('initializes the tensorflow backend when @tensorflow/tfjs-node is installed', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const b = new TfjsNodeBackend('tensorflow');
    await b.init();
    expect(tf.getBackend()).toBe('tensorflow');
    expect(b.describe().backend).toBe('tensorflow');
  });
});

describe('backend-tfjs-node latency plugins', () => {
  it('binds measured (cpu, batch 1) and measured-gpu (gpu, batch 8) with the paper defaults', async () => {
    const { descriptorsOf } = await import('@proxyless/core');
    const mod = (await import('./index.js')).default;
    const latency = descriptorsOf(mod).get('latency')!;
    expect(latency.map((d) => d.name)).toEqual(['measured', 'measured-gpu']);
    const [cpu, gpu] = latency.map((d) => d.options.parse({}) as { target: string; batchSize: number });
    expect(cpu).toMatchObject({ target: 'cpu', batchSize: 1 });
    expect(gpu).toMatchObject({ target: 'gpu', batchSize: 8 });
  });
});
