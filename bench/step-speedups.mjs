// Same-process A/B of the training-step speed-ups on wasm (issue 8): each row times a baseline and
// the current code in one run, alternating, so machine load falls on both alike.
//
//  1. Sum/Mean over non-innermost axes: @proxyless/backend-wasm's average-pooling path vs
//     tfjs-backend-wasm's own kernels (swapped back in), one [N, H, W, C] reduction.
//  2. Batch norm (training) forward + backward: core's `batchNormTraining` vs the textbook form from
//     `tf.moments` (autodiff), on the same kernels.
//  3. ReLU6 forward + backward: core's `relu6Op` vs `tf.relu6`.
//  4. The whole retraining step of the default example's derived network (batch 128): everything
//     on vs tfjs's Sum/Mean (the core changes cannot be switched off; rows 2–3 measure them).
//  5. Data parallelism: `trainNetworkInWorkers` with 1 vs `--workers` threads, same network, batches
//     of 128 from a synthetic in-memory split (steps/s from the progress callbacks).
//
// Usage: npx tsc -b && node bench/step-speedups.mjs [--shape=128,14,14,48] [--repeats=3] [--steps=20] [--workers=2] [--only=1,2,3,4,5]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import {
  batchNormTraining,
  composeNetwork,
  describeDevice,
  relu6Op,
  softmaxCrossEntropy,
  MomentumSgd,
  time,
  trainNetworkInWorkers,
  trainNetworkOptions,
} from '@proxyless/core';
import { FULL_EXAMPLE_ARCHITECTURE, fullExampleSpaceOptions, parseArgs, fmt } from './common.mjs';

const args = parseArgs(process.argv.slice(2), { shape: '128,14,14,48', repeats: 3, steps: 20, workers: 2, only: '1,2,3,4,5' });
const only = new Set(args.only.split(',').map(Number));
tf.enableProdMode();
await tf.setBackend('wasm');
await tf.ready();
const shape = args.shape.split(',').map(Number);
const C = shape[shape.length - 1];
const timing = { warmup: 2, minRuns: 5, minDurationMs: 300, readback: 'none' };

// The Sum/Mean wrappers keep tfjs's configs as `wrapped`: swap them in and out.
const ours = { Sum: tf.getKernel('Sum', 'wasm'), Mean: tf.getKernel('Mean', 'wasm') };
if (!ours.Sum?.wrapped) throw new Error('expected @proxyless/backend-wasm to wrap Sum/Mean');
function useReductions(which) {
  for (const name of ['Sum', 'Mean']) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(which === 'tfjs' ? ours[name].wrapped : ours[name]);
  }
}

/** Alternates A and B `repeats` times; medians of each. */
async function ab(label, a, b, setupA = () => {}, setupB = () => {}) {
  const ta = [];
  const tb = [];
  for (let r = 0; r < args.repeats; r++) {
    setupA();
    ta.push((await time(a, timing)).medianMs);
    setupB();
    tb.push((await time(b, timing)).medianMs);
  }
  useReductions('ours');
  const med = (xs) => xs.sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  const [ma, mb] = [med(ta), med(tb)];
  rows.push({ label, baseline: ma, current: mb, speedup: ma / mb });
  console.error(`${label}: ${fmt(ma)} → ${fmt(mb)} ms (×${(ma / mb).toFixed(2)})`);
}
const rows = [];

const x = tf.randomNormal(shape, 0.5, 2, 'float32', 1);
const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
const gamma = tf.randomNormal([C], 1, 0.1, 'float32', 3);
const beta = tf.zeros([C]);
const axes = shape.slice(0, -1).map((_, i) => i);

