import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@proxyless/backend-wasm';
import { countParameters, disposeGates, ensureGradients, gatesForArchitecture, Rng, toGateTensors, type Architecture } from '@proxyless/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EDGE_OPS, EDGE_PATHS, pyramidWidths, resolveGeometry, TreeCellSpace, treeCellSpaceOptions } from './index.js';

const SMALL = { shape: [28, 28, 1] as const, numClasses: 10 };
const tiny = (extra: Record<string, unknown> = {}) => TreeCellSpace.from({ blocks: 1, width: 32, stem: 8, ...extra }, SMALL);

function randomArchitecture(space: TreeCellSpace, rng: Rng): Architecture {
  const ops = space.geometry.ops;
  return Object.fromEntries(space.labels.map((l) => [l, ops[rng.int(ops.length)]!]));
}

beforeAll(async () => {
  await ensureGradients();
});

describe('layout', () => {
  it('the paper space (B = 18, F = 400): 54 blocks, bottlenecks 18 … 100 growing linearly, stride 2 at s2_b0 and s3_b0, 12 searched edges per cell', () => {
    const g = resolveGeometry(treeCellSpaceOptions.parse({ blocks: 18, width: 400 }), { shape: [32, 32, 3], numClasses: 10 });
    expect(g.blocks).toHaveLength(54);
    expect(g.blocks.map((b) => b.width).slice(0, 6)).toEqual([18, 18, 20, 22, 24, 24]);
    expect(g.blocks.at(-1)!.width).toBe(100);
    expect(g.blocks.at(-1)!.output).toEqual([8, 8, 400]);
    expect(g.blocks.filter((b) => b.stride === 2).map((b) => b.label)).toEqual(['s2_b0', 's3_b0']);
    for (const b of g.blocks) expect(b.edges).toHaveLength(12);
    expect(new Set(g.blocks.flatMap((b) => b.edges)).size).toBe(54 * 12);
    expect(g.blocks[0]!.edges.slice(0, 3)).toEqual(['s1_b0_e00', 's1_b0_e000', 's1_b0_e001']);
    expect(EDGE_PATHS).toHaveLength(12);
    expect(pyramidWidths(16, 400, 54).every((w) => w % 2 === 0)).toBe(true);
  });

  it('describe(): 12 mixed ops per cell, 7 candidates each with latency features (sep_conv with dilation, pools, identity)', () => {
    const space = tiny();
    const d = space.describe();
    expect(d).toHaveLength(3 * 12);
    expect(d[0]!.candidates.map((c) => c.name)).toEqual([...DEFAULT_EDGE_OPS]);
    const dil = d[0]!.candidates[0]!.features;
    expect(dil).toMatchObject({ type: 'sep_conv', kernel: 3, dilation: 2 });
    expect(d[0]!.candidates.map((c) => c.features.type)).toEqual(['sep_conv', 'identity', 'sep_conv', 'sep_conv', 'sep_conv', 'avg_pool', 'max_pool']);
    for (const c of d.flatMap((m) => m.candidates)) expect(c.build).toBeTypeOf('function');
    // fixed ops: stem, 3 per block, a shortcut pool at each stride-2 block, the head
    expect(space.fixedOps().map((o) => o.name)).toEqual([
      'stem', 's1_b0/in_bottle', 's1_b0/root', 's1_b0/out_bottle', 's2_b0/in_bottle', 's2_b0/root', 's2_b0/out_bottle', 's2_b0/shortcut',
      's3_b0/in_bottle', 's3_b0/root', 's3_b0/out_bottle', 's3_b0/shortcut', 'head',
    ]);
  });

  it('bad options fail naming the field: an unknown op, a net too thin for the stem, an input not divisible by 4', () => {
    const r = treeCellSpaceOptions.safeParse({ ops: ['3x3_DepthConv', '4x4_Conv'] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['ops', 1]);
    expect(r.error!.issues[0]!.message).toMatch(/^a tree-cell op \(one of 3x3_DilatedDepthConv, Identity/);
    expect(treeCellSpaceOptions.safeParse({ blocks: 2, typo: 1 }).success).toBe(false);
    const thin = treeCellSpaceOptions.safeParse({ width: 32, stem: 16 });
    expect(thin.error!.issues.map((i) => [i.path, i.message])).toEqual([[['width'], 'at least 4 × stem = 64 (the last bottleneck, F/4, must not be narrower than the stem)']]);
    expect(() => TreeCellSpace.from({}, { shape: [30, 30, 1], numClasses: 10 })).toThrow(/multiples of 4/);
    // aliases are accepted and canonicalized
    expect(treeCellSpaceOptions.parse({ ops: ['sep_conv_3x3', 'skip_connect'] }).ops).toEqual(['3x3_DepthConv', 'Identity']);
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`networks on ${backend}`, () => {
    beforeAll(async () => {
      await tf.setBackend(backend);
      expect(tf.getBackend()).toBe(backend);
    });

    it('supernet: binarized forward and backward on sampled paths, gradients reach the active paths and the gates only', () => {
      const space = tiny();
      const net = space.buildSupernet(new Rng(1));
      expect(net.mixedOps).toHaveLength(36);
      const arch = randomArchitecture(space, new Rng(2));
      const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 3);
      const y = tf.oneHot(tf.tensor1d([1, 7], 'int32'), 10);
      const gates = toGateTensors(net.mixedOps, gatesForArchitecture(net.mixedOps, arch));
      try {
        const logits = net.apply(x, { training: true, mode: 'binarized', gates });
        expect(logits.shape).toEqual([2, 10]);
        const trainable = net.variables().filter((v) => v.trainable && !v.name.endsWith('/alpha'));
        const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true, mode: 'binarized', gates })) as tf.Scalar, trainable.map((v) => v.variable));
        const byName = new Map(trainable.map((v) => [v.name, grads[v.variable.name]]));
        // the chosen candidate of an edge gets a gradient; an unchosen one does not
        const label = space.labels.find((l) => arch[l]!.endsWith('DepthConv'))!;
        const chosen = arch[label]!;
        const other = space.geometry.ops.find((o) => o.endsWith('DepthConv') && o !== chosen)!;
        expect(byName.get(`${label}/${chosen}/pointwise/kernel`)).toBeDefined();
        expect(tf.max(tf.abs(byName.get(`${label}/${chosen}/pointwise/kernel`)!)).dataSync()[0]).toBeGreaterThan(0);
        expect(byName.get(`${label}/${other}/pointwise/kernel`)).toBeUndefined();
        expect(tf.max(tf.abs(byName.get('s2_b0/root/conv_g1/kernel')!)).dataSync()[0]).toBeGreaterThan(0);
        const gateGrads = tf.grads((...g: tf.Tensor[]) => {
          const gs = Object.fromEntries(net.mixedOps.map((op, i) => [op.label, { ...gates[op.label]!, values: g[i] as tf.Tensor1D }]));
          return tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: true, mode: 'binarized', gates: gs, gateGradients: 'recompute' }));
        })(net.mixedOps.map((op) => gates[op.label]!.values));
        // recompute: every non-chosen path gets ∂L/∂g too
        const g0 = gateGrads[0]!.dataSync();
        expect(Array.from(g0).filter((v) => v !== 0).length).toBeGreaterThan(1);
        tf.dispose([logits, ...Object.values(grads), ...gateGrads]);
      } finally {
        disposeGates(gates);
        tf.dispose([x, y]);
        tf.dispose(net.variables().map((v) => v.variable));
      }
    });

    it('weighted mode runs every path; compact networks of random architectures inherit the supernet weights and give its logits', () => {
      const space = tiny({ cellDropRate: 0.2 });
      const net = space.buildSupernet(new Rng(4));
      const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 5);
      expect(net.apply(x, { training: false, mode: 'weighted' }).shape).toEqual([2, 10]);
      for (let i = 0; i < 2; i++) {
        const arch = randomArchitecture(space, new Rng(10 + i));
        const gates = toGateTensors(net.mixedOps, gatesForArchitecture(net.mixedOps, arch));
        // move BN statistics off their init
        tf.dispose(net.apply(x, { training: true, mode: 'binarized', gates }));
        const compact = space.buildCompact(arch, new Rng(20 + i));
        expect(compact.mixedOps).toHaveLength(0);
        space.inheritWeights(net, compact, arch);
        const a = net.apply(x, { training: false, mode: 'binarized', gates });
        const b = compact.apply(x, { training: false });
        expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-4);
        // the space's analytic parameter count is the built network's
        expect(space.inspect(arch).params).toBe(countParameters(compact.variables()));
        disposeGates(gates);
        tf.dispose([a, b]);
        tf.dispose(compact.variables().map((v) => v.variable));
      }
      tf.dispose(x);
      tf.dispose(net.variables().map((v) => v.variable));
    });
  });
}

