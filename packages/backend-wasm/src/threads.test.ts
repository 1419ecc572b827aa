import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { initThreadedWasm } from './threads.js';
import { WasmBackendImpl } from './wasm-backend-plugin.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A fresh Node process (the threaded binary must be the first wasm backend of its process) running
 * the built package: a conv → batch norm → ReLU6 → depthwise net's gradients with `threads` XNNPACK
 * threads (0: the plain SIMD binary), printed as a hash of the exact float bits, and which fused-kernel
 * module ran (the threaded binary's heap is a shared memory: the `simd-shared` build).
 */
function gradientsHash(threads: number): { threads: number; hash: number; simd: boolean; fused: string | null } {
  const code = `
    import * as tf from '@tensorflow/tfjs-core';
    import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
    import { WasmBackendImpl, fusedVariantFor } from '@proxyless/backend-wasm';
    import { batchNormTraining, relu6Op } from '@proxyless/core';
    const n = ${threads};
    await new WasmBackendImpl(n > 0 ? { threads: n } : {}).init(); // the backend plugin's \`threads\` option
    const pool = n > 0 ? getThreadsCount() : 0;
    const grads = tf.tidy(() => {
      const x = tf.randomNormal([16, 14, 14, 24], 0, 1, 'float32', 1);
      const f1 = tf.randomNormal([1, 1, 24, 48], 0, 0.2, 'float32', 2);
      const f2 = tf.randomNormal([3, 3, 48, 1], 0, 0.2, 'float32', 3);
      const g = tf.randomNormal([48], 1, 0.1, 'float32', 4);
      const bn = (h) => relu6Op(batchNormTraining(h, g, tf.zerosLike(g), 1e-3));
      const loss = (a, b, c) => tf.sum(tf.square(tf.depthwiseConv2d(bn(tf.conv2d(a, b, 1, 'same')), c, 1, 'same')));
      return tf.grads(loss)([x, f1, f2]).map((t) => t.dataSync());
    });
    let h = 0;
    for (const g of grads) for (const v of new Uint32Array(g.buffer)) h = (Math.imul(h, 31) + v) | 0;
    const memory = tf.backend().wasm.wasmMemory ?? tf.backend().wasm.asm.memory;
    console.log(JSON.stringify({ threads: pool, hash: h, simd: tf.env().get('WASM_HAS_SIMD_SUPPORT'), fused: fusedVariantFor(memory) }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`child exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('initThreadedWasm (XNNPACK thread pool under Node)', () => {
  test('the backend option threads: 2 runs XNNPACK with 2 threads and gives bit-identical gradients to the single-threaded binary (fused kernels included); the process exits on its own', () => {
    const plain = gradientsHash(0);
    const two = gradientsHash(2);
    expect(plain.simd).toBe(true);
    expect(plain.fused).toBe('simd');
    expect(two.fused).toBe('simd-shared');
    expect(two.threads).toBe(2);
    expect(two.hash).toBe(plain.hash);
  }, 240_000);

  test('rejects bad thread counts and a backend that is already up', async () => {
    await expect(initThreadedWasm(0)).rejects.toThrow(/integer from 1 to 8.*got 0/);
    await expect(initThreadedWasm(9)).rejects.toThrow(/got 9/);
    await new WasmBackendImpl().init();
    expect(tf.getBackend()).toBe('wasm');
    await expect(initThreadedWasm(2)).rejects.toThrow(/already initialized/);
  });
});
