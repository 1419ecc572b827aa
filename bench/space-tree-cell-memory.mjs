// Memory and time of one training step of the tree-cell space on wasm, for
//   (a) the compact network of a sampled architecture,
//   (b) the binarized supernet with that same architecture sampled (only its 12 paths per cell run),
//   (c) the weighted (DARTS-style) supernet: every path of every edge runs, output Σ p_i·o_i.
// A step = forward (training mode) + softmax cross-entropy + backward + plain SGD update of the
// weights that received gradients (α not updated). Memory: tf.profile peakBytes of one step, and
// peak minus the bytes resident before the step (what the step itself allocates).
// Usage: npm run build && node bench/space-tree-cell-memory.mjs [--blocks=2] [--width=64] [--stem=16]
//        [--input=32] [--channels=3] [--batch=32] [--modes=compact,binarized,weighted] [--steps=3] [--warmup=1] [--seed=1]
import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import { disposeGates, ensureGradients, gatesForArchitecture, Rng, softmaxCrossEntropy, toGateTensors } from '@proxyless/core';
import { TreeCellSpace } from '@proxyless/space-tree-cell';
import { parseArgs, fmt } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  blocks: 2, width: 64, stem: 16, input: 32, channels: 3, batch: 32, modes: 'compact,binarized,weighted', steps: 3, warmup: 1, seed: 1, lr: 0.01,
});
const MB = (b) => (b / 2 ** 20).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await ensureGradients();
await tf.setBackend('wasm');
await tf.ready();

const input = { shape: [args.input, args.input, args.channels], numClasses: 10 };
const space = TreeCellSpace.from({ blocks: args.blocks, width: args.width, stem: args.stem }, input);
const rng = new Rng(args.seed);
const archRng = rng.fork('arch');
const arch = Object.fromEntries(space.labels.map((l) => [l, space.geometry.ops[archRng.int(space.geometry.ops.length)]]));
const x = tf.randomNormal([args.batch, ...input.shape], 0, 1, 'float32', 1);
const y = tf.tensor1d(Array.from({ length: args.batch }, (_, i) => i % 10), 'int32');
console.log(`tree-cell B=${args.blocks} F=${args.width} stem=${args.stem}: input ${input.shape.join('×')}, batch ${args.batch}, ${space.geometry.blocks.length} blocks, ${space.labels.length} mixed ops`);

function makeStep(net, mode) {
  const alpha = new Set(net.mixedOps.map((m) => `${m.label}/alpha`));
  const weights = net.variables().filter((v) => v.trainable && !alpha.has(v.name)).map((v) => v.variable);
  return () => {
    const gates = mode === 'binarized' ? toGateTensors(net.mixedOps, gatesForArchitecture(net.mixedOps, arch)) : undefined;
    const ctx = mode === 'compact' ? { training: true } : mode === 'binarized' ? { training: true, mode: 'binarized', gates } : { training: true, mode: 'weighted' };
    const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(net.apply(x, ctx), y), weights);
    tf.tidy(() => {
      for (const v of weights) if (grads[v.name]) v.assign(tf.sub(v, tf.mul(grads[v.name], args.lr)));
    });
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    if (gates) disposeGates(gates);
  };
}

const results = [];
for (const mode of args.modes.split(',')) {
  const net = mode === 'compact' ? space.buildCompact(arch, rng.fork('w')) : space.buildSupernet(rng.fork('w'));
  const step = makeStep(net, mode);
  const weightBytes = net.variables().reduce((n, v) => n + v.variable.size * 4, 0);
  try {
    for (let i = 0; i < args.warmup; i++) step();
    const before = tf.memory().numTensors;
    const times = [];
    for (let i = 0; i < args.steps; i++) {
      const t0 = performance.now();
      step();
      times.push(performance.now() - t0);
    }
    const leaked = tf.memory().numTensors - before;
    const resident = tf.memory().numBytes;
    const prof = await tf.profile(() => step());
    const r = { mode, batch: args.batch, weightBytes, peakBytes: prof.peakBytes, stepBytes: prof.peakBytes - resident, ms: median(times), n: args.steps, leaked };
    results.push(r);
    console.log(`  ${mode.padEnd(9)} weights ${MB(weightBytes)} MiB  peak ${MB(r.peakBytes)} MiB  step peak (above resident) ${MB(r.stepBytes)} MiB  step ${fmt(r.ms)} ms (median of ${args.steps})  leaked tensors ${leaked}`);
  } catch (err) {
    console.log(`  ${mode.padEnd(9)} failed: ${err.message}`);
    results.push({ mode, error: err.message });
  } finally {
    tf.dispose(net.variables().map((v) => v.variable));
  }
}
tf.dispose([x, y]);
const a = results.find((r) => r.mode === 'compact' && !r.error);
for (const mode of ['binarized', 'weighted']) {
  const b = results.find((r) => r.mode === mode && !r.error);
  if (a && b) console.log(`  ${mode}/compact: peak ×${(b.peakBytes / a.peakBytes).toFixed(3)}, step peak ×${(b.stepBytes / a.stepBytes).toFixed(3)}, time ×${(b.ms / a.ms).toFixed(3)}`);
}
console.log(`\n${JSON.stringify(results)}`);
