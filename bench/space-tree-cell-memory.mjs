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
import { ensureGradients, Rng } from '@proxyless/core';
import { TreeCellSpace } from '@proxyless/space-tree-cell';
import { parseArgs } from './common.mjs';
import { measureModes } from './memory-step.mjs';

const args = parseArgs(process.argv.slice(2), {
  blocks: 2, width: 64, stem: 16, input: 32, channels: 3, batch: 32, modes: 'compact,binarized,weighted', steps: 3, warmup: 1, seed: 1, lr: 0.01,
});

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

const results = await measureModes({ space, arch, rng, x, y, modes: args.modes.split(','), warmup: args.warmup, steps: args.steps, lr: args.lr });
tf.dispose([x, y]);
console.log(`\n${JSON.stringify(results)}`);
