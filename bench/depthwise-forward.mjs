// The fused depthwise forward (@proxyless/backend-wasm's ProxylessDepthwiseForward, used by core's
// DepthwiseConv2d in training steps) against tfjs-backend-wasm's own DepthwiseConv2dNative (XNNPACK)
// on the depthwise layers of the full example's networks at the retraining batch (128): both timed
// alternately in one process, 3 rounds of 20 calls each, the least mean per kernel.
//
// Usage: npx tsc -b && node bench/depthwise-forward.mjs
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNEL_NAMES } from '@proxyless/core';
import { useBackend } from './workloads.mjs';
await useBackend('wasm');
const shapes = [[128, 14, 14, 24, 5, 1], [128, 14, 14, 144, 5, 2], [128, 7, 7, 96, 5, 2], [128, 4, 4, 192, 5, 1], [128, 4, 4, 144, 3, 1]];
for (const [n, h, w, c, k, s] of shapes) {
  const x = tf.randomNormal([n, h, w, c]); const f = tf.randomNormal([k, k, c, 1]);
  const attrs = { strides: [s, s], pad: 'same', dilations: [1, 1] };
  const runs = { xnnpack: () => tf.depthwiseConv2d(x, f, s, 'same'), fused: () => tf.engine().runKernel(FUSED_KERNEL_NAMES.depthwiseForward, { x, filter: f }, attrs) };
  const res = {};
  for (let rep = 0; rep < 3; rep++) for (const [name, fn] of Object.entries(runs)) {
    for (let i = 0; i < 3; i++) fn().dispose();
    const t0 = performance.now(); for (let i = 0; i < 20; i++) fn().dispose(); const ms = (performance.now() - t0) / 20;
    res[name] = Math.min(res[name] ?? Infinity, ms);
  }
  console.log(`[${n},${h},${w},${c}] k${k} s${s}: xnnpack ${res.xnnpack.toFixed(2)} ms, fused ${res.fused.toFixed(2)} ms, ×${(res.xnnpack / res.fused).toFixed(2)}`);
}
