// Peak tensor memory of one architecture step of @proxyless/strategy-binaryconnect in each gradient
// mode (two, full, exact) against one weight step (the trainer's: binarized forward with one
// sampled path per mixed op, cross-entropy + L2, backward to every weight, SGD with Nesterov), on
// the same supernet and batch. Memory is what tfjs-core's engine counts (`tf.profile`): the peak of
// live tensor bytes during the step, minus the bytes live before it (weights, α, optimizer slots,
// the batch), i.e. the step's own working memory; the total peak is printed too.
// Usage: npm run build && node bench/strategy-binaryconnect-memory.mjs [--batch=64] [--stem=16]
//        [--blocks=16s2,16s1,32s2,32s1,32s1] [--kernels=3,5,7] [--zero=true] [--input=28] [--repeats=3] [--backend=wasm]
import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import { ensureGradients, isDecayedWeight, MomentumSgd, Rng, sampleFromProbs, softmaxCrossEntropy, toGateTensors, disposeGates } from '@proxyless/core';
import { TinySpace, tinySpaceOptions } from '@proxyless/test-utils';
import { BinaryConnectStrategy, binaryConnectOptions } from '@proxyless/strategy-binaryconnect';
import { parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  batch: 64, stem: 16, blocks: '16s2,16s1,32s2,32s1,32s1', kernels: [3, 5, 7], zero: true, input: 28, repeats: 3, backend: 'wasm', seed: 1,
});
await tf.setBackend(args.backend);
await ensureGradients();

const blocks = args.blocks.split(',').map((s) => {
  const m = /^(\d+)s([12])$/.exec(s);
  if (!m) throw new Error(`bad block "${s}" (expected <width>s<stride>, e.g. 32s2)`);
  return { width: Number(m[1]), stride: Number(m[2]) };
});
const input = { shape: [args.input, args.input, 1], numClasses: 10 };
const space = new TinySpace(tinySpaceOptions.parse({ stem: args.stem, blocks, kernels: args.kernels, zero: args.zero }), input);
const network = space.buildSupernet(new Rng(args.seed));
const loss = (logits, labels) => softmaxCrossEntropy(logits, labels, 0.1);
const alphaNames = new Set(network.mixedOps.map((op) => `${op.label}/alpha`));
const weights = network.variables().filter((v) => v.trainable && !alphaNames.has(v.name));
const decayed = weights.filter(isDecayedWeight);
const sgd = new MomentumSgd(0.9, true);
const rng = new Rng(args.seed + 1);
const MiB = 1024 * 1024;

const batch = () => ({
  x: tf.randomNormal([args.batch, args.input, args.input, 1], 0, 1, 'float32', rng.int(1e9)),
  y: tf.tensor1d(Array.from({ length: args.batch }, () => rng.int(10)), 'int32'),
});

/** The trainer's weight step (packages/core/src/training/search-trainer.ts). */
function weightStep(b) {
  const gates = toGateTensors(network.mixedOps, sampleFromProbs(network.mixedOps, rng));
  try {
    const { value, grads } = tf.variableGrads(() => {
      const out = network.apply(b.x, { training: true, mode: 'binarized', gates });
      const l2 = tf.addN(decayed.map((v) => tf.sum(tf.square(v.variable))));
      return tf.add(loss(out, b.y), tf.mul(l2, 4e-5 / 2));
    }, weights.map((v) => v.variable));
    sgd.apply(weights, grads, 0.025);
    value.dispose();
    tf.dispose(grads);
  } finally {
    disposeGates(gates);
  }
}

/** Peak live bytes during `step` above the bytes live before it, and the total peak (medians over repeats). */
async function measure(step) {
  const above = [];
  const total = [];
  for (let r = 0; r < args.repeats + 1; r++) {
    const b = batch();
    const before = tf.memory().numBytes;
    const info = await tf.profile(() => step(b));
    tf.dispose([b.x, b.y]);
    if (r === 0) continue; // the first run creates optimizer slots
    above.push(info.peakBytes - before);
    total.push(info.peakBytes);
  }
  const median = (a) => a.sort((x, y) => x - y)[a.length >> 1];
  return { above: median(above), total: median(total) };
}

const strategies = Object.fromEntries(
  ['two', 'full', 'exact'].map((mode) => {
    const s = new BinaryConnectStrategy(binaryConnectOptions.parse({ mode }), new Rng(args.seed + 2));
    s.setup({ network, space, loss });
    return [mode, s];
  }),
);

const rows = [['weight step', await measure((b) => weightStep(b))]];
for (const mode of ['exact', 'two', 'full']) {
  rows.push([`arch step, ${mode}`, await measure((b) => strategies[mode].archStep({ batch: b, epoch: 0, step: 0, forward: { training: true } }))]);
}

const params = weights.reduce((n, v) => n + v.variable.size, 0);
console.log(`backend ${tf.getBackend()}, batch ${args.batch}, input ${args.input}×${args.input}×1, stem ${args.stem}, blocks ${args.blocks}, kernels ${args.kernels}${args.zero ? ' + zero' : ''}, ${network.mixedOps.length} mixed ops, ${params} weights`);
console.log('| step | peak above live (MiB) | ratio to weight step | total peak (MiB) |');
console.log('|---|---|---|---|');
const w = rows[0][1].above;
for (const [name, m] of rows) console.log(`| ${name} | ${(m.above / MiB).toFixed(2)} | ×${(m.above / w).toFixed(2)} | ${(m.total / MiB).toFixed(2)} |`);
const exact = rows[1][1].above / w;
console.log(`exact arch step / weight step = ×${exact.toFixed(3)} (goal ≤ ×1.1: ${exact <= 1.1 ? 'met' : 'MISSED'})`);
console.log(`live tensors at the end: ${tf.memory().numTensors}`);
