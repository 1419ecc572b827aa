// Same-process A/B of @proxyless/backend-wasm's fused kernels (AssemblyScript, wasm SIMD, on
// tfjs-backend-wasm's heap) against the composed tfjs ops core uses without them: each row times
// both alternately (`--repeats` rounds, medians), so machine load falls on both alike.
//
//  1. batch norm (training) forward + backward, core's batchNormTraining
//  2. ReLU6 forward + backward, core's relu6Op
//  6. DepthwiseConv2dNativeBackpropFilter alone (the kernel, run directly) on the layers of
//     docs/BENCHMARKS.md §2, batch 64, and the forward depthwise conv of the same layer for scale
//  7. DepthwiseConv2dNativeBackpropInput alone, same layers
//  8. Conv2DBackpropFilter of 1×1 convs alone, on layers of the retraining network (batch 128)
// 10. Conv2DBackpropFilter of k×k convs with few input channels (the stem conv), batch 128
//  3. (a) the supernet weight step of examples/fashion-mnist/full.yaml, batch 64
//  4. (b) the derived network's retraining step, batch 128
//  5. (d) batch-1 inference of the derived network (does not use the fused kernels: must not change)
//  9. (c) the architecture step of each strategy (BinaryConnect two, exact; REINFORCE M = 10), batch 64
//
// Usage: npx tsc -b && node bench/fused-kernels.mjs [--shape=128,14,14,48] [--repeats=3] [--steps=8] [--only=1,2,3,4,5]
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { registerTrainingKernels } from '@proxyless/backend-wasm';
import { batchNormTraining, describeDevice, relu6Op, time } from '@proxyless/core';
import { fmt, parseArgs } from './common.mjs';
import { ARCH_STRATEGIES, runArchSteps, runCompact, runInference, runSupernet, useBackend } from './workloads.mjs';

const args = parseArgs(process.argv.slice(2), { shape: '128,14,14,48', repeats: 3, steps: 8, only: '6,8,10,1,2,3,4,9,5' });
const only = new Set(args.only.split(',').map(Number));
const backend = await useBackend('wasm');
const loadBefore = loadavg()[0];
const fused = (on) => registerTrainingKernels({ fused: on });
if (!tf.getKernel('ProxylessBatchNormForward', 'wasm')) throw new Error('the fused kernels are not registered: build them first (npm run build)');
const shape = args.shape.split(',').map(Number);
const C = shape[shape.length - 1];
const timing = { warmup: 2, minRuns: 5, minDurationMs: 300, readback: 'none' };
const med = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const rows = [];

async function ab(label, measure) {
  const off = [];
  const on = [];
  for (let r = 0; r < args.repeats; r++) {
    fused(false);
    off.push(await measure());
    fused(true);
    on.push(await measure());
  }
  const [a, b] = [med(off), med(on)];
  rows.push({ label, composed: a, fused: b, speedup: a / b });
  console.error(`${label}: ${fmt(a)} → ${fmt(b)} ms (×${(a / b).toFixed(2)})`);
}

