// Integration: a real search composed from a config file runs on this space (wasm backend,
// Fashion-MNIST subset, the weighted fixture strategy), then the derived architecture becomes a
// compact network that inherits the supernet's weights.
import * as tf from '@tensorflow/tfjs-core';
import { composeSearch, evaluateNetwork, Rng } from '@proxyless/core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MBConvSpace } from './index.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

describe('a search composed with @proxyless/space-mbconv', () => {
  it('runs one epoch on wasm, derives an architecture of the space, and the compact network inherits the weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mbconv-search-'));
    const config = {
      seed: 3,
      backend: { use: '@proxyless/backend-wasm' },
      data: { use: 'fashion-mnist', options: { dir: join(repoRoot, 'examples/fashion-mnist/data'), limit: { train: 320, test: 64 }, validation: 64 } },
      space: {
        use: '@proxyless/space-mbconv',
        options: {
          preset: 'small',
          firstConv: { width: 8 },
          firstBlock: { width: 8 },
          stages: [
            { width: 8, blocks: 2, stride: 2 },
            { width: 16, blocks: 2, stride: 2 },
          ],
          featureMix: 32,
          candidates: ['3x3_MBConv3', '5x5_MBConv3'],
        },
      },
      strategy: { use: '@proxyless/test-utils', name: 'weighted-fixture' },
      trainer: { options: { epochs: 1, batchSize: 32 } },
    };
    const file = join(dir, 'search.json');
    writeFileSync(file, JSON.stringify(config));
    const { session } = await composeSearch({ config: file, noRunDir: true, log: () => {} });
    expect(tf.getBackend()).toBe('wasm');
    const space = session.components.space;
    expect(space).toBeInstanceOf(MBConvSpace);
    expect(space.input).toEqual({ shape: [28, 28, 1], numClasses: 10 });
    const result = await session.run();
    const mb = space as MBConvSpace;
    expect(Object.keys(result.architecture)).toEqual(mb.labels);
    mb.validateArchitecture(result.architecture);

    const supernet = session.components.network;
    const compact = mb.buildCompact(result.architecture, new Rng(1));
    mb.inheritWeights(supernet, compact, result.architecture);
    const e = evaluateNetwork(compact, session.components.dataset.validation!, 64);
    expect(e.count).toBe(64);
    expect(Number.isFinite(e.loss)).toBe(true);
    tf.dispose(compact.variables().map((v) => v.variable));
  });
});