if (only.has(1)) {
  // a fresh input each call (as in training: XNNPACK caches per tensor)
  const f = () => tf.tidy(() => tf.sum(tf.add(x, 0), axes));
  await ab(`1. Sum over [N,H,W] of [${shape}] (+ one copy)`, f, f, () => useReductions('tfjs'), () => useReductions('ours'));
}
if (only.has(2)) {
  const textbook = (xi, g, b) => {
    const { mean, variance } = tf.moments(xi, axes);
    return tf.add(tf.mul(tf.mul(tf.sub(xi, mean), tf.rsqrt(tf.add(variance, 1e-3))), g), b);
  };
  const step = (bn) => () => tf.tidy(() => tf.grads((xi, g, b) => tf.sum(tf.mul(bn(xi, g, b), dy)))([x, gamma, beta]));
  await ab(`2. batch norm fwd+bwd [${shape}], tfjs Sum/Mean`, step(textbook), step((xi, g, b) => batchNormTraining(xi, g, b, 1e-3)), () => useReductions('tfjs'), () => useReductions('tfjs'));
  await ab(`2. batch norm fwd+bwd [${shape}], our Sum/Mean`, step(textbook), step((xi, g, b) => batchNormTraining(xi, g, b, 1e-3)));
}
if (only.has(3)) {
  const step = (act) => () => tf.tidy(() => tf.grad((xi) => tf.sum(tf.mul(act(xi), dy)))(x));
  await ab(`3. ReLU6 fwd+bwd [${shape}]`, step((xi) => tf.relu6(xi)), step(relu6Op));
}

const ARCH = {
  space: { use: '@proxyless/space-mbconv', options: fullExampleSpaceOptions() },
  data: { use: 'fashion-mnist', options: { fallbackDir: join(process.cwd(), 'examples/fashion-mnist/data'), validation: 0, limit: { train: 128 * 24, test: 128 } } },
  backend: { use: '@proxyless/backend-wasm' },
  seed: 1,
  architecture: FULL_EXAMPLE_ARCHITECTURE,
};
const dir = mkdtempSync(join(tmpdir(), 'proxyless-bench-'));
const archFile = join(dir, 'architecture.json');
writeFileSync(archFile, JSON.stringify(ARCH));

if (only.has(4)) {
  const { network } = await composeNetwork({ architectureFile: archFile, log: () => {} });
  const weights = network.variables().filter((v) => v.trainable);
  const sgd = new MomentumSgd(0.9, true);
  const bx = tf.randomNormal([128, 28, 28, 1], 0, 1, 'float32', 5);
  const by = tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32');
  const step = () => {
    const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(network.apply(bx, { training: true }), by, 0.1), weights.map((v) => v.variable));
    sgd.apply(weights, grads, 0.01);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  await ab('4. retraining step, derived network of the default example, batch 128', step, step, () => useReductions('tfjs'), () => useReductions('ours'));
}

if (only.has(5)) {
  const options = trainNetworkOptions.parse({ epochs: 1, batchSize: 128, lr: 0.05, maxBatchesPerEpoch: args.steps + 3 });
  const perStep = {};
  for (const workers of [1, args.workers]) {
    const { network, dataset } = await composeNetwork({ architectureFile: archFile, log: () => {} });
    const stamps = [];
    await trainNetworkInWorkers(network, dataset, options, { seed: 1, onStep: () => void stamps.push(performance.now()) }, { workers, compose: { architectureFile: archFile } });
    const gaps = stamps.slice(3).map((t, i) => t - stamps[i + 2]);
    gaps.sort((p, q) => p - q);
    perStep[workers] = gaps[Math.floor(gaps.length / 2)];
    console.error(`5. ${workers} worker(s): ${fmt(perStep[workers])} ms per step of 128 (${(128000 / perStep[workers]).toFixed(0)} img/s)`);
  }
  rows.push({ label: `5. retraining step, 1 vs ${args.workers} data-parallel workers, batch 128`, baseline: perStep[1], current: perStep[args.workers], speedup: perStep[1] / perStep[args.workers] });
}
rmSync(dir, { recursive: true, force: true });

console.log(`\n${describeDevice().device}; tfjs ${tf.version_core}, wasm`);
console.log('| case | baseline | now | speed-up |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${fmt(r.baseline)} ms | ${fmt(r.current)} ms | ×${r.speedup.toFixed(2)} |`);
