import * as tf from '@tensorflow/tfjs-core';
import { WasmBackendImpl } from '@proxyless/backend-wasm';
import { Rng, softmaxCrossEntropy, type ArchStepInput, type Batch, type Network, type StrategySetup } from '@proxyless/core';
import { TinySpace, type TinySpaceOptions } from '@proxyless/test-utils';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReinforceStrategy, reinforceStrategyOptions, type ReinforceStrategyInput } from '../src/index.js';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const subsetDir = join(repoRoot, 'examples/fashion-mnist/data');

/** The trainable wasm backend (gradients registered). */
export async function useWasm(): Promise<void> {
  await new WasmBackendImpl().init();
}

/** A tiny space on 4×4×1 inputs: two mixed ops of three candidates each (1×1, 3×3, zero). */
export function tinySpace(options: Partial<TinySpaceOptions> = {}): TinySpace {
  return new TinySpace(
    { stem: 2, blocks: [{ width: 2, stride: 1 }, { width: 2, stride: 1 }], kernels: [1, 3], zero: true, batchNorm: true, ...options },
    { shape: [4, 4, 1], numClasses: 2 },
  );
}

/** A random batch for `space` (seeded). */
export function randomBatch(space: TinySpace, n: number, seed: number): Batch {
  const rng = new Rng(seed);
  const x = tf.tensor4d(Float32Array.from({ length: n * space.input.shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), [n, ...space.input.shape]);
  const y = tf.tensor1d(Int32Array.from({ length: n }, () => rng.int(space.input.numClasses)), 'int32');
  return { x, y };
}

export function stepInput(batch: Batch, step = 0, training = false): ArchStepInput {
  return { batch, epoch: 0, step, forward: { training } };
}

/** A supernet and a REINFORCE strategy on it, set up (no latency provider). */
export async function strategyOn(space: TinySpace, options: ReinforceStrategyInput, seed = 1): Promise<{ network: Network; strategy: ReinforceStrategy }> {
  const network = space.buildSupernet(new Rng(seed));
  const strategy = new ReinforceStrategy(reinforceStrategyOptions.parse(options), new Rng(`${seed}:strategy`));
  return { network, strategy };
}

export function setupOf(space: TinySpace, network: Network): StrategySetup {
  return { network, space, loss: (l, y) => softmaxCrossEntropy(l, y) };
}

export function disposeNetwork(network: Network): void {
  for (const v of network.variables()) v.variable.dispose();
}

export function tempDir(prefix = 'proxyless-reinforce-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeConfig(dir: string, config: unknown, name = 'search.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}