describe('architectures and DropPath', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('a bad architecture names each bad edge and what it expected', () => {
    const space = tiny();
    const arch = randomArchitecture(space, new Rng(1));
    arch['s1_b0_e00'] = 'conv_9x9';
    arch['s1_b0_e111'] = 'sep_conv_3x3';
    delete arch['s3_b0_e10'];
    arch['s9_b0_e00'] = 'Identity';
    expect(() => space.buildCompact(arch, new Rng(1))).toThrow(/s1_b0_e00 = "conv_9x9"; expected one of 3x3_DilatedDepthConv/);
    expect(() => space.validateArchitecture(arch)).toThrow(/s1_b0_e111 = "sep_conv_3x3" \(write it as 3x3_DepthConv\)/);
    expect(() => space.validateArchitecture(arch)).toThrow(/s3_b0_e10: missing/);
    expect(() => space.validateArchitecture(arch)).toThrow(/s9_b0_e00: not an edge of this space/);
  });

  it('cell drop: linear scheme 2·l·rate/(L+1) per block; in training a dropped block is its shortcut, at inference the residual is scaled by 1 − rate', () => {
    const space = tiny({ cellDropRate: 0.5 });
    expect(space.geometry.blocks.map((b) => b.cellDropRate)).toEqual([0.25, 0.5, 0.75]);
    const constant = tiny({ cellDropRate: 0.3, cellDropScheme: 'constant' });
    expect(constant.geometry.blocks.map((b) => b.cellDropRate)).toEqual([0.3, 0.3, 0.3]);
    const arch = randomArchitecture(space, new Rng(3));
    const net = space.buildCompact(arch, new Rng(4)) as unknown as { blocks: { apply: Function; shortcut: Function; residual: Function; cellDropRate: number }[] };
    const block = net.blocks[2]!;
    const x = tf.randomNormal([2, 14, 14, 4 * space.geometry.blocks[1]!.width], 0, 1, 'float32', 6);
    const sc = block.shortcut(x) as tf.Tensor;
    const res = block.residual(x, { training: false }) as tf.Tensor;
    const inf = block.apply(x, { training: false }) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(inf, tf.add(sc, tf.mul(res, 0.25))))).dataSync()[0]).toBeLessThan(1e-5);
    // with rate 0.75 about three in four training passes drop the cell
    const rng = new Rng(7);
    let dropped = 0;
    for (let i = 0; i < 40; i++) {
      const y = block.apply(x, { training: true, rng }) as tf.Tensor;
      if (tf.max(tf.abs(tf.sub(y, sc))).dataSync()[0] === 0) dropped++;
      y.dispose();
    }
    expect(dropped).toBeGreaterThan(20);
    expect(dropped).toBeLessThan(40);
  });
});
