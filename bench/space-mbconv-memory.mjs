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
import { ensureGradients, Rng } from '@proxyless/core';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { parseArgs } from './common.mjs';
import { measureModes } from './memory-step.mjs';

const args = parseArgs(process.argv.slice(2), {
  presets: 'small,imagenet', modes: 'compact,binarized,weighted', smallBatch: 64, imagenetBatch: 8, steps: 3, imagenetSteps: 2, warmup: 1, seed: 1, lr: 0.01, fused: true,
});
const INPUT = { small: { shape: [28, 28, 1], numClasses: 10 }, imagenet: { shape: [224, 224, 3], numClasses: 1000 } };

await ensureGradients();
await tf.setBackend('wasm');
await tf.ready();
registerTrainingKernels({ fused: args.fused }); // --fused=false: without @proxyless/backend-wasm's fused kernels

function sampleArchitecture(space, rng) {
  const arch = {};
  for (const b of space.geometry.blocks) arch[b.label] = b.candidates[rng.int(b.candidates.length)].name;
  return arch;
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
  results.push(...(await measureModes({ space, arch, rng, x, y, modes: args.modes.split(','), warmup: args.warmup, steps, lr: args.lr, tags: { preset } })));
  tf.dispose([x, y]);
}
console.log(`\n${JSON.stringify(results)}`);
