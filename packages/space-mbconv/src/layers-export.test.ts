import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import * as tfjs from '@tensorflow/tfjs';
import { disposeGates, ensureGradients, gatesForArchitecture, Rng, toGateTensors, type Architecture, type SearchSpace } from '@proxyless/core';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportLayersModel, layersModelDirHandler, MBConvSpace } from './index.js';

beforeAll(async () => {
  await ensureGradients();
  await tf.setBackend('wasm');
});

describe('export as a TF.js LayersModel', () => {
  it('a derived architecture with weights inherited from a trained supernet loads with tf.loadLayersModel and gives the same logits', async () => {
    const space = MBConvSpace.from(
      {
        preset: 'small',
        firstConv: { width: 8 },
        firstBlock: { width: 8 },
        stages: [
          { width: 16, blocks: 2, stride: 2 },
          { width: 24, blocks: 3, stride: 2 },
          { width: 32, blocks: 2, stride: 2 },
        ],
        featureMix: 64,
        dropout: 0.2,
      },
      { shape: [32, 32, 3], numClasses: 10 },
    );
    const arch: Architecture = { s1_b0: '3x3_MBConv3', s1_b1: '7x7_MBConv6', s2_b0: '5x5_MBConv6', s2_b1: 'zero', s2_b2: '3x3_MBConv3', s3_b0: '7x7_MBConv3', s3_b1: '5x5_MBConv3' };
    const supernet = space.buildSupernet(new Rng(1));
    // a few binarized training-mode passes on the architecture: BN running statistics move off their init
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 2);
    const gates = toGateTensors(supernet.mixedOps, gatesForArchitecture(supernet.mixedOps, arch));
    for (let i = 0; i < 3; i++) tf.dispose(supernet.apply(x, { training: true, mode: 'binarized', gates }));
    disposeGates(gates);
    const compact = space.buildCompact(arch, new Rng(2));
    space.inheritWeights(supernet, compact, arch);

    const dir = mkdtempSync(join(tmpdir(), 'mbconv-export-'));
    const r = await exportLayersModel(compact, dir);
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    const bnVars = compact.variables().length; // every variable (BN statistics included) is exported
    expect(modelJson.weightsManifest[0].weights).toHaveLength(bnVars);
    expect(r.bytes).toBe(compact.variables().reduce((n, v) => n + v.variable.size * 4, 0));

    // plain @tensorflow/tfjs (the union package) loads it
    const model = await tfjs.loadLayersModel(layersModelDirHandler(dir));
    const expected = compact.apply(x, { training: false });
    const got = model.predict(x) as tf.Tensor;
    expect(got.shape).toEqual([4, 10]);
    expect(tf.max(tf.abs(tf.sub(got, expected))).dataSync()[0]).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(expected)).dataSync()[0]).toBeGreaterThan(1e-3);
    model.dispose();
    tf.dispose([x, got, expected, ...supernet.variables().map((v) => v.variable), ...compact.variables().map((v) => v.variable)]);
  });

  it('refuses a supernet', async () => {
    const space = MBConvSpace.from({ stages: [{ width: 8, blocks: 1, stride: 2 }], featureMix: 16, firstConv: { width: 8 }, firstBlock: { width: 8 } }, { shape: [28, 28, 1], numClasses: 10 });
    const supernet = space.buildSupernet(new Rng(1));
    await expect(exportLayersModel(supernet, mkdtempSync(join(tmpdir(), 'mbconv-export-')))).rejects.toThrow(/compact network/);
    tf.dispose(supernet.variables().map((v) => v.variable));
  });

  it('exports through the space contract (exportModel), checked against the network on sample inputs', async () => {
    const space: SearchSpace = MBConvSpace.from({ stages: [{ width: 8, blocks: 2, stride: 2 }], featureMix: 16, firstConv: { width: 8 }, firstBlock: { width: 8 } }, { shape: [16, 16, 1], numClasses: 4 });
    const compact = space.buildCompact({ s1_b0: '5x5_MBConv6', s1_b1: '3x3_MBConv3' }, new Rng(3));
    const check = tf.randomNormal([8, 16, 16, 1], 0, 1, 'float32', 4) as tf.Tensor4D;
    const dir = mkdtempSync(join(tmpdir(), 'mbconv-export-'));
    expect(space.exportModel).toBeTypeOf('function');
    const r = await space.exportModel!(compact, dir, { check });
    expect(r).toMatchObject({ format: 'tfjs-layers-model', files: ['model.json', 'weights.bin'], agreement: 1 });
    expect(existsSync(join(dir, 'weights.bin'))).toBe(true);
    // an agreement that cannot be reached is an error naming the fraction
    await expect(space.exportModel!(compact, dir, { check, minAgreement: 1.5 })).rejects.toThrow(/on 100\.0% of 8 check inputs; expected at least 150\.0%/);
    expect(space.describeCandidate!({ name: '7x7_MBConv3', features: { type: 'expanded_conv', input: [8, 8, 8], output: [8, 8, 8] } })).toEqual({ name: '7x7_MBConv3', kind: 'mbconv', kernel: 7, expand: 3 });
    tf.dispose([check, ...compact.variables().map((v) => v.variable)]);
  });
});
