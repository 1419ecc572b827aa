import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpFeatures, OpSpec } from '@proxyless/core';
import { describe, expect, test } from 'vitest';
import {
  FlopsLatencyProvider,
  LatencyTable,
  LookupTableLatencyProvider,
  MissingLatencyKeysError,
  PIXEL1_TABLE_FILE,
  latencyKey,
  mobileLatencyProvider,
  netConfigLayers,
  networkLatencyFromTable,
  opMacs,
  parseLatencyKey,
  pixel1Table,
  readLatencyTable,
  writeLatencyTable,
  type ProxylessNetConfig,
} from './index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'proxyless-latency-'));
const mobileNet = JSON.parse(readFileSync(new URL('../test-fixtures/proxyless_mobile.json', import.meta.url), 'utf8')) as ProxylessNetConfig;

describe('latency keys (official latency_estimator.py form)', () => {
  test('every key of the shipped Pixel 1 table parses to features that give the same key back (72 entries)', () => {
    const t = pixel1Table();
    expect(t.size).toBe(72);
    for (const key of t.keys()) expect(latencyKey(parseLatencyKey(key))).toBe(key);
    expect(t.keys().filter((k) => k.startsWith('expanded_conv-')).length).toBe(69);
  });

  test('keys built from features in the ProxylessNAS form', () => {
    const mb: OpFeatures = { type: 'expanded_conv', input: [112, 112, 16], output: [56, 56, 24], expand: 3, kernel: 5, stride: 2, idskip: false };
    expect(latencyKey(mb)).toBe('expanded_conv-input:112x112x16-output:56x56x24-expand:3-kernel:5-stride:2-idskip:0');
    expect(latencyKey({ type: 'Conv', input: [224, 224, 3], output: [112, 112, 32], kernel: 3, stride: 2 })).toBe('Conv-input:224x224x3-output:112x112x32');
    expect(latencyKey({ type: 'Conv_1', input: [7, 7, 320], output: [7, 7, 1280], kernel: 1 })).toBe('Conv_1-input:7x7x320-output:7x7x1280');
    expect(latencyKey({ type: 'Logits', input: [7, 7, 1280], output: [1, 1, 1000] })).toBe('Logits-input:7x7x1280-output:1000');
    expect(latencyKey({ type: 'conv', input: [8, 8, 4], output: [4, 4, 8], kernel: 5, stride: 2, idskip: false })).toBe('conv-input:8x8x4-output:4x4x8-kernel:5-stride:2-idskip:0');
    expect(() => latencyKey({ type: 'zero', input: [8, 8, 4], output: [8, 8, 4] })).toThrow(/zero/);
    expect(() => latencyKey({ type: 'expanded_conv', input: [8, 8, 4], output: [8, 8, 4], kernel: 3 })).toThrow(/expand, stride, idskip/);
  });

  test('the shipped YAML is written back byte for byte', () => {
    expect(pixel1Table().toYaml()).toBe(readFileSync(PIXEL1_TABLE_FILE, 'utf8'));
  });
});

