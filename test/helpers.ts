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

/**
 * Asserts that a run directory holds no half-written file: no `*.tmp-*` leftovers of an atomic
 * write (at any depth), every `.json` file parses, every line of `metrics.jsonl` parses, and the
 * checkpoint, when there is one, loads.
 */
export async function assertNothingHalfWritten(dir: string): Promise<void> {
  const { existsSync, readdirSync, readFileSync, statSync } = await import('node:fs');
  const { loadCheckpoint } = await import('@proxyless/core');
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu'); // loading a checkpoint makes tensors: a backend must be registered
  tf.enableProdMode(); // no "running in Node.js" banner
  if (!existsSync(dir)) return;
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
  const files = walk(dir);
  const leftovers = files.filter((f) => /\.tmp-/.test(f) || /\.tmp$/.test(f));
  if (leftovers.length) throw new Error(`half-written files left in ${dir}: ${leftovers.join(', ')}`);
  for (const f of files) {
    if (f.endsWith('.json')) JSON.parse(readFileSync(f, 'utf8'));
    if (f.endsWith('.jsonl')) {
      const text = readFileSync(f, 'utf8');
      if (text.length && !text.endsWith('\n')) throw new Error(`${f}: the last line is torn`);
      for (const line of text.split('\n').filter(Boolean)) JSON.parse(line);
    }
    if (f.endsWith('.ckpt')) tf.dispose(Object.values(loadCheckpoint(f).tensors));
  }
}
