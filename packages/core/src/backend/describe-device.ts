import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { DeviceDescription } from './backend.js';

function flag(name: string): boolean | undefined {
  const v = (tf.env().features as Record<string, unknown>)[name];
  return typeof v === 'boolean' ? v : undefined;
}

function cpuModel(): string {
  return (os.cpus()[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
}

/** `node:os`'s view of the CPU, e.g. `Intel(R) Xeon(R) Processor ×2 (linux x64)`, shared by every CPU-side backend's description. */
export function describeHostCpu(): string {
  return `${cpuModel()} ×${os.cpus().length} (${os.platform()} ${os.arch()})`;
}

/** Describes the hardware under a TensorFlow.js backend (defaults to the active one). */
export function describeDevice(backendName: string = tf.getBackend()): DeviceDescription {
  const cpus = os.cpus();
  const model = cpuModel();
  const details: Record<string, string | number | boolean> = {
    cpuModel: model,
    cores: cpus.length,
    platform: `${os.platform()} ${os.arch()}`,
    tfjs: tf.version_core,
    node: process.versions.node,
  };
  if (backendName === 'wasm') {
    const simd = flag('WASM_HAS_SIMD_SUPPORT');
    const threads = flag('WASM_HAS_MULTITHREAD_SUPPORT');
    if (simd !== undefined) details['simd'] = simd;
    if (threads !== undefined) details['threads'] = threads;
  }
  return { backend: backendName, device: describeHostCpu(), details };
}
