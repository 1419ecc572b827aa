import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import { countParameters, ensureGradients, Rng } from '@proxyless/core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PyramidTreeNetError, readPyramidTreeNet, toPyramidTreeNet, TreeCellSpace, treeCellSpacePlugin } from './index.js';

/** The released Proxyless-G config (see test-fixtures/README.md for its provenance). */
const released = (): Record<string, any> => JSON.parse(readFileSync(new URL('../test-fixtures/proxyless_cifar.json', import.meta.url), 'utf8'));

beforeAll(async () => {
  await ensureGradients();
  await tf.setBackend('wasm');
});

describe('the released Proxyless-G config (proxyless_cifar.json)', () => {
  it('reads as B = 18, F = 400, stem 16 on 32×32×3 with 10 classes, every edge chosen, and writes back to the same JSON (keys and order)', () => {
    const json = released();
    const imp = readPyramidTreeNet(json);
    expect(imp.options).toMatchObject({ blocks: 18, width: 400, stem: 16, cellDropRate: 0 });
    expect(imp.input).toEqual({ shape: [32, 32, 3], numClasses: 10 });
    expect(Object.keys(imp.architecture)).toHaveLength(54 * 12);
    // the first cell, as in the file: e00 = 7x7 DepthConv → (e000 dilated 3×3, e001 identity), e01 = max pool → …
    expect(imp.architecture['s1_b0_e00']).toBe('7x7_DepthConv');
    expect(imp.architecture['s1_b0_e000']).toBe('3x3_DilatedDepthConv');
    expect(imp.architecture['s1_b0_e001']).toBe('Identity');
    expect(imp.architecture['s1_b0_e01']).toBe('3x3_MAXPool');
    expect(JSON.stringify(toPyramidTreeNet(imp.space, imp.architecture))).toBe(JSON.stringify(json));
  });

  it('has 5,731,530 trainable parameters (paper: 5.7M) and 1,213 M MACs; the built network counts the same', () => {
    const imp = readPyramidTreeNet(released());
    const x = imp.space.inspect(imp.architecture);
    expect(x.params).toBe(5_731_530);
    expect(Math.abs(x.params / 5.7e6 - 1)).toBeLessThan(0.02);
    expect(x.macs).toBe(1_213_155_872);
    const blocks = x.layers.filter((l) => l.breakdown);
    const sum = (k: 'bottlenecks' | 'root' | 'edges' | 'bn') => blocks.reduce((n, l) => n + l.breakdown![k], 0);
    // where they sit: the searched edges (separable convs) carry most, then the grouped root convs, then the 1×1 bottlenecks
    expect(sum('edges')).toBe(2_008_884);
    expect(sum('root')).toBe(1_945_656);
    expect(sum('bottlenecks')).toBe(1_733_916);
    expect(sum('bn')).toBe(37_800);
    expect(x.layers[0]!.params).toBe(464); // stem 3×3 conv 3→16 + BN
    expect(x.layers.at(-1)!.params).toBe(4_810); // head BN + 400→10 linear
    const net = imp.space.buildCompact(imp.architecture, new Rng(1));
    try {
      expect(countParameters(net.variables())).toBe(5_731_530);
    } finally {
      tf.dispose(net.variables().map((v) => v.variable));
    }
  });

  // Untrained running statistics (mean 0, variance 1) do not normalize, and 54 un-normalized residual
  // blocks grow activations ×4 per block (overflow by block 40): the pass normalizes with batch
  // statistics, as an untrained supernet is validated.
  it('builds into a TF.js network whose batch-1 forward pass on 32×32×3 on wasm gives 10 finite logits', () => {
    const { space, architecture } = readPyramidTreeNet(released());
    const net = space.buildCompact(architecture, new Rng(2));
    try {
      const y = tf.tidy(() => net.apply(tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 3), { training: false, batchStatistics: true }));
      expect(y.shape).toEqual([1, 10]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      y.dispose();
    } finally {
      tf.dispose(net.variables().map((v) => v.variable));
    }
  });

  it('the space plugin imports it (and leaves other files alone)', () => {
    const imp = treeCellSpacePlugin.importArchitecture!(released(), {});
    expect(imp!.space).toBeInstanceOf(TreeCellSpace);
    expect(treeCellSpacePlugin.importArchitecture!({ name: 'ProxylessNASNets' }, {})).toBeUndefined();
  });
});

describe('bad PyramidTreeNet files name the field', () => {
  const bad = (edit: (j: Record<string, any>) => void): PyramidTreeNetError => {
    const j = released();
    edit(j);
    try {
      readPyramidTreeNet(j);
    } catch (e) {
      expect(e).toBeInstanceOf(PyramidTreeNetError);
      return e as PyramidTreeNetError;
    }
    throw new Error('expected a PyramidTreeNetError');
  };

  it('an unknown op name', () => {
    const e = bad((j) => {
      j.blocks[3].cell.child_nodes[0].child_nodes[1].edges[0].name = 'SuperConvLayer';
    });
    expect(e.path).toBe('blocks[3].cell.child_nodes[0].child_nodes[1].edges[0].name');
    expect(e.message).toMatch(/got "SuperConvLayer"; expected a tree-cell op layer/);
  });

  it('mismatched channels: an edge, an in-bottleneck, the classifier', () => {
    const e1 = bad((j) => {
      j.blocks[2].cell.child_nodes[0].child_nodes[0].child_nodes[1].edges[1].in_channels = 17;
    });
    expect(e1.path).toBe('blocks[2].cell.child_nodes[0].child_nodes[0].child_nodes[1].edges[1].in_channels');
    expect(e1.message).toMatch(/got 17; expected 18 \(the cell's bottleneck width\)/);
    const e2 = bad((j) => {
      j.blocks[5].in_bottle.in_channels = 90;
    });
    expect(e2.path).toBe('blocks[5].in_bottle.in_channels');
    expect(e2.message).toMatch(/got 90; expected 88 \(the channels that reach it\)/);
    const e3 = bad((j) => {
      j.classifier.in_features = 512;
    });
    expect(e3.path).toBe('classifier.in_features');
  });

  it('a stride-2 block without the pooled shortcut, a missing leaf', () => {
    expect(bad((j) => { j.blocks[19].shortcut = { ...j.blocks[18].shortcut, in_channels: 176, out_channels: 176 }; }).path).toBe('blocks[19].shortcut.name');
    expect(bad((j) => { j.blocks[1].cell.child_nodes[0].child_nodes[0].child_nodes[1] = null; }).path).toBe('blocks[1].cell.child_nodes[0].child_nodes[0].child_nodes[1]');
  });
});

describe('writing a searched architecture', () => {
  it('a small space writes a PyramidTreeNet that reads back to the same options and architecture', () => {
    const space = TreeCellSpace.from({ blocks: 2, width: 64, stem: 8, cellDropRate: 0.1 }, { shape: [28, 28, 1], numClasses: 10 });
    const rng = new Rng(5);
    const arch = Object.fromEntries(space.labels.map((l) => [l, space.geometry.ops[rng.int(7)]!]));
    const json = toPyramidTreeNet(space, arch);
    const back = readPyramidTreeNet(JSON.parse(JSON.stringify(json)));
    expect(back.architecture).toEqual(arch);
    expect(back.input).toEqual(space.input);
    expect(back.options).toEqual(space.options);
  });
});
