import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import { countParameters, ensureGradients, Rng, type Architecture } from '@proxyless/core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatInspection, latencyKey, MBConvSpace, readNetConfig, toNetConfig } from './index.js';

const fixture = (name: string) => readFileSync(new URL(`../test-fixtures/${name}`, import.meta.url), 'utf8');
const RELEASED = ['gpu', 'cpu', 'mobile', 'mobile_14'] as const;
const IMAGENET = { shape: [224, 224, 3] as const, numClasses: 1000 };

/**
 * Independent PyTorch-rule count straight from the JSON: conv weights (no bias), BN γ and β,
 * linear weight and bias; MBConv = [1×1 expand + BN] + depthwise k×k + BN + 1×1 project + BN.
 */
function pytorchParams(cfg: any): number {
  const conv = (l: any) => l.kernel_size * l.kernel_size * l.in_channels * l.out_channels + 2 * l.out_channels;
  let n = conv(cfg.first_conv) + conv(cfg.feature_mix_layer) + cfg.classifier.in_features * cfg.classifier.out_features + cfg.classifier.out_features;
  for (const b of cfg.blocks) {
    const m = b.mobile_inverted_conv;
    if (m.name === 'ZeroLayer') continue;
    const mid = Math.round(m.in_channels * m.expand_ratio);
    if (m.expand_ratio !== 1) n += m.in_channels * mid + 2 * mid;
    n += m.kernel_size * m.kernel_size * mid + 2 * mid + mid * m.out_channels + 2 * m.out_channels;
  }
  return n;
}

/** MobileNetV2 1.0 written as an architecture of the imagenet space with its stage layout. */
function mobileNetV2(): { space: MBConvSpace; arch: Architecture } {
  const space = MBConvSpace.from(
    {
      preset: 'imagenet',
      stages: [
        { width: 24, blocks: 2, stride: 2 },
        { width: 32, blocks: 3, stride: 2 },
        { width: 64, blocks: 4, stride: 2 },
        { width: 96, blocks: 3, stride: 1 },
        { width: 160, blocks: 3, stride: 2 },
        { width: 320, blocks: 1, stride: 1 },
      ],
      candidates: ['3x3_MBConv6'],
    },
    IMAGENET,
  );
  return { space, arch: Object.fromEntries(space.labels.map((l) => [l, '3x3_MBConv6'])) };
}

const disposeNet = (n: { variables(): { variable: tf.Variable }[] }) => tf.dispose(n.variables().map((v) => v.variable));

beforeAll(async () => {
  await ensureGradients();
  await tf.setBackend('wasm');
});

describe('MobileNetV2 1.0 as a net config', () => {
  it('has exactly 3,504,872 trainable parameters (as PyTorch counts them), built and computed', () => {
    const { space, arch } = mobileNetV2();
    const cfg = toNetConfig(space, arch);
    expect(pytorchParams(cfg)).toBe(3_504_872);
    expect(space.inspect(arch).params).toBe(3_504_872);
    const imported = readNetConfig(cfg);
    const net = imported.space.buildCompact(imported.architecture, new Rng(1));
    expect(countParameters(net.variables())).toBe(3_504_872);
    // about 300M multiply-accumulates per 224×224 image (the MobileNetV2 paper's 300M)
    expect(imported.space.inspect(imported.architecture).macs).toBe(space.inspect(arch).macs);
    expect(space.inspect(arch).macs / 1e6).toBeCloseTo(300.8, 0);
    disposeNet(net);
  });
});

