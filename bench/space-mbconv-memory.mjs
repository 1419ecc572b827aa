// Memory and time of one training step of the MBConv space on wasm, for
//   (a) the compact network of a sampled architecture,
//   (b) the binarized supernet with that same architecture sampled (only its paths run),
//   (c) the weighted (DARTS-style) supernet: every path runs, output Σ p_i·o_i.
// A step = forward (training mode) + softmax cross-entropy + backward + plain SGD update of the
// weights that received gradients (as core's weight step: grads w.r.t. every weight, tfjs drops the
// ones the step did not reach; α is not updated).
// Memory: tf.profile peakBytes of one step (all live tensor bytes: weights + activations + grads),
// and peak minus the bytes resident before the step (what the step itself allocates).
// Usage: npm run build && node bench/space-mbconv-memory.mjs [--presets=small,imagenet] [--modes=compact,binarized,weighted] [--fused=false]
//        [--smallBatch=64] [--imagenetBatch=8] [--steps=3] [--imagenetSteps=2] [--warmup=1] [--seed=1]
import * as tf from '@tensorflow/tfjs-core';
import { registerTrainingKernels } from '@proxyless/backend-wasm';
import { disposeGates, ensureGradients, gatesForArchitecture, Rng, softmaxCrossEntropy, toGateTensors } from '@proxyless/core';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { parseArgs, fmt } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  presets: 'small,imagenet', modes: 'compact,binarized,weighted', smallBatch: 64, imagenetBatch: 8, steps: 3, imagenetSteps: 2, warmup: 1, seed: 1, lr: 0.01, fused: true,
});
const INPUT = { small: { shape: [28, 28, 1], numClasses: 10 }, imagenet: { shape: [224, 224, 3], numClasses: 1000 } };
const MB = (b) => (b / 2 ** 20).toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await ensureGradients();
await tf.setBackend('wasm');
await tf.ready();
registerTrainingKernels({ fused: args.fused }); // --fused=false: without @proxyless/backend-wasm's fused kernels

function sampleArchitecture(space, rng) {
  const arch = {};
  for (const b of space.geometry.blocks) arch[b.label] = b.candidates[rng.int(b.candidates.length)].name;
  return arch;
}

function makeStep(net, mode, arch, x, y) {
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
for (const preset of args.presets.split(',')) {
  const input = INPUT[preset];
  const batch = preset === 'small' ? args.smallBatch : args.imagenetBatch;
  const steps = preset === 'small' ? args.steps : args.imagenetSteps;
  const space = MBConvSpace.from({ preset }, input);
  const rng = new Rng(args.seed);
  const arch = sampleArchitecture(space, rng.fork('arch'));
  const x = tf.randomNormal([batch, ...input.shape], 0, 1, 'float32', 1);
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % input.numClasses), 'int32');
  console.log(`\n${preset}: input ${input.shape.join('×')}, batch ${batch}, ${space.geometry.blocks.length} blocks; architecture ${Object.values(arch).join(' ')}`);
  for (const mode of args.modes.split(',')) {
    const net = mode === 'compact' ? space.buildCompact(arch, rng.fork('w')) : space.buildSupernet(rng.fork('w'));
    const step = makeStep(net, mode, arch, x, y);
    const weightBytes = net.variables().reduce((n, v) => n + v.variable.size * 4, 0);
    try {
      for (let i = 0; i < args.warmup; i++) step();
      const before = tf.memory().numTensors;
      const times = [];
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        step();
        times.push(performance.now() - t0);
      }
      const leaked = tf.memory().numTensors - before;
      const resident = tf.memory().numBytes;
      const prof = await tf.profile(() => step());
      const r = { preset, mode, batch, weightBytes, peakBytes: prof.peakBytes, stepBytes: prof.peakBytes - resident, ms: median(times), n: steps, leaked };
      results.push(r);
      console.log(`  ${mode.padEnd(9)} weights ${MB(weightBytes)} MiB  peak ${MB(r.peakBytes)} MiB  step peak (above resident) ${MB(r.stepBytes)} MiB  step ${fmt(r.ms)} ms (median of ${steps})  leaked tensors ${leaked}`);
    } catch (err) {
      console.log(`  ${mode.padEnd(9)} failed: ${err.message}`);
      results.push({ preset, mode, batch, error: err.message });
    } finally {
      tf.dispose(net.variables().map((v) => v.variable));
    }
  }
  tf.dispose([x, y]);
  const a = results.find((r) => r.preset === preset && r.mode === 'compact' && !r.error);
  for (const mode of ['binarized', 'weighted']) {
    const b = results.find((r) => r.preset === preset && r.mode === mode && !r.error);
    if (!a || !b) continue;
    console.log(`  ${mode}/compact: peak ×${(b.peakBytes / a.peakBytes).toFixed(3)}, step peak ×${(b.stepBytes / a.stepBytes).toFixed(3)}, time ×${(b.ms / a.ms).toFixed(3)}`);
  }
}
console.log(`\n${JSON.stringify(results)}`);
