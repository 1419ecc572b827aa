import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import * as tfjs from '@tensorflow/tfjs';
import { disposeGates, ensureGradients, gatesForArchitecture, Rng, toGateTensors, type Architecture } from '@proxyless/core';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EDGE_OPS, exportLayersModel, layersModelDirHandler, TreeCellSpace } from './index.js';

beforeAll(async () => {
  await ensureGradients();
  await tf.setBackend('wasm');
});

describe('export as a TF.js LayersModel', () => {
  it('a compact net with every op (dilated conv, pools, identity), stride-2 blocks, DropPath and trained BN statistics loads in plain @tensorflow/tfjs with the same logits', async () => {
    const space = TreeCellSpace.from({ blocks: 2, width: 64, stem: 8, cellDropRate: 0.2 }, { shape: [32, 32, 3], numClasses: 10 });
    // every op appears on several edges of several blocks
    const arch: Architecture = Object.fromEntries(space.labels.map((l, i) => [l, DEFAULT_EDGE_OPS[(i * 3 + Math.floor(i / 12)) % DEFAULT_EDGE_OPS.length]!]));
    expect(new Set(Object.values(arch)).size).toBe(7);
    const supernet = space.buildSupernet(new Rng(1));
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const gates = toGateTensors(supernet.mixedOps, gatesForArchitecture(supernet.mixedOps, arch));
    // BN momentum 0.1: a few training passes move running statistics off their init
    for (let i = 0; i < 15; i++) tf.dispose(supernet.apply(x, { training: true, mode: 'binarized', gates, rng: new Rng(100 + i) }));
    disposeGates(gates);
    const compact = space.buildCompact(arch, new Rng(3));
    space.inheritWeights(supernet, compact, arch);

    const dir = mkdtempSync(join(tmpdir(), 'tree-cell-export-'));
    const r = await exportLayersModel(compact, dir);
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    const classes = new Set<string>(modelJson.modelTopology.config.layers.map((l: { class_name: string }) => l.class_name));
    // standard layers only
    for (const c of classes) expect(['InputLayer', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'ReLU', 'ZeroPadding2D', 'MaxPooling2D', 'AveragePooling2D', 'Add', 'GlobalAveragePooling2D', 'Dense']).toContain(c);
    expect(r.bytes).toBeGreaterThan(0);

    const model = await tfjs.loadLayersModel(layersModelDirHandler(dir));
    const expected = compact.apply(x, { training: false });
    const got = model.predict(x) as tf.Tensor;
    expect(got.shape).toEqual([4, 10]);
    const diff = tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(expected)).dataSync()[0]).toBeGreaterThan(1e-3);
    model.dispose();

    const checked = await space.exportModel(compact, join(dir, 'checked'), { check: x });
    expect(checked.format).toBe('tfjs-layers-model');
    expect(checked.agreement).toBe(1);
    tf.dispose([x, expected, got]);
  });

  it('a node whose two edges are both identities (a + a) exports and predicts like the network', async () => {
    const space = TreeCellSpace.from({ blocks: 1, width: 32, stem: 8 }, { shape: [28, 28, 1], numClasses: 10 });
    const arch: Architecture = Object.fromEntries(space.labels.map((l) => [l, 'Identity'])); // every node's input is also the skip's and the other node's
    const compact = space.buildCompact(arch, new Rng(5));
    const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
    const dir = mkdtempSync(join(tmpdir(), 'tree-cell-export-'));
    await exportLayersModel(compact, dir);
    const model = await tfjs.loadLayersModel(layersModelDirHandler(dir));
    const expected = compact.apply(x, { training: false });
    const got = model.predict(x) as tf.Tensor; // threw "reading 'backend'" when the same tensor fed one Add twice
    expect(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]!).toBeLessThan(1e-4);
    model.dispose();
    tf.dispose([x, expected, got, ...compact.variables().map((v) => v.variable)]);
  });

  it('refuses a supernet', async () => {
    const space = TreeCellSpace.from({ blocks: 1, width: 32, stem: 8 }, { shape: [28, 28, 1], numClasses: 10 });
    await expect(exportLayersModel(space.buildSupernet(new Rng(1)), mkdtempSync(join(tmpdir(), 'tc-')))).rejects.toThrow(/expects a compact network/);
  });
});