describe('the released ProxylessNAS net configs', () => {
  it.each(RELEASED)('proxyless_%s builds with the PyTorch parameter count and round-trips to the same bytes', (name) => {
    const text = fixture(`proxyless_${name}.json`);
    const json = JSON.parse(text);
    const imported = readNetConfig(json);
    const net = imported.space.buildCompact(imported.architecture, new Rng(1));
    const params = countParameters(net.variables());
    expect(params).toBe(pytorchParams(json));
    expect(imported.space.inspect(imported.architecture).params).toBe(params);
    // (proxyless_mobile_14.json alone ends with a newline)
    expect(JSON.stringify(toNetConfig(imported.space, imported.architecture), null, 4)).toBe(text.trimEnd());
    disposeNet(net);
  });

  it('proxyless_mobile: the recovered stages, zero blocks, a batch-1 forward on wasm and a summary', () => {
    const { space, architecture, input } = readNetConfig(JSON.parse(fixture('proxyless_mobile.json')));
    expect(input).toEqual(IMAGENET);
    expect(space.geometry.stages.map((s) => [s.width, s.blocks, s.stride])).toEqual([
      [32, 4, 2],
      [40, 4, 2],
      [80, 4, 2],
      [96, 4, 1],
      [192, 4, 2],
      [320, 1, 1],
    ]);
    expect(architecture['s1_b0']).toBe('5x5_MBConv3');
    expect([architecture['s1_b2'], architecture['s1_b3']]).toEqual(['zero', 'zero']);
    const net = space.buildCompact(architecture, new Rng(1));
    const y = tf.tidy(() => net.apply(tf.randomNormal([1, 224, 224, 3], 0, 1, 'float32', 1), { training: false }));
    expect(y.shape).toEqual([1, 1000]);
    expect(Number.isFinite(tf.sum(y).dataSync()[0]!)).toBe(true);
    y.dispose();
    disposeNet(net);
    const text = formatInspection(space.inspect(architecture), 'proxyless_mobile').join('\n');
    expect(text).toMatch(/stage 1: 32 channels, 4 blocks, stride 2/);
    expect(text).toMatch(/s1_b2\s+56×56×32\s+zero \(skipped\)/);
    expect(text).toMatch(/stage 1  32 s2\s+\| MB3 5×5 \| MB3 3×3 \| skip \| skip \|/);
  });

  it('rejects a config that this space cannot express, saying where', () => {
    const json = JSON.parse(fixture('proxyless_mobile.json'));
    json.blocks[3].shortcut = null;
    expect(() => readNetConfig(json)).toThrow(/blocks\[3\] lacks an identity shortcut/);
    expect(() => readNetConfig({ name: 'ProxylessNASNets' })).toThrow(/first_conv/);
  });
});

describe('latency lookup-table keys', () => {
  it('every op of the imagenet preset at width 1.0 has a key in the Pixel 1 table (mobile_trim.yaml)', () => {
    const keys = new Set(
      fixture('pixel1-mobile_trim.yaml')
        .split('\n')
        .filter((l) => /^\S.*:$/.test(l))
        .map((l) => l.slice(0, -1)),
    );
    expect(keys.size).toBe(72);
    const space = MBConvSpace.from({ preset: 'imagenet' }, IMAGENET);
    const ours = new Set<string>();
    for (const op of [...space.fixedOps(), ...space.describe().flatMap((m) => m.candidates)]) {
      const key = latencyKey(op.features);
      if (key === undefined) {
        expect(op.features.type).toBe('zero');
        continue;
      }
      ours.add(key);
    }
    const missing = [...ours].filter((k) => !keys.has(k));
    expect(missing).toEqual([]);
    expect(ours.has('Conv-input:224x224x3-output:112x112x32')).toBe(true);
    expect(ours.has('Logits-input:7x7x1280-output:1000')).toBe(true);
    expect(ours.has('expanded_conv-input:56x56x24-output:56x56x24-expand:6-kernel:5-stride:1-idskip:1')).toBe(true);
    // the table also prices 5×5 and 7×7 first blocks, which the default first block (3×3) does not use
    expect([...keys].filter((k) => !ours.has(k)).sort()).toEqual([
      'expanded_conv-input:112x112x32-output:112x112x16-expand:1-kernel:5-stride:1-idskip:0',
      'expanded_conv-input:112x112x32-output:112x112x16-expand:1-kernel:7-stride:1-idskip:0',
    ]);
  });
});
