import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BatchNorm, batchNormTraining, DepthwiseConv2d, FUSED_KERNEL_NAMES, relu6Op, Rng } from '@proxyless/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { WasmBackendImpl } from '../wasm-backend-plugin.js';
import { registerTrainingKernels } from '../kernels/register-all-kernels.js';
import { fusedKernelConfigs, fusedKernelsAvailable, fusedVariantFor } from './index.js';
import { DEPTHWISE, heapOf, type FusedExports, type WasmBackendInternals } from './fused-module.js';

/** The JS WebAssembly API (@types/emscripten, pulled in by tfjs-backend-wasm's types, declares a narrower one). */
const Wasm = (globalThis as unknown as {
  WebAssembly: {
    Memory: new (d: { initial: number }) => WebAssembly.Memory & { buffer: ArrayBuffer };
    Module: new (bytes: Uint8Array) => object;
    Instance: new (m: object, imports: object) => { exports: unknown };
  };
}).WebAssembly;

const FUSED_NAMES = Object.values(FUSED_KERNEL_NAMES);
/** The kernels a batch norm + ReLU6 training step dispatches to. */
const BN_RELU6_NAMES = [FUSED_KERNEL_NAMES.batchNormForward, FUSED_KERNEL_NAMES.batchNormBackward, FUSED_KERNEL_NAMES.relu6Grad];

/** Kernel names a function runs (tf.profile). */
async function kernelsOf(fn: () => tf.TensorContainer): Promise<string[]> {
  const info = await tf.profile(fn);
  return info.kernels.map((k) => k.name);
}