const x = tf.randomNormal(shape, 0.5, 2, 'float32', 1);
const dy = tf.randomNormal(shape, 0, 1, 'float32', 2);
const gamma = tf.randomNormal([C], 1, 0.1, 'float32', 3);
const beta = tf.zeros([C]);
if (only.has(6)) {
  const layers = [[3, 1, 96, 14], [3, 2, 96, 14], [5, 1, 96, 14], [5, 2, 96, 14], [7, 1, 144, 7], [7, 2, 96, 14], [3, 1, 144, 7]];
  for (const [k, s, c, hw] of layers) {
    const xi = tf.randomNormal([64, hw, hw, c], 0, 1, 'float32', 5);
    const f = tf.randomNormal([k, k, c, 1], 0, 0.1, 'float32', 6);
    const oh = Math.ceil(hw / s);
    const dyi = tf.randomNormal([64, oh, oh, c], 0, 1, 'float32', 7);
    const attrs = { strides: [s, s], pad: 'same', dilations: [1, 1], dimRoundingMode: undefined, filterShape: [k, k, c, 1] };
    // fresh x and dY each call, as in training (XNNPACK caches a filter's packing per tensor); the copies count on both sides
    const grad = () => tf.tidy(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.add(xi, 0), dy: tf.add(dyi, 0) }, attrs));
    const forward = (await time(() => tf.depthwiseConv2d(xi, f, s, 'same'), timing)).medianMs;
    await ab(`6. dw ${k}x${k} s${s} ${c}@${hw} filter grad (forward ${fmt(forward)} ms)`, async () => (await time(grad, timing)).medianMs);
    let r = rows[rows.length - 1];
    r.label += `: ×${(r.composed / forward).toFixed(1)} → ×${(r.fused / forward).toFixed(1)} the forward`;
    const inAttrs = { strides: [s, s], pad: 'same', dilations: [1, 1], dimRoundingMode: undefined, inputShape: [64, hw, hw, c] };
    const inGrad = () => tf.tidy(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tf.add(dyi, 0), filter: tf.add(f, 0) }, inAttrs));
    await ab(`7. dw ${k}x${k} s${s} ${c}@${hw} input grad`, async () => (await time(inGrad, timing)).medianMs);
    r = rows[rows.length - 1];
    r.label += `: ×${(r.composed / forward).toFixed(1)} → ×${(r.fused / forward).toFixed(1)} the forward`;
    tf.dispose([xi, f, dyi]);
  }
}
if (only.has(8)) {
  for (const [hw, cin, cout] of [[14, 8, 48], [7, 24, 144], [7, 144, 24], [4, 288, 48], [4, 48, 192]]) {
    const xi = tf.randomNormal([128, hw, hw, cin], 0, 1, 'float32', 5);
    const w = tf.randomNormal([1, 1, cin, cout], 0, 0.1, 'float32', 6);
    const dyi = tf.randomNormal([128, hw, hw, cout], 0, 1, 'float32', 7);
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [1, 1, cin, cout] };
    // fresh x and dY each call, as in training (XNNPACK caches the packed GEMM operand per tensor); the copies count on both sides
    const grad = () => tf.tidy(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.add(xi, 0), dy: tf.add(dyi, 0) }, attrs));
    const forward = (await time(() => tf.conv2d(xi, w, 1, 'same'), timing)).medianMs;
    await ab(`8. conv 1x1 ${cin}→${cout} @${hw} batch 128 filter grad (forward ${fmt(forward)} ms)`, async () => (await time(grad, timing)).medianMs);
    const r = rows[rows.length - 1];
    r.label += `: ×${(r.composed / forward).toFixed(1)} → ×${(r.fused / forward).toFixed(1)} the forward`;
    tf.dispose([xi, w, dyi]);
  }
}
if (only.has(10)) {
  for (const [k, s2, hw, cin, cout] of [[3, 2, 28, 1, 16], [3, 1, 28, 1, 16], [3, 2, 28, 3, 16], [5, 2, 28, 4, 24]]) {
    const xi = tf.randomNormal([128, hw, hw, cin], 0, 1, 'float32', 5);
    const w = tf.randomNormal([k, k, cin, cout], 0, 0.1, 'float32', 6);
    const oh = Math.ceil(hw / s2);
    const dyi = tf.randomNormal([128, oh, oh, cout], 0, 1, 'float32', 7);
    const attrs = { strides: [s2, s2], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [k, k, cin, cout] };
    const grad = () => tf.tidy(() => tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.add(xi, 0), dy: tf.add(dyi, 0) }, attrs));
    const forward = (await time(() => tf.conv2d(xi, w, s2, 'same'), timing)).medianMs;
    await ab(`10. conv ${k}x${k} s${s2} ${cin}→${cout} @${hw} batch 128 filter grad (forward ${fmt(forward)} ms)`, async () => (await time(grad, timing)).medianMs);
    const r = rows[rows.length - 1];
    r.label += `: ×${(r.composed / forward).toFixed(1)} → ×${(r.fused / forward).toFixed(1)} the forward`;
    tf.dispose([xi, w, dyi]);
  }
}
if (only.has(1)) {
  const step = () => tf.tidy(() => tf.grads((xi, g, b) => tf.sum(tf.mul(batchNormTraining(xi, g, b, 1e-3), dy)))([x, gamma, beta]));
  await ab(`1. batch norm fwd+bwd [${shape}]`, async () => (await time(step, timing)).medianMs);
}
if (only.has(2)) {
  const step = () => tf.tidy(() => tf.grad((xi) => tf.sum(tf.mul(relu6Op(xi), dy)))(x));
  await ab(`2. ReLU6 fwd+bwd [${shape}]`, async () => (await time(step, timing)).medianMs);
}
if (only.has(3)) await ab('3. (a) supernet weight step, batch 64', async () => (await runSupernet({ backend, batch: 64, warmup: 2, steps: args.steps })).medianMs);
if (only.has(4)) await ab('4. (b) retraining step, batch 128', async () => (await runCompact({ batch: 128, warmup: 2, steps: args.steps })).medianMs);
if (only.has(9)) {
  for (const st of Object.keys(ARCH_STRATEGIES)) await ab(`9. (c) arch step ${st}, batch 64`, async () => (await runArchSteps({ strategy: st, batch: 64, warmup: 2, steps: Math.max(4, args.steps >> 1) })).medianMs);
}
if (only.has(5)) await ab('5. (d) batch-1 inference', async () => (await runInference({ minDurationMs: 500 })).medianMs);
tf.dispose([x, dy, gamma, beta]);

const loadAfter = loadavg()[0];
console.log(`\n${describeDevice('wasm').device}; tfjs ${tf.version_core} wasm; load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`);
console.log('| case | composed tfjs ops | fused kernels | speed-up |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.label} | ${fmt(r.composed)} ms | ${fmt(r.fused)} ms | ×${r.speedup.toFixed(2)} |`);