describe('latency tables', () => {
  test('YAML and JSON write → read round trip', () => {
    const dir = tmp();
    const t = new LatencyTable([
      ['conv-input:8x8x4-output:8x8x4-kernel:3-stride:1-idskip:1', { count: 12, mean: 0.125, var: 0.0001 }],
      ['Logits-input:4x4x8-output:10', { count: 30, mean: 2, var: 0 }],
    ]);
    for (const name of ['t.yaml', 't.json']) {
      writeLatencyTable(join(dir, name), t);
      const back = readLatencyTable(join(dir, name));
      expect(back.toJSON()).toEqual(t.toJSON());
    }
    // The pixel table survives a trip through JSON too.
    writeLatencyTable(join(dir, 'pixel.json'), pixel1Table());
    expect(readLatencyTable(join(dir, 'pixel.json')).toYaml()).toBe(pixel1Table().toYaml());
  });

  test('a malformed table names the file and the bad entry', () => {
    expect(() => LatencyTable.parse('a:\n  count: 1\n  mean: -1\n  var: 0\n', 'yaml', 'bad.yaml')).toThrow(/bad\.yaml: a\.mean/);
  });

  test('times must be finite in float32 (1e39 would become Infinity in E[lat]), named with the value; bad input (exit code 2)', () => {
    let err: unknown;
    try {
      LatencyTable.parse('a:\n  count: 1\n  mean: 1.0e+39\n  var: 0\n', 'yaml', 'huge.yaml');
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe(
      'latency table huge.yaml: a.mean: got 1e+39; expected a number finite in float32 (at most 3.4e38) — the table maps <key> to {count, mean, var} with mean and var in ms',
    );
    expect((err as { exitCode: number }).exitCode).toBe(2);
    expect(() => LatencyTable.parse('{"a": {"count": 1, "mean": 1, "var": 3.5e38}}', 'json', 'v.json')).toThrow('latency table v.json: a.var: got 3.5e+38; expected a number finite in float32');
    expect(LatencyTable.parse('{"a": {"count": 1, "mean": 3.4e38, "var": 0}}', 'json').get('a')!.mean).toBe(3.4e38);
    // a folder given as the table: named, no EISDIR
    const dir = tmp();
    expect(() => readLatencyTable(dir)).toThrow(`latency table ${dir} is a folder; expected a .yaml, .yml or .json table file`);
  });
});

describe('lookup-table provider', () => {
  const spec = (features: OpFeatures, name = features.type): OpSpec => ({ name, features });

  test('prepare lists every missing key in one error; zero ops need no entry', async () => {
    const p = mobileLatencyProvider();
    const missingA: OpFeatures = { type: 'expanded_conv', input: [56, 56, 24], output: [56, 56, 24], expand: 4, kernel: 3, stride: 1, idskip: true };
    const missingB: OpFeatures = { type: 'Logits', input: [7, 7, 1280], output: [1, 1, 10] };
    const present: OpFeatures = { type: 'Conv', input: [224, 224, 3], output: [112, 112, 32] };
    const ops = [spec(present), spec(missingA), spec(missingB), spec(missingA, 'again'), spec({ type: 'zero', input: [7, 7, 8], output: [7, 7, 8] })];
    const err = await p.prepare(ops).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MissingLatencyKeysError);
    expect((err as MissingLatencyKeysError).keys).toEqual([latencyKey(missingB), latencyKey(missingA)].sort());
    expect((err as Error).message).toContain('2 ops');
    expect((err as Error).message).toContain(latencyKey(missingA));
    expect((err as Error).message).toContain(latencyKey(missingB));
    await expect(p.prepare([spec(present)])).resolves.toBeUndefined();
    expect(p.latency(present)).toBeCloseTo(4.083755600814664, 12);
    expect(p.latency({ type: 'zero', input: [7, 7, 8], output: [7, 7, 8] })).toBe(0);
  });

  test('a released network: every layer missing from the trimmed Pixel 1 table is named (proxyless_mobile uses 32-wide stage 2)', () => {
    const layers = netConfigLayers(mobileNet);
    expect(layers[0]).toMatchObject({ type: 'Conv', input: [224, 224, 3], output: [112, 112, 32] });
    expect(latencyKey(layers.at(-1)!)).toBe('Logits-input:7x7x1280-output:1000');
    let err: MissingLatencyKeysError | undefined;
    try {
      networkLatencyFromTable(pixel1Table(), layers);
    } catch (e) {
      err = e as MissingLatencyKeysError;
    }
    expect(err?.keys).toEqual([
      'expanded_conv-input:112x112x16-output:56x56x32-expand:3-kernel:5-stride:2-idskip:0',
      'expanded_conv-input:56x56x32-output:28x28x40-expand:3-kernel:7-stride:2-idskip:0',
      'expanded_conv-input:56x56x32-output:56x56x32-expand:3-kernel:3-stride:1-idskip:1',
    ]);
    // Every other layer is in the table; the total is their sum (zero blocks add nothing).
    const other = layers.filter((f) => f.type === 'zero' || !err!.keys.includes(latencyKey(f)));
    const r = networkLatencyFromTable(PIXEL1_TABLE_FILE, other);
    expect(r.totalMs).toBeCloseTo(other.reduce((s, f) => s + new LookupTableLatencyProvider(pixel1Table()).latency(f), 0), 9);
    expect(r.layers.filter((l) => l.key === null).length).toBe(other.filter((f) => f.type === 'zero').length);
  });
});

describe('flops target', () => {
  test('MACs of a known conv, depthwise, MBConv and classifier', () => {
    // First conv of MobileNetV2: 3×3, 3→32, 112×112 output: 3·3·3·32·112·112 = 10,838,016 MACs.
    expect(opMacs({ type: 'Conv', input: [224, 224, 3], output: [112, 112, 32], kernel: 3, stride: 2 })).toBe(10_838_016);
    expect(opMacs({ type: 'conv', input: [8, 8, 4], output: [4, 4, 8], kernel: 5, stride: 2 })).toBe(25 * 4 * 8 * 16);
    expect(opMacs({ type: 'dw_conv', input: [8, 8, 4], output: [8, 8, 4], kernel: 3 })).toBe(9 * 4 * 64);
    // A grouped conv (the tree-cell root edge: 2 groups) costs 1/groups of the dense one; bad groups are refused.
    const grouped: OpFeatures = { type: 'conv', input: [8, 8, 4], output: [8, 8, 8], kernel: 3, extra: { groups: 2 } };
    expect(opMacs(grouped)).toBe((9 * 4 * 8 * 64) / 2);
    expect(() => opMacs({ ...grouped, extra: { groups: 3 } })).toThrow(/groups 3; expected a positive integer dividing the 4 input channels/);
    // MBConv6 3×3 s2 16→24 at 112: expand 112²·16·96 + dw 9·96·56² + project 56²·96·24.
    const mb: OpFeatures = { type: 'expanded_conv', input: [112, 112, 16], output: [56, 56, 24], expand: 6, kernel: 3, stride: 2, idskip: false };
    expect(opMacs(mb)).toBe(112 * 112 * 16 * 96 + 9 * 96 * 56 * 56 + 56 * 56 * 96 * 24);
    expect(opMacs({ ...mb, expand: 1, input: [112, 112, 32], output: [112, 112, 16], stride: 1 })).toBe(9 * 32 * 112 * 112 + 112 * 112 * 32 * 16);
    expect(opMacs({ type: 'Logits', input: [7, 7, 1280], output: [1, 1, 1000] })).toBe(1_280_000);
    expect(opMacs({ type: 'zero', input: [7, 7, 8], output: [7, 7, 8] })).toBe(0);
    const p = new FlopsLatencyProvider();
    expect(p.unit).toBe('mflops');
    expect(p.latency(mb)).toBeCloseTo(opMacs(mb) / 1e6, 12);
  });

  test('the released mobile network has about 320M MACs (paper-scale sanity check) and unknown types are listed', async () => {
    const total = netConfigLayers(mobileNet).reduce((s, f) => s + opMacs(f), 0) / 1e6;
    expect(total).toBeGreaterThan(250);
    expect(total).toBeLessThan(400);
    await expect(new FlopsLatencyProvider().prepare([{ name: 'x', features: { type: 'mystery', input: [1, 1, 1], output: [1, 1, 1] } }])).rejects.toThrow(/x \(mystery\)/);
  });
});