/** A training step of batch norm + ReLU6: value and every gradient, as plain arrays. */
function bnRelu6Step(shape: number[]): number[][] {
  return tf.tidy(() => {
    const c = shape[shape.length - 1]!;
    const x = tf.randomNormal(shape, 0.5, 2, 'float32', 1);
    const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const g = tf.randomNormal([c], 1, 0.1, 'float32', 3);
    const b = tf.randomNormal([c], 0, 0.1, 'float32', 4);
    const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(relu6Op(tf.mul(batchNormTraining(xi, gi, bi, 1e-3), 3)), dy));
    const { value, grads } = tf.valueAndGrads(f)([x, g, b]);
    return [value, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  let e = 0;
  a.forEach((xs, i) => xs.forEach((v, j) => (e = Math.max(e, Math.abs(v - b[i]![j]!)))));
  return e;
}

describe('fused kernels (AssemblyScript, wasm SIMD, on the tfjs heap)', () => {
  beforeAll(async () => {
    await new WasmBackendImpl().init();
  });

  test('are built, registered for wasm, and use the SIMD module on this engine', () => {
    expect(fusedKernelsAvailable(), 'wasm/kernels-*.wasm missing: run `npm run build` (it builds them before tsc -b)').toBe(true);
    for (const c of fusedKernelConfigs) expect(tf.getKernel(c.kernelName, 'wasm')).toBe(c);
    for (const name of FUSED_NAMES) expect(tf.getKernel(name, 'cpu')).toBeUndefined();
    const memory = heapOf(tf.backend() as unknown as WasmBackendInternals);
    expect(fusedVariantFor(memory)).toBe('simd');
  });

  test('core dispatches batch norm and the ReLU6 gradient to them on wasm, and composes tfjs ops on cpu', async () => {
    const step = () => bnRelu6Step([2, 4, 4, 8]);
    const onWasm = await kernelsOf(() => void step());
    for (const name of BN_RELU6_NAMES) expect(onWasm).toContain(name);
    expect(onWasm).not.toContain('Square');
    expect(onWasm).not.toContain('Step');
    await tf.setBackend('cpu');
    try {
      const onCpu = await kernelsOf(() => void step());
      for (const name of FUSED_NAMES) expect(onCpu).not.toContain(name);
      expect(onCpu).toContain('Step');
    } finally {
      await tf.setBackend('wasm');
    }
  });

  test('give what the composed ops give (fused: false switches them off and back on), without leaks', () => {
    for (const shape of [[6, 5, 5, 8], [3, 7, 6], [130, 5]]) {
      const before = tf.memory().numTensors;
      const fusedOut = bnRelu6Step(shape);
      registerTrainingKernels({ fused: false });
      try {
        for (const name of FUSED_NAMES) expect(tf.getKernel(name, 'wasm')).toBeUndefined();
        const composed = bnRelu6Step(shape);
        expect(maxAbsDiff(fusedOut, composed)).toBeLessThan(2e-4);
        expect(Math.abs(fusedOut[0]![0]!)).toBeGreaterThan(0);
      } finally {
        registerTrainingKernels();
      }
      expect(tf.getKernel(FUSED_KERNEL_NAMES.batchNormForward, 'wasm')).toBeDefined();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  test('batch norm + ReLU6 in one forward and one backward kernel gives what the two ops give', async () => {
    for (const shape of [[6, 5, 5, 8], [3, 7, 6], [130, 5]]) {
      const c = shape[shape.length - 1]!;
      // γ ≈ 3 and β ≈ 2: about a tenth of the values above 6, a quarter below 0 (both masked)
      const step = (fused: boolean) =>
        tf.tidy(() => {
          const x = tf.randomNormal(shape, 0.5, 2, 'float32', 5);
          const dy = tf.randomNormal(shape, 0, 1, 'float32', 6);
          const g = tf.randomNormal([c], 3, 0.3, 'float32', 7);
          const b = tf.randomNormal([c], 2, 0.3, 'float32', 8);
          const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) =>
            tf.sum(tf.mul(fused ? batchNormTraining(xi, gi, bi, 1e-3, undefined, true) : relu6Op(batchNormTraining(xi, gi, bi, 1e-3)), dy));
          const { value, grads } = tf.valueAndGrads(f)([x, g, b]);
          const y = fused ? batchNormTraining(x, g, b, 1e-3, undefined, true) : relu6Op(batchNormTraining(x, g, b, 1e-3));
          return [y, value, ...grads].map((t) => Array.from(t.dataSync()));
        });
      const before = tf.memory().numTensors;
      const one = step(true);
      const two = step(false);
      expect(maxAbsDiff(one, two)).toBeLessThan(1e-4);
      const y = one[0]!;
      expect(y.filter((v) => v === 6).length).toBeGreaterThan(y.length / 20); // both sides of the mask are at work
      expect(y.filter((v) => v === 0).length).toBeGreaterThan(y.length / 10);
      expect(tf.memory().numTensors).toBe(before);
      const kernels = await kernelsOf(() => void step(true));
      expect(kernels).not.toContain('Relu6');
      expect(kernels).not.toContain(FUSED_KERNEL_NAMES.relu6Grad);
      expect(kernels.filter((k) => k === FUSED_KERNEL_NAMES.batchNormBackward)).toHaveLength(1);
    }
  });

  test('a depthwise conv in training runs the fused forward and gives what tf.depthwiseConv2d gives; inference keeps tfjs\'s kernel', async () => {
    // channels with an 8-wide block, a 4-wide block and a scalar tail; odd sizes; strides 1 and 2; kernels 3, 5, 7
    for (const [h, w, c, k, s] of [[9, 7, 13, 3, 1], [9, 7, 13, 5, 2], [8, 8, 4, 7, 2], [5, 6, 3, 5, 1]] as const) {
      const dw = new DepthwiseConv2d('dw', c, k, s, new Rng(k * 10 + s));
      const x = tf.randomNormal([2, h, w, c], 0, 1, 'float32', h + c);
      const dy = tf.randomNormal([2, Math.ceil(h / s), Math.ceil(w / s), c], 0, 1, 'float32', 3);
      const step = (training: boolean) =>
        tf.tidy(() => {
          const f = (xi: tf.Tensor, wi: tf.Tensor) =>
            tf.sum(tf.mul(training ? dw.apply(xi, { training: true }) : tf.depthwiseConv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, s, 'same'), dy));
          const { value, grads } = tf.valueAndGrads(f)([x, dw.w]);
          return [dw.apply(x, { training }), value, ...grads].map((t) => Array.from(t.dataSync()));
        });
      const before = tf.memory().numTensors;
      const fused = step(true);
      const plain = step(false);
      expect(fused[0]!.length).toBe(2 * Math.ceil(h / s) * Math.ceil(w / s) * c);
      expect(maxAbsDiff(fused, plain)).toBeLessThan(1e-4);
      expect(tf.memory().numTensors).toBe(before);
      const training = await kernelsOf(() => void step(true));
      expect(training).toContain(FUSED_KERNEL_NAMES.depthwiseForward);
      expect(await kernelsOf(() => void tf.tidy(() => dw.apply(x, { training: false })))).toEqual(['DepthwiseConv2dNative']);
      tf.dispose([x, dy, dw.w]);
    }
  });

  test('BatchNorm evaluated with batch statistics uses the fused forward and gives what tf.batchNorm gives', async () => {
    const bn = new BatchNorm('bn', 6);
    const x = tf.randomNormal([4, 5, 5, 6], 1, 3, 'float32', 9);
    const run = () => tf.tidy(() => Array.from(bn.apply(x, { training: false, batchStatistics: true }).dataSync()));
    const kernels = await kernelsOf(() => void run());
    expect(kernels).toContain(FUSED_KERNEL_NAMES.batchNormForward);
    expect(kernels).not.toContain('FusedBatchNorm');
    const fusedOut = run();
    registerTrainingKernels({ fused: false });
    try {
      expect(maxAbsDiff([fusedOut], [run()])).toBeLessThan(1e-4);
    } finally {
      registerTrainingKernels();
    }
    // moving statistics: the deployed path, unchanged
    expect(await kernelsOf(() => void tf.tidy(() => bn.apply(x, { training: false })))).toContain('FusedBatchNorm');
    tf.dispose([x, ...bn.variables().map((v) => v.variable)]);
  });

  test('Identity shares the buffer instead of copying it (fused: false restores tfjs\'s copying kernel)', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
    registerTrainingKernels({ fused: false });
    try {
      const a = tf.tensor1d([4, 5]);
      const b = tf.clone(a);
      expect(b.dataId).not.toBe(a.dataId);
      tf.dispose([a, b]);
    } finally {
      registerTrainingKernels();
    }
    const a = tf.tensor1d([6]);
    const b = tf.clone(a);
    expect(b.dataId).toBe(a.dataId);
    tf.dispose([a, b]);
  });

  test('the SIMD and the scalar module compute the same and write nothing outside their buffers', () => {
    const instances = (['simd', 'scalar'] as const).map((variant) => {
      const memory = new Wasm.Memory({ initial: 4 });
      const module = new Wasm.Module(readFileSync(new URL(`../../wasm/kernels-${variant}.wasm`, import.meta.url)));
      return { memory, k: new Wasm.Instance(module, { env: { memory } }).exports as unknown as FusedExports };
    });
    const m = 150;
    const c = 7; // one SIMD vector and a scalar tail of 3
    const results = instances.map(({ memory, k }) => {
      const f32 = new Float32Array(memory.buffer);
      f32.fill(-12345); // sentinel everywhere
      // layout (in floats): x @1000, dy @3000, out @5000, mean @7000, var @7100, gamma @7200, beta @7300, dGamma @7400, dBeta @7500, scratch @8000 (7c)
      for (let i = 0; i < m * c; i++) {
        f32[1000 + i] = Math.sin(i * 0.37) * 3 + 1;
        f32[3000 + i] = Math.cos(i * 0.11);
      }
      for (let j = 0; j < c; j++) {
        f32[7200 + j] = 1 + j / 10;
        f32[7300 + j] = j / 20 - 0.1;
      }
      const at = (floats: number) => floats * 4;
      k.batchNormStats(at(1000), m, c, at(7000), at(7100), at(8000));
      k.batchNormApply(at(1000), at(5000), m, c, at(7000), at(7100), at(7200), at(7300), 1e-3, 1, at(8000));
      const y = Array.from(f32.subarray(5000, 5000 + m * c));
      k.batchNormBackward(at(3000), at(1000), at(5000), m, c, at(7000), at(7100), at(7200), at(7300), 1e-3, 0, at(7400), at(7500), at(8000));
      const dx = Array.from(f32.subarray(5000, 5000 + m * c));
      const out = [y, dx, Array.from(f32.subarray(7000, 7000 + c)), Array.from(f32.subarray(7100, 7100 + c)), Array.from(f32.subarray(7400, 7400 + c)), Array.from(f32.subarray(7500, 7500 + c))];
      // the same with the ReLU6 mask (scratch: 7c floats)
      k.batchNormBackward(at(3000), at(1000), at(5000), m, c, at(7000), at(7100), at(7200), at(7300), 1e-3, 1, at(7400), at(7500), at(8000));
      out.push(Array.from(f32.subarray(5000, 5000 + m * c)), Array.from(f32.subarray(7400, 7400 + c)), Array.from(f32.subarray(7500, 7500 + c)));
      k.relu6Grad(at(3000), at(1000), at(5000), m * c);
      out.push(Array.from(f32.subarray(5000, 5000 + m * c)));
      // depthwise gradients, 3×3 stride 2 pad 1 on x [2, 5, 6, 7] (dy [2, 3, 3, 7]): x @1000, dy @3000, filter @7200 (9c → @7200..7263)
      for (let i = 0; i < 9 * c; i++) f32[7200 + i] = Math.sin(i);
      k.depthwise(DEPTHWISE.filterGrad, at(3000), at(1000), at(5000), 2, 5, 6, c, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1);
      out.push(Array.from(f32.subarray(5000, 5000 + 9 * c)));
      k.depthwise(DEPTHWISE.inputGrad, at(3000), at(5000), at(7200), 2, 5, 6, c, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1);
      out.push(Array.from(f32.subarray(5000, 5000 + 2 * 5 * 6 * c)));
      k.depthwise(DEPTHWISE.forward, at(5000), at(1000), at(7200), 2, 5, 6, c, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1);
      out.push(Array.from(f32.subarray(5000, 5000 + 2 * 3 * 3 * c)));
      // 1×1 filter gradient: x [150, 7], dy [150, 7] → dW [7, 7] (4×8 tiles, 4-wide and scalar tails)
      k.conv1x1FilterGrad(at(1000), at(3000), at(5000), m, c, c);
      out.push(Array.from(f32.subarray(5000, 5000 + c * c)));
      // stem-conv filter gradient: x [2, 5, 6, 3], dy [2, 3, 3, 7], 3×3 stride 2 pad 1 → dW [3, 3, 3, 7]
      k.convFilterGrad(at(1000), at(3000), at(5000), 2, 5, 6, 3, c, 3, 3, 3, 3, 2, 2, 1, 1, 1, 1);
      out.push(Array.from(f32.subarray(5000, 5000 + 9 * 3 * c)));
      // every float outside the buffers still holds the sentinel
      const owned: Array<[number, number]> = [[1000, m * c], [3000, m * c], [5000, m * c], [7000, c], [7100, c], [7200, 9 * c], [7300, c], [7400, c], [7500, c], [8000, 7 * c]];
      let touched = 0;
      for (let i = 0; i < f32.length; i++) if (f32[i] !== -12345 && !owned.some(([s, n]) => i >= s && i < s + n)) touched++;
      expect(touched).toBe(0);
      return out;
    });
    expect(maxAbsDiff(results[0]!, results[1]!)).toBeLessThan(1e-5);
    // relu6 output values, the mean against a direct computation
    const [, , mean] = results[0]!;
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let r = 0; r < m; r++) s += Math.sin((r * c + j) * 0.37) * 3 + 1;
      expect(mean![j]).toBeCloseTo(s / m, 5);
    }
    expect(results[0]![0]!.every((v) => v >= 0 && v <= 6)).toBe(true);
  });
});
