import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Container, Contribution, Rng, type Module, type OpSpec, type PluginDescriptor } from '@proxyless/core';
import { describe, expect, test } from 'vitest';
import { MeasuredLatencyProvider, TimingTable, summarize, time, timingKey } from '@proxyless/core';
import backendWasmModule, { WasmBackendImpl, trainingKernelConfigs } from './index.js';

function conv3x3(rng: Rng, c: number): Module {
  const init = tf.randomNormal([3, 3, c, c], 0, 0.1, 'float32', rng.nextUint32());
  const w = tf.variable(init);
  init.dispose();
  return { name: 'conv', apply: (x) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), variables: () => [{ name: 'w', variable: w, trainable: true }] };
}

describe('@proxyless/backend-wasm', () => {
  test('importing the package makes plain tf.grads over conv nets work on wasm', async () => {
    await new WasmBackendImpl().init();
    expect(tf.getBackend()).toBe('wasm');
    for (const c of trainingKernelConfigs) expect(tf.getKernel(c.kernelName, 'wasm')).toBe(c);
    const before = tf.memory().numTensors;
    const [gx, gf] = tf.tidy(() => {
      const x = tf.randomNormal([2, 7, 7, 3]);
      const f = tf.randomNormal([3, 3, 3, 1]);
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.relu6(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, f]);
    });
    expect(gx!.shape).toEqual([2, 7, 7, 3]);
    expect(gf!.shape).toEqual([3, 3, 3, 1]);
    tf.dispose([gx!, gf!]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('describe() reports backend, CPU, cores and SIMD', async () => {
    const b = new WasmBackendImpl();
    await b.init();
    const d = b.describe();
    expect(d.backend).toBe('wasm');
    expect(d.details['cores']).toBeGreaterThan(0);
    expect(typeof d.details['simd']).toBe('boolean');
    expect(d.details['tfjs']).toBe(tf.version_core);
  });

  test('default export binds the wasm backend and measured latency plugins', () => {
    const container = new Container();
    container.load(backendWasmModule);
    const backends = container.getAll<PluginDescriptor>(Contribution.backend);
    const latency = container.getAll<PluginDescriptor>(Contribution.latency);
    expect(backends.map((p) => p.name)).toEqual(['wasm']);
    expect(latency.map((p) => p.name)).toEqual(['measured']);
    expect(latency[0]!.options.parse({})).toMatchObject({ target: 'cpu', batchSize: 1 });
    expect(() => latency[0]!.options.parse({ batchSize: 0 })).toThrow();
  });

  test('timing utility: summary statistics and option validation', async () => {
    expect(summarize([3, 1, 2, 10])).toMatchObject({ medianMs: 2.5, minMs: 1, maxMs: 10, runs: 4 });
    const r = await time(() => tf.add(tf.ones([8]), 1), { warmup: 1, minRuns: 3, minDurationMs: 0 });
    expect(r.runs).toBe(3);
    // a real duration (timing includes reading the result back), inside the runs' range
    expect(r.medianMs).toBeGreaterThan(0);
    expect(r.minMs).toBeLessThanOrEqual(r.medianMs);
    expect(r.medianMs).toBeLessThanOrEqual(r.maxMs);
    await expect(time(() => tf.ones([1]), { minRuns: 0 })).rejects.toThrow();
  });

  test('measured latency provider: measures each distinct op once, zero costs 0, table round-trips', async () => {
    await tf.setBackend('wasm');
    const features = { type: 'conv', input: [6, 6, 4] as const, output: [6, 6, 4] as const, kernel: 3, stride: 1 };
    let builds = 0;
    const op: OpSpec = { name: 'conv3', features, build: (rng) => { builds++; return conv3x3(rng, 4); } };
    const zero: OpSpec = { name: 'zero', features: { ...features, type: 'zero' } };
    const provider = new MeasuredLatencyProvider({ warmup: 1, minRuns: 3, minDurationMs: 0 }, { rng: new Rng(1) });
    const before = tf.memory().numTensors;
    await provider.prepare([op, { ...op, name: 'conv3-again' }, zero]);
    expect(builds).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    expect(provider.latency(features)).toBeGreaterThan(0);
    expect(provider.latency(zero.features)).toBe(0);
    expect(() => provider.latency({ ...features, kernel: 5 })).toThrow(/not measured/);
    await expect(provider.prepare([{ name: 'nobuild', features: { ...features, kernel: 7 } }])).rejects.toThrow(/nobuild/);
    const copy = TimingTable.fromJSON(JSON.parse(JSON.stringify(provider.table.toJSON())));
    expect(copy.size).toBe(1);
    const dev = { backend: 'wasm', device: 'x', details: {} };
    expect(timingKey(dev, 1, { ...features })).toBe(timingKey(dev, 1, { stride: 1, kernel: 3, output: [6, 6, 4], input: [6, 6, 4], type: 'conv' }));
  });
});
