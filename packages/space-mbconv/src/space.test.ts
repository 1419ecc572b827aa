import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BatchNorm, countParameters, ensureGradients, gatesForArchitecture, disposeGates, Rng, toGateTensors, type Architecture, type MixedOp } from '@proxyless/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDivisible, MBConvNetwork, MBConvSpace, mbconvSpaceOptions, parseCandidate, resolveGeometry } from './index.js';
import { MBConv } from './modules.js';

const SMALL = { shape: [28, 28, 1] as const, numClasses: 10 };
const IMAGENET = { shape: [224, 224, 3] as const, numClasses: 1000 };
/** A small-preset space with tiny widths (fast on cpu). */
const tiny = (extra: Record<string, unknown> = {}) =>
  MBConvSpace.from(
    {
      preset: 'small',
      firstConv: { width: 8 },
      firstBlock: { width: 8 },
      stages: [
        { width: 8, blocks: 2, stride: 2 },
        { width: 16, blocks: 2, stride: 2 },
      ],
      featureMix: 32,
      ...extra,
    },
    SMALL,
  );

function randomArchitecture(space: MBConvSpace, rng: Rng): Architecture {
  const arch: Architecture = {};
  for (const b of space.geometry.blocks) arch[b.label] = b.candidates[rng.int(b.candidates.length)]!.name;
  return arch;
}

beforeAll(async () => {
  await ensureGradients();
  await tf.setBackend('cpu');
});

describe('options and presets', () => {
  it('imagenet preset: the paper layout, labels s<stage>_b<block>, 22 searchable blocks', () => {
    const g = resolveGeometry(mbconvSpaceOptions.parse({ preset: 'imagenet' }), IMAGENET);
    expect(g.firstConv.output).toEqual([112, 112, 32]);
    expect(g.firstBlock.output).toEqual([112, 112, 16]);
    expect(g.stages.map((s) => [s.width, s.blocks, s.stride])).toEqual([
      [24, 4, 2],
      [40, 4, 2],
      [80, 4, 2],
      [96, 4, 1],
      [192, 4, 2],
      [320, 1, 1],
    ]);
    expect(g.blocks).toHaveLength(21);
    expect(g.blocks.map((b) => b.label).slice(0, 5)).toEqual(['s1_b0', 's1_b1', 's1_b2', 's1_b3', 's2_b0']);
    expect(g.blocks.at(-1)!.label).toBe('s6_b0');
    expect(g.featureMix.output).toEqual([7, 7, 1280]);
    expect(g.classifier.outFeatures).toBe(1000);
  });

  it('small preset ends on a 4×4 feature map for 28×28 and 32×32 inputs', () => {
    for (const shape of [[28, 28, 1], [32, 32, 3]] as const) {
      const g = resolveGeometry(mbconvSpaceOptions.parse({}), { shape, numClasses: 10 });
      expect(g.featureMix.input.slice(0, 2)).toEqual([4, 4]);
    }
  });

  it('candidates: the paper set by default, configurable, NNI keys accepted; bad names rejected', () => {
    const s = MBConvSpace.from({ preset: 'small' }, SMALL);
    expect(s.describe()[0]!.candidates.map((c) => c.name)).toEqual(['3x3_MBConv3', '3x3_MBConv6', '5x5_MBConv3', '5x5_MBConv6', '7x7_MBConv3', '7x7_MBConv6']);
    expect(s.describe()[1]!.candidates.map((c) => c.name).at(-1)).toBe('zero');
    const custom = MBConvSpace.from({ candidates: ['k3e6', '5x5_MBConv4'] }, SMALL);
    expect(custom.describe()[1]!.candidates.map((c) => c.name)).toEqual(['3x3_MBConv6', '5x5_MBConv4', 'zero']);
    expect(MBConvSpace.from({ zero: false }, SMALL).describe()[1]!.candidates.map((c) => c.name)).not.toContain('zero');
    expect(() => mbconvSpaceOptions.parse({ candidates: ['4x4_MBConv6'] })).toThrow(/MBConv candidate/);
    expect(() => mbconvSpaceOptions.parse({ candidates: ['zero'] })).toThrow(/added automatically/);
    expect(parseCandidate('k7e3')).toEqual({ kind: 'mbconv', name: '7x7_MBConv3', kernel: 7, expand: 3 });
  });

  it('width multiplier rounds every width to a multiple of 8 (feature mix scales only above 1.0)', () => {
    expect([makeDivisible(32 * 0.35), makeDivisible(24 * 1.4), makeDivisible(40 * 1.3), makeDivisible(4)]).toEqual([16, 32, 56, 8]);
    const half = resolveGeometry(mbconvSpaceOptions.parse({ preset: 'imagenet', width: 0.5 }), IMAGENET);
    expect([half.firstConv.output[2], half.firstBlock.output[2], ...half.stages.map((s) => s.width), half.featureMix.output[2]]).toEqual([16, 8, 16, 24, 40, 48, 96, 160, 1280]);
    const wide = resolveGeometry(mbconvSpaceOptions.parse({ preset: 'imagenet', width: 1.4 }), IMAGENET);
    expect([wide.firstConv.output[2], ...wide.stages.map((s) => s.width), wide.featureMix.output[2]]).toEqual([48, 32, 56, 112, 136, 272, 448, 1792]);
    for (const c of [...half.stages, ...wide.stages]) expect(c.width % 8).toBe(0);
  });

  it('batch-norm momentum and eps reach every BN layer', () => {
    const net = tiny({ bn: { momentum: 0.01, eps: 1e-5 } }).buildSupernet(new Rng(1)) as MBConvNetwork;
    const bns = [net.firstConv.bn, net.firstBlock.projectBn, net.featureMix.bn, (net.mixedOps[0]!.candidates[0]!.module as MBConv).expandBn!];
    for (const b of bns) expect([b.momentum, b.eps]).toEqual([0.01, 1e-5]);
    tf.dispose(net.variables().map((v) => v.variable));
  });
});

