// This session's two changes to the retraining step, against the step before them, in one process:
// the retraining step of the full example's derived network (bench/workloads.mjs (b): core's
// WeightStep, SGD + Nesterov 0.9, L2 on kernels, label smoothing 0.1, batch 128) on wasm, one thread,
// in four forms run in alternating blocks on four copies of the same network, so that load on the
// machine reaches all alike:
//   before    the SGD update as tensor ops with the L2 term in the loss (WeightStep `update: 'tensor'`),
//             batch norm and ReLU6 as two ops (BatchNorm.applyRelu6 patched back to relu6(bn(x))),
//             the depthwise forward on tfjs's kernel (DepthwiseConv2d.apply patched back to tf.depthwiseConv2d)
//   host-sgd  the update on the host (`update: 'host'`), the rest as before
//   bn-relu6  and batch norm + ReLU6 as one op
//   now       and the depthwise forward on the fused kernel (the defaults)
// Also checks that all take the same first step (weights after it agree to float rounding).
//
// Usage: npx tsc -b && node bench/retrain-step.mjs [--batch=128] [--blocks=6] [--steps=5] [--weightDecay=0.0005] [--json=<file>]
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm, DepthwiseConv2d, isDecayedWeight, relu6For, Rng, WeightStep } from '@proxyless/core';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { parseArgs } from './common.mjs';
import { ARCHITECTURE, INPUT, RETRAIN_OPTIONS, SPACE_OPTIONS, median, syntheticSplit, useBackend } from './workloads.mjs';

const args = parseArgs(process.argv.slice(2), { batch: 128, blocks: 6, steps: 5, weightDecay: 0.0005, json: '' });
const backend = await useBackend('wasm');
const space = MBConvSpace.from(SPACE_OPTIONS, INPUT);
const options = { ...RETRAIN_OPTIONS, weightDecay: args.weightDecay, lrSchedule: 'cosine' };
const fusedApplyRelu6 = BatchNorm.prototype.applyRelu6;
function twoOps(x, ctx) {
  return relu6For(this.apply(x, ctx), ctx);
}
const fusedDepthwise = DepthwiseConv2d.prototype.apply;
function tfjsDepthwise(x) {
  return tf.depthwiseConv2d(x, this.w, this.stride, 'same');
}
const FORMS = {
  before: { update: 'tensor', applyRelu6: twoOps, depthwise: tfjsDepthwise },
  'host-sgd': { update: 'host', applyRelu6: twoOps, depthwise: tfjsDepthwise },
  'bn-relu6': { update: 'host', applyRelu6: fusedApplyRelu6, depthwise: tfjsDepthwise },
  now: { update: 'host', applyRelu6: fusedApplyRelu6, depthwise: fusedDepthwise },
};
const names = Object.keys(FORMS);
const nets = Object.fromEntries(names.map((f) => [f, space.buildCompact(ARCHITECTURE, new Rng(1).fork('compact-init'))]));
const steps = Object.fromEntries(names.map((f) => [f, new WeightStep(options, false, FORMS[f].update)]));
const data = syntheticSplit(args.batch, 1_000_000, 1);
const batches = data.batches();
const weightsOf = (net) => {
  const train = net.variables().filter((v) => v.trainable);
  return { train, decayed: train.filter(isDecayedWeight) };
};

async function step(form, batch) {
  BatchNorm.prototype.applyRelu6 = FORMS[form].applyRelu6;
  DepthwiseConv2d.prototype.apply = FORMS[form].depthwise;
  const t0 = performance.now();
  const r = await steps[form].run({ weights: weightsOf(nets[form]), apply: (x, ctx) => nets[form].apply(x, ctx), batch, forward: { rng: new Rng('bench') }, lr: 0.05 });
  return { ms: performance.now() - t0, loss: r.loss };
}

// the same first step on every copy: same loss, same weights after it
const first = {};
for (const f of names) first[f] = await step(f, { x: data.pool[0].x, y: data.pool[0].y });
const flat = (net) => net.variables().filter((v) => v.trainable).flatMap((v) => Array.from(v.variable.dataSync()));
const reference = flat(nets.before);
const maxDiff = Object.fromEntries(names.map((f) => [f, flat(nets[f]).reduce((m, x, i) => Math.max(m, Math.abs(x - reference[i])), 0)]));
console.log(`first step: loss ${names.map((f) => `${f} ${first[f].loss.toFixed(6)}`).join(', ')}; weights after it differ from before's by at most ${names.map((f) => `${f} ${maxDiff[f].toExponential(2)}`).join(', ')} (${reference.length} values)`);

const times = Object.fromEntries(names.map((f) => [f, []]));
for (let block = 0; block < args.blocks; block++) {
  for (const f of block % 2 ? [...names].reverse() : names) {
    for (let i = 0; i < args.steps + 1; i++) {
      const batch = batches.next().value;
      try {
        const { ms } = await step(f, batch);
        if (i > 0) times[f].push(ms); // the first step of a block is not timed (caches, the other form's garbage)
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
    }
  }
}
BatchNorm.prototype.applyRelu6 = fusedApplyRelu6;
DepthwiseConv2d.prototype.apply = fusedDepthwise;
const rows = names.map((f) => ({ form: f, medianMs: median(times[f]), steps: times[f].length, imagesPerSecond: (args.batch * 1000) / median(times[f]) }));
console.log(`\n${backend.describe().device}, tfjs ${tf.version_core}, node ${process.version}; batch ${args.batch}, weight decay ${args.weightDecay}, ${args.blocks} alternating blocks of ${args.steps} timed steps per form\n`);
console.log('| form | median ms/step | img/s | speed-up over before |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.form} | ${r.medianMs.toFixed(1)} | ${Math.round(r.imagesPerSecond)} | ×${(rows[0].medianMs / r.medianMs).toFixed(2)} |`);
console.log(`\nload average (1 min) at the end: ${loadavg()[0].toFixed(2)}`);
if (args.json) writeFileSync(args.json, JSON.stringify({ args, maxDiff, first, rows }, null, 2));
