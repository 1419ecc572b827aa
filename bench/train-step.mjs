// One SGD training step (forward + smoothed cross-entropy + backward + update) of a fixed
// MobileNetV2-style network, on the wasm backend (with @proxyless/backend-wasm's kernels) and on the
// pure-JS cpu backend, in one run.
// Usage: npm run build && node bench/train-step.mjs [--batch=64] [--width=1] [--blocks=e1c16s1,e6c24s2,e6c24s1,e6c32s2,e6c32s1]
//        [--kernel=3] [--input=28] [--channels=1] [--classes=10] [--steps=5] [--cpuSteps=2] [--backends=wasm,cpu]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@proxyless/backend-wasm';
import { describeDevice, time } from '@proxyless/core';
import { parseArgs, fmt } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  batch: 64, width: 1, blocks: 'e1c16s1,e6c24s2,e6c24s1,e6c32s2,e6c32s1', kernel: 3, input: 28, channels: 1,
  classes: 10, steps: 5, cpuSteps: 2, backends: 'wasm,cpu', lr: 0.05, seed: 1,
});
const round8 = (c) => Math.max(8, Math.round((c * args.width) / 8) * 8);
const blocks = args.blocks.split(',').map((s) => {
  const m = /^e(\d+)c(\d+)s(\d)$/.exec(s);
  if (!m) throw new Error(`bad block "${s}" (expected e<expand>c<channels>s<stride>, e.g. e6c24s2)`);
  return { expand: Number(m[1]), out: round8(Number(m[2])), stride: Number(m[3]) };
});

function buildNetwork(seed) {
  let s = seed;
  const vars = [];
  const w = (shape, fanIn) => { const init = tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', s++); const v = tf.variable(init); init.dispose(); vars.push(v); return v; };
  const cst = (shape, value) => { const init = tf.fill(shape, value); const v = tf.variable(init); init.dispose(); vars.push(v); return v; };
  const bn = (c) => ({ gamma: cst([c], 1), beta: cst([c], 0) });
  const applyBn = (x, p) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-3))), p.gamma), p.beta);
  };
  const c0 = round8(16);
  const stem = { f: w([3, 3, args.channels, c0], 9 * args.channels), bn: bn(c0) };
  let cin = c0;
  const layers = blocks.map((b) => {
    const hidden = cin * b.expand;
    const layer = {
      ...b, cin, hidden,
      expandF: b.expand > 1 ? w([1, 1, cin, hidden], cin) : null, bn1: b.expand > 1 ? bn(hidden) : null,
      dwF: w([args.kernel, args.kernel, hidden, 1], args.kernel * args.kernel), bn2: bn(hidden),
      projF: w([1, 1, hidden, b.out], hidden), bn3: bn(b.out),
    };
    cin = b.out;
    return layer;
  });
  const dense = { w: w([cin, args.classes], cin), b: cst([args.classes], 0) };
  const forward = (x) => {
    let h = tf.relu6(applyBn(tf.conv2d(x, stem.f, 2, 'same'), stem.bn));
    for (const l of layers) {
      let y = h;
      if (l.expandF) y = tf.relu6(applyBn(tf.conv2d(y, l.expandF, 1, 'same'), l.bn1));
      y = tf.relu6(applyBn(tf.depthwiseConv2d(y, l.dwF, l.stride, 'same'), l.bn2));
      y = applyBn(tf.conv2d(y, l.projF, 1, 'same'), l.bn3);
      h = l.stride === 1 && l.cin === l.out ? tf.add(h, y) : y;
    }
    return tf.add(tf.matMul(tf.mean(h, [1, 2]), dense.w), dense.b);
  };
  return { vars, forward, params: vars.reduce((a, v) => a + v.size, 0) };
}

function smoothedCrossEntropy(logits, oneHot, eps = 0.1) {
  const target = tf.add(tf.mul(oneHot, 1 - eps), eps / args.classes);
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1)));
}

async function run(backend, steps) {
  await tf.setBackend(backend);
  await tf.ready();
  const net = buildNetwork(args.seed);
  const x = tf.randomNormal([args.batch, args.input, args.input, args.channels], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: args.batch }, (_, i) => i % args.classes), 'int32'), args.classes);
  const step = () => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => smoothedCrossEntropy(net.forward(x), y), net.vars);
    for (const v of net.vars) v.assign(tf.sub(v, tf.mul(grads[v.name], args.lr)));
    return value;
  });
  const before = tf.memory().numTensors;
  const r = await time(step, { warmup: 1, minRuns: steps, minDurationMs: 0 });
  const leaked = tf.memory().numTensors - before;
  tf.dispose([x, y, ...net.vars]);
  return { ...r, params: net.params, leaked };
}

console.log(`device: ${describeDevice('wasm').device}; tfjs ${tf.version_core}`);
console.log(`network: stem 3×3 s2 → ${blocks.map((b) => `MBConv e${b.expand} k${args.kernel} c${b.out} s${b.stride}`).join(' → ')} → GAP → dense ${args.classes}; input ${args.input}×${args.input}×${args.channels}, batch ${args.batch}`);
const results = {};
for (const b of args.backends.split(',')) {
  results[b] = await run(b, b === 'cpu' ? args.cpuSteps : args.steps);
  const r = results[b];
  console.log(`${b.padEnd(5)} train step median ${fmt(r.medianMs)} ms (mean ${fmt(r.meanMs)} ± ${fmt(r.stdMs)}, n=${r.runs}; ${r.params} params; leaked tensors ${r.leaked})`);
}
if (results.wasm && results.cpu) console.log(`speed-up wasm vs cpu: ×${(results.cpu.medianMs / results.wasm.medianMs).toFixed(1)}`);