describe('candidates', () => {
  it('every candidate of every block outputs the shape its features declare', () => {
    const space = MBConvSpace.from({}, SMALL); // the full small preset
    const rng = new Rng(3);
    for (const spec of [...space.fixedOps().slice(0, 2), ...space.describe().flatMap((m) => m.candidates)]) {
      if (!spec.build) {
        expect(spec.features.type).toBe('zero');
        continue;
      }
      const m = spec.build(rng);
      const y = tf.tidy(() => m.apply(tf.zeros([2, ...spec.features.input]), { training: false }));
      expect(y.shape, spec.name).toEqual([2, ...spec.features.output]);
      y.dispose();
      tf.dispose(m.variables().map((v) => v.variable));
    }
  });

  it('offers zero exactly on blocks with an identity shortcut (stride 1, same width)', () => {
    for (const [opts, input] of [[{ preset: 'imagenet' }, IMAGENET], [{}, SMALL], [{ preset: 'imagenet', width: 0.35 }, IMAGENET]] as const) {
      const g = resolveGeometry(mbconvSpaceOptions.parse(opts), input);
      for (const b of g.blocks) {
        const shortcut = b.stride === 1 && b.input[2] === b.output[2];
        expect(b.idskip, b.label).toBe(shortcut);
        expect(b.candidates.some((c) => c.name === 'zero'), b.label).toBe(shortcut);
        // in the presets a stage always changes the width, so its first block never has a shortcut;
        // at width 0.35 stages 3 and 4 both round to 32 channels and s4_b0 (stride 1) gets one, as in ProxylessNAS
        if (b.index === 0 && !('width' in opts)) expect(b.idskip, b.label).toBe(false);
      }
    }
  });
});

