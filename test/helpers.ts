import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const subsetDir = join(repoRoot, 'examples/fashion-mnist/data');

export function tempDir(prefix = 'proxyless-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small but real search config: wasm backend (trainable, via @proxyless/backend-wasm), Fashion-MNIST subset, tiny space, the example uniform strategy. */
export function smallConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seed: 7,
    backend: { use: '@proxyless/backend-wasm' },
    data: {
      use: 'fashion-mnist',
      options: { dir: subsetDir, limit: { train: 320, test: 64 }, validation: 64 },
    },
    space: { use: '@proxyless/test-utils', options: { stem: 4, blocks: [{ width: 4, stride: 2 }, { width: 4, stride: 1 }], kernels: [3, 5] } },
    strategy: { use: 'proxyless-strategy-uniform' },
    trainer: { use: 'search', options: { epochs: 2, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2, checkpointEvery: 3 } },
    ...overrides,
  };
}

export function writeConfig(dir: string, config: unknown, name = 'search.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}
