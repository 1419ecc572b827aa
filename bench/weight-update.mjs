// The SGD update on the host against the same update as tensor ops (`WeightStep`'s `update`:
// 'host' | 'tensor'), in one process: the retraining step of the full example's derived network
// (bench/workloads.mjs (b): core's WeightStep, SGD + Nesterov 0.9, L2 on kernels, label smoothing
// 0.1) on wasm, alternating blocks of steps of each form on two copies of the same network, so that
// load on the machine reaches both alike. Also checks that both forms take the same step (the
// weights after the first step agree to float rounding).
//
// Usage: npx tsc -b && node bench/weight-update.mjs [--batch=128] [--blocks=6] [--steps=5] [--weightDecay=0.0005] [--json=<file>]
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { isDecayedWeight, Rng, WeightStep } from '@proxyless/core';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { parseArgs } from './common.mjs';
import { ARCHITECTURE, INPUT, RETRAIN_OPTIONS, SPACE_OPTIONS, median, syntheticSplit, useBackend } from './workloads.mjs';

const args = parseArgs(process.argv.slice(2), { batch: 128, blocks: 6, steps: 5, weightDecay: 0.0005, json: '' });
const backend = await useBackend('wasm');
const space = MBConvSpace.from(SPACE_OPTIONS, INPUT);
const options = { ...RETRAIN_OPTIONS, weightDecay: args.weightDecay, lrSchedule: 'cosine' };
const forms = ['tensor', 'host'];
const nets = Object.fromEntries(forms.map((f) => [f, space.buildCompact(ARCHITECTURE, new Rng(1).fork('compact-init'))]));
const steps = Object.fromEntries(forms.map((f) => [f, new WeightStep(options, false, f)]));
const data = syntheticSplit(args.batch, 1_000_000, 1);
const batches = data.batches();
const weightsOf = (net) => {
  const train = net.variables().filter((v) => v.trainable);
  return { train, decayed: train.filter(isDecayedWeight) };
};

async function step(form, batch) {
  const t0 = performance.now();
  const r = await steps[form].run({ weights: weightsOf(nets[form]), apply: (x, ctx) => nets[form].apply(x, ctx), batch, forward: { rng: new Rng('bench') }, lr: 0.05 });
  return { ms: performance.now() - t0, loss: r.loss };
}

// the same first step on both copies: same loss, same weights after it
const first = {};
for (const f of forms) {
  const b = batches.next().value;
  first[f] = await step(f, { x: data.pool[0].x, y: data.pool[0].y });
  tf.dispose([b.x, b.y]);
}
const flat = (net) => net.variables().filter((v) => v.trainable).flatMap((v) => Array.from(v.variable.dataSync()));
const [a, b] = forms.map((f) => flat(nets[f]));
const maxDiff = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
console.log(`first step: loss tensor ${first.tensor.loss.toFixed(6)} / host ${first.host.loss.toFixed(6)}; weights after it differ by at most ${maxDiff.toExponential(2)} (${a.length} values)`);

const times = { tensor: [], host: [] };
for (let block = 0; block < args.blocks; block++) {
  for (const f of block % 2 ? [...forms].reverse() : forms) {
    for (let i = 0; i < args.steps + 1; i++) {
      const batch = batches.next().value;
      try {
        const { ms } = await step(f, batch);
        if (i > 0) times[f].push(ms); // the first step of a block warms the other form's caches out
      } finally {
        tf.dispose([batch.x, batch.y]);
      }
    }
  }
}
const row = (f) => ({ form: f, medianMs: median(times[f]), steps: times[f].length, imagesPerSecond: (args.batch * 1000) / median(times[f]) });
const rows = forms.map(row);
console.log(`\n${backend.describe().device}, tfjs ${tf.version_core}, node ${process.version}; batch ${args.batch}, weight decay ${args.weightDecay}, ${args.blocks} alternating blocks of ${args.steps} timed steps\n`);
console.log('| update | median ms/step | img/s | speed-up |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.form} | ${r.medianMs.toFixed(1)} | ${Math.round(r.imagesPerSecond)} | ×${(rows[0].medianMs / r.medianMs).toFixed(2)} |`);
console.log(`\nload average (1 min) at the end: ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
if (args.json) writeFileSync(args.json, JSON.stringify({ args, maxDiff, first, rows }, null, 2));