describe('supernet and compact networks', () => {
  it('zeroInitResidual: γ of the last batch norm starts at 0 where a block has a shortcut, so that block starts as the identity', () => {
    const space = tiny({ zeroInitResidual: true });
    const supernet = space.buildSupernet(new Rng(5));
    const gammas = (net: { variables(): { name: string; variable: tf.Variable }[] }) =>
      net.variables().filter((v) => /project\/bn\/gamma$/.test(v.name)).map((v) => ({ name: v.name, values: Array.from(v.variable.dataSync()) }));
    const shortcut = new Set(space.geometry.blocks.filter((b) => b.idskip).map((b) => b.label));
    expect(shortcut.size).toBeGreaterThan(0);
    const all = gammas(supernet);
    expect(all.some((g) => !shortcut.has(g.name.split('/')[0]!))).toBe(true); // the first block of each stage keeps γ = 1
    for (const g of all) expect(new Set(g.values)).toEqual(new Set([shortcut.has(g.name.split('/')[0]!) ? 0 : 1]));
    // a compact network's shortcut block outputs its input at the start (in inference, BN gives β = 0)
    const arch = Object.fromEntries(space.geometry.blocks.map((b) => [b.label, '3x3_MBConv6']));
    const compact = space.buildCompact(arch, new Rng(6)) as MBConvNetwork;
    const block = compact.blocks.find((b) => b.residual && b.body)!;
    const x = tf.randomNormal([2, ...(block.body as MBConv).geometry.input], 0, 1, 'float32', 8);
    expect(tf.max(tf.abs(block.body!.apply(x, { training: false }))).dataSync()[0]).toBe(0);
    // off by default
    expect(gammas(tiny().buildSupernet(new Rng(5))).every((g) => g.values.every((v) => v === 1))).toBe(true);
  });

  it('weighted and binarized modes agree when p is one-hot on the gated path, and match the compact network with inherited weights', () => {
    const space = tiny();
    const rng = new Rng(11);
    const supernet = space.buildSupernet(rng.fork('w'));
    const arch = randomArchitecture(space, rng);
    arch['s1_b1'] = 'zero';
    for (const op of supernet.mixedOps) {
      const a = new Float32Array(op.size).fill(-1e4);
      a[op.indexOf(arch[op.label]!)] = 1e4;
      op.alpha.assign(tf.tensor1d(a));
    }
    const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 5);
    // give BN non-trivial running statistics first
    for (let i = 0; i < 2; i++) tf.dispose(supernet.apply(x, { training: true, mode: 'weighted' }));
    const gates = toGateTensors(supernet.mixedOps, gatesForArchitecture(supernet.mixedOps, arch));
    const weighted = supernet.apply(x, { training: false, mode: 'weighted' });
    const binarized = supernet.apply(x, { training: false, mode: 'binarized', gates });
    expect(tf.max(tf.abs(tf.sub(weighted, binarized))).dataSync()[0]).toBeLessThan(1e-5);

    const compact = space.buildCompact(arch, new Rng(99));
    expect(countParameters(compact.variables())).toBeLessThan(countParameters(supernet.variables()));
    space.inheritWeights(supernet, compact, arch);
    const c = compact.apply(x, { training: false });
    expect(tf.max(tf.abs(tf.sub(c, binarized))).dataSync()[0]).toBeLessThan(1e-5);
    disposeGates(gates);
    tf.dispose([x, weighted, binarized, c, ...supernet.variables().map((v) => v.variable), ...compact.variables().map((v) => v.variable)]);
  });

  it('a binarized weight step computes gradients only for the sampled path (and the fixed layers)', () => {
    const space = tiny();
    const supernet = space.buildSupernet(new Rng(2));
    const arch = randomArchitecture(space, new Rng(4));
    const gates = toGateTensors(supernet.mixedOps, gatesForArchitecture(supernet.mixedOps, arch));
    const alpha = new Set(supernet.mixedOps.map((m: MixedOp) => `${m.label}/alpha`));
    const weights = supernet.variables().filter((v) => v.trainable && !alpha.has(v.name));
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 1);
    const { value, grads } = tf.variableGrads(() => tf.sum(supernet.apply(x, { training: true, mode: 'binarized', gates })) as tf.Scalar, weights.map((v) => v.variable));
    const byVar = new Map(weights.map((v) => [v.variable.name, v.name]));
    const got = Object.keys(grads).map((k) => byVar.get(k)!);
    const expected = space.buildCompact(arch, new Rng(0));
    const compactNames = expected.variables().filter((v) => v.trainable).map((v) => v.name);
    expect(got.sort()).toEqual(compactNames.sort());
    disposeGates(gates);
    tf.dispose([x, value, ...Object.values(grads), ...supernet.variables().map((v) => v.variable), ...expected.variables().map((v) => v.variable)]);
  });

  it('is deterministic in the rng, names variables uniquely and reports fixed ops', () => {
    const space = tiny();
    const a = space.buildSupernet(new Rng(7));
    const b = space.buildSupernet(new Rng(7));
    const names = a.variables().map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(b.variables().map((v) => v.name));
    for (let i = 0; i < names.length; i++) expect(Array.from(a.variables()[i]!.variable.dataSync())).toEqual(Array.from(b.variables()[i]!.variable.dataSync()));
    expect(a.fixedOps.map((o) => [o.name, o.features.type])).toEqual([
      ['first_conv', 'Conv'],
      ['first_block', 'expanded_conv'],
      ['feature_mix', 'Conv_1'],
      ['classifier', 'Logits'],
    ]);
    expect(a.mixedOps.map((m) => m.label)).toEqual(space.labels);
    tf.dispose([...a.variables(), ...b.variables()].map((v) => v.variable));
  });

  it('rejects an architecture that does not fit, naming every problem', () => {
    const space = tiny();
    const arch = randomArchitecture(space, new Rng(1));
    arch['s1_b0'] = 'zero';
    arch['s9_b0'] = '3x3_MBConv3';
    delete arch['s2_b1'];
    expect(() => space.buildCompact(arch, new Rng(1))).toThrow(/s1_b0 = "zero"[\s\S]*s2_b1: missing[\s\S]*s9_b0: not a block/);
  });

  it('applies dropout only in training, drawing its masks from the rng', () => {
    const space = tiny({ dropout: 0.5 });
    const arch = randomArchitecture(space, new Rng(1));
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 3);
    const run = (seed: number, training: boolean) => {
      const net = space.buildCompact(arch, new Rng(seed));
      const y = net.apply(x, { training });
      const v = Array.from(y.dataSync());
      tf.dispose([y, ...net.variables().map((w) => w.variable)]);
      return v;
    };
    expect(run(5, true)).toEqual(run(5, true));
    expect(run(5, false)).toEqual(run(5, false));
    expect(run(5, true)).not.toEqual(run(5, false));
    x.dispose();
  });

  it("draws dropout masks from the forward context's rng when given (checkpointed by trainers), leaving its own alone", () => {
    const space = tiny({ dropout: 0.5 });
    const arch = randomArchitecture(space, new Rng(1));
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 3);
    const net = space.buildCompact(arch, new Rng(5));
    const out = (rng?: Rng) => {
      const y = net.apply(x, { training: true, ...(rng ? { rng } : {}) });
      const v = Array.from(y.dataSync());
      y.dispose();
      return v;
    };
    const fresh = space.buildCompact(arch, new Rng(5));
    const firstOwn = Array.from(fresh.apply(x, { training: true }).dataSync());
    expect(out(new Rng('step:3'))).toEqual(out(new Rng('step:3')));
    expect(out(new Rng('step:3'))).not.toEqual(out(new Rng('step:4')));
    expect(out()).toEqual(firstOwn); // the network's own generator did not advance meanwhile
    tf.dispose([x, ...net.variables().map((w) => w.variable), ...fresh.variables().map((w) => w.variable)]);
  });
});
