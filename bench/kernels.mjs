// Each training kernel of @proxyless/backend-wasm against its forward op on the same shapes (wasm).
// Usage: npm run build && node bench/kernels.mjs [--batch=64] [--minDurationMs=150] [--repeats=3] [--only=<substring of layer/kernel>]
import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import { describeDevice, time } from '@proxyless/core';
import { parseArgs, fmt } from './common.mjs';

const args = parseArgs(process.argv.slice(2), { batch: 64, minDurationMs: 150, minRuns: 5, repeats: 3, only: '' });
await tf.setBackend('wasm');
await tf.ready();
const B = args.batch;
const timing = { warmup: 2, minRuns: args.minRuns, minDurationMs: args.minDurationMs, readback: 'none' };
const engine = tf.engine();

// MobileNetV2-on-28×28-like layers (ProxylessNAS candidates k ∈ {3,5,7}, stride 1/2).
const convs = [
  { name: 'first conv 3×3 s2, 1→16 @28', x: [B, 28, 28, 1], f: [3, 3, 1, 16], s: 2 },
  { name: 'expand 1×1, 16→96 @14', x: [B, 14, 14, 16], f: [1, 1, 16, 96], s: 1 },
  { name: 'project 1×1, 96→24 @14', x: [B, 14, 14, 96], f: [1, 1, 96, 24], s: 1 },
  { name: 'project 1×1, 144→32 @7', x: [B, 7, 7, 144], f: [1, 1, 144, 32], s: 1 },
  { name: 'conv 3×3 s1, 24→24 @14', x: [B, 14, 14, 24], f: [3, 3, 24, 24], s: 1 },
  { name: 'conv 3×3 s2, 24→48 @14', x: [B, 14, 14, 24], f: [3, 3, 24, 48], s: 2 },
];
const dws = [
  { name: 'dw 3×3 s1, 96 @14', x: [B, 14, 14, 96], k: 3, s: 1 },
  { name: 'dw 3×3 s2, 96 @14', x: [B, 14, 14, 96], k: 3, s: 2 },
  { name: 'dw 5×5 s1, 96 @14', x: [B, 14, 14, 96], k: 5, s: 1 },
  { name: 'dw 5×5 s2, 96 @14', x: [B, 14, 14, 96], k: 5, s: 2 },
  { name: 'dw 7×7 s1, 144 @7', x: [B, 7, 7, 144], k: 7, s: 1 },
  { name: 'dw 7×7 s2, 96 @14', x: [B, 14, 14, 96], k: 7, s: 2 },
  { name: 'dw 3×3 s1, 144 @7', x: [B, 7, 7, 144], k: 3, s: 1 },
];

console.log(`device: ${describeDevice('wasm').device}; batch ${B}; readback none (wasm runs kernels eagerly)`);
const rows = [];
const median = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
// Forward and gradient are timed alternately (`--repeats` times each, median of the medians), so a
// machine shared with other jobs slows both sides alike.
async function row(name, kernel, fwd, grad) {
  if (args.only && !`${name} ${kernel}`.includes(args.only)) return;
  const fs = [], gs = [];
  for (let r = 0; r < args.repeats; r++) {
    fs.push((await time(fwd, timing)).medianMs);
    gs.push((await time(grad, timing)).medianMs);
  }
  const f = median(fs), g = median(gs);
  rows.push({ name, kernel, fwd: f, grad: g, ratio: g / f });
  console.log(`${name.padEnd(30)} ${kernel.padEnd(36)} fwd ${fmt(f).padStart(7)} ms  grad ${fmt(g).padStart(7)} ms  ×${(g / f).toFixed(2)}`);
}
for (const c of convs) {
  const x = tf.randomNormal(c.x), f = tf.randomNormal(c.f);
  const y = tf.conv2d(x, f, c.s, 'same');
  const dy = tf.randomNormal(y.shape);
  const attrs = { strides: c.s, pad: 'same', dataFormat: 'NHWC' };
  const fwd = () => tf.conv2d(x, f, c.s, 'same');
  await row(c.name, 'Conv2DBackpropFilter', fwd, () => engine.runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: c.f }));
  await row(c.name, 'Conv2DBackpropInput (replaced)', fwd, () => engine.runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: c.x }));
  tf.dispose([x, f, y, dy]);
}
for (const c of dws) {
  const x = tf.randomNormal(c.x), f = tf.randomNormal([c.k, c.k, c.x[3], 1]);
  const y = tf.depthwiseConv2d(x, f, c.s, 'same');
  const dy = tf.randomNormal(y.shape);
  const attrs = { strides: c.s, pad: 'same', dilations: 1 };
  const fwd = () => tf.depthwiseConv2d(x, f, c.s, 'same');
  await row(c.name, 'DepthwiseConv2dNativeBackpropFilter', fwd, () => engine.runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: f.shape }));
  await row(c.name, 'DepthwiseConv2dNativeBackpropInput', fwd, () => engine.runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: f }, { ...attrs, inputShape: c.x }));
  tf.dispose([x, f, y, dy]);
}
const within = rows.filter((r) => r.ratio <= 2).length;
console.log(`\n${within}/${rows.length} gradient kernels within 2× of their forward op`);
