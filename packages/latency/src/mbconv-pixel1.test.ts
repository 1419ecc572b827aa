// The `imagenet` preset of @proxyless/space-mbconv against the shipped Pixel 1 table.
import { WasmBackendImpl } from '@proxyless/backend-wasm';
import { Rng } from '@proxyless/core';
import { MBConvSpace, mbconvSpaceOptions } from '@proxyless/space-mbconv';
import { beforeAll, describe, expect, test } from 'vitest';
import { architectureFeatures, distinctOps, mobileLatencyProvider, networkLatencyFromTable, pixel1Table, spaceOps } from './index.js';

beforeAll(async () => {
  await new WasmBackendImpl().init();
});

describe('imagenet preset × Pixel 1 table', () => {
  const space = () => new MBConvSpace(mbconvSpaceOptions.parse({ preset: 'imagenet', width: 1 }), { shape: [224, 224, 3], numClasses: 1000 });

  test('every candidate and fixed layer of the imagenet preset at width 1.0 has an entry: no missing keys', async () => {
    const s = space();
    const ops = spaceOps(s, new Rng(1));
    await expect(mobileLatencyProvider().prepare(ops)).resolves.toBeUndefined();
    const used = new Set(distinctOps(ops).keys());
    const unused = pixel1Table().keys().filter((k) => !used.has(k));
    // The only table entries the preset never runs: the first MBConv1 block at kernels 5 and 7
    // (the preset fixes it at 3×3).
    expect(unused.sort()).toEqual([
      'expanded_conv-input:112x112x32-output:112x112x16-expand:1-kernel:5-stride:1-idskip:0',
      'expanded_conv-input:112x112x32-output:112x112x16-expand:1-kernel:7-stride:1-idskip:0',
    ]);
    expect(used.size).toBe(70);
  });

  test('Pixel 1 latency of MobileNetV2-like choices and of the smallest network (figures in docs/BENCHMARKS.md)', () => {
    const s = space();
    const p = mobileLatencyProvider();
    const d = s.describe();
    const all = (name: string) => Object.fromEntries(d.map((m) => [m.label, name]));
    const smallest = Object.fromEntries(
      d.map((m) => {
        const zero = m.candidates.find((c) => c.name === 'zero');
        const cheapest = [...m.candidates].sort((a, b) => p.latency(a.features) - p.latency(b.features))[0]!;
        return [m.label, (zero ?? cheapest).name];
      }),
    );
    const ms = (arch: Record<string, string>) => networkLatencyFromTable(pixel1Table(), architectureFeatures(s, arch)).totalMs;
    const mb6 = ms(all('3x3_MBConv6'));
    const mb3 = ms(all('3x3_MBConv3'));
    const min = ms(smallest);
    // Printed so they can be checked against docs/BENCHMARKS.md.
    console.log(`Pixel 1 (table sum): all 3x3_MBConv6 ${mb6.toFixed(2)} ms, all 3x3_MBConv3 ${mb3.toFixed(2)} ms, smallest (every zero) ${min.toFixed(2)} ms`);
    expect(mb6).toBeGreaterThan(mb3);
    expect(mb3).toBeGreaterThan(min);
    expect(min).toBeGreaterThan(0);
    // All 3×3 MBConv6 at width 1.0 is MobileNetV2-like (22 blocks; MobileNetV2 has 17): same order
    // of magnitude as MobileNetV2 on the Pixel 1.
    expect(mb6).toBeGreaterThan(100);
    expect(mb6).toBeLessThan(200);
  });
});
