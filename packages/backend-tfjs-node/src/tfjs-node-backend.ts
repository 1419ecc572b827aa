import * as tf from '@tensorflow/tfjs-core';
import { definePlugin, describeHostCpu, ensureGradients, z, type Backend, type DeviceDescription } from '@proxyless/core';
import { createRequire } from 'node:module';

/** The TensorFlow.js version every @tensorflow package of proxyless is pinned to. */
export const TFJS_VERSION = '4.22.0';

const variants = {
  tensorflow: { pkg: '@tensorflow/tfjs-node', what: 'libtensorflow on the CPU' },
  'tensorflow-gpu': { pkg: '@tensorflow/tfjs-node-gpu', what: 'libtensorflow with CUDA on an NVIDIA GPU' },
} as const;
export type TfjsNodeVariant = keyof typeof variants;

/** Thrown when the optional native package of a backend is not installed (or its binary is missing). */
export class MissingBackendPackageError extends Error {
  constructor(readonly backend: string, readonly packageName: string, detail: string) {
    super(
      `backend "${backend}" needs ${packageName}@${TFJS_VERSION}, which ${detail}. ` +
        `Install it next to proxyless with \`npm install ${packageName}@${TFJS_VERSION}\` ` +
        `(its install step downloads the native libtensorflow, so it needs internet access); ` +
        `or choose another backend, e.g. \`backend: { use: "@proxyless/backend-wasm" }\`.`,
    );
    this.name = 'MissingBackendPackageError';
  }
}

/** Whether an optional backend package can be resolved from here. */
export function isInstalled(packageName: string): boolean {
  try {
    createRequire(import.meta.url).resolve(packageName);
    return true;
  } catch {
    return false;
  }
}

/**
 * TensorFlow.js's native Node backend (`tensorflow`), from `@tensorflow/tfjs-node` or
 * `@tensorflow/tfjs-node-gpu`. Both are optional peer dependencies: they download libtensorflow at
 * install time, which fails on offline machines, so the rest of proxyless never needs them.
 */
export class TfjsNodeBackend implements Backend {
  readonly name = 'tensorflow';

  constructor(readonly variant: TfjsNodeVariant) {
    const { pkg } = variants[variant];
    if (!isInstalled(pkg)) throw new MissingBackendPackageError(variant, pkg, 'is not installed');
  }

  async init(): Promise<void> {
    const { pkg } = variants[this.variant];
    try {
      await import(pkg);
    } catch (err) {
      throw new MissingBackendPackageError(this.variant, pkg, `is installed but failed to load (${(err as Error).message.split('\n')[0]}); its native binary may not have been downloaded`);
    }
    await ensureGradients();
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but the "tensorflow" backend failed to initialize`);
    await tf.ready();
  }

  describe(): DeviceDescription {
    return { backend: 'tensorflow', device: this.variant === 'tensorflow-gpu' ? 'NVIDIA GPU (CUDA)' : describeHostCpu(), details: { package: variants[this.variant].pkg, tfjs: tf.version_core } };
  }
}

const noOptions = z.object({}).strict();

export const tfjsNodeBackendPlugin = definePlugin({
  kind: 'backend',
  name: 'tensorflow',
  description: `Native TensorFlow on the CPU (needs ${variants.tensorflow.pkg}@${TFJS_VERSION})`,
  options: noOptions,
  create: () => new TfjsNodeBackend('tensorflow'),
});

export const tfjsNodeGpuBackendPlugin = definePlugin({
  kind: 'backend',
  name: 'tensorflow-gpu',
  description: `Native TensorFlow with CUDA (needs ${variants['tensorflow-gpu'].pkg}@${TFJS_VERSION})`,
  options: noOptions,
  create: () => new TfjsNodeBackend('tensorflow-gpu'),
});
