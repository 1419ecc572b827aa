// Where a training step's time goes on wasm: share of time per kernel name and per op type of
// (a) the supernet weight step of examples/fashion-mnist/full.yaml (batch 64) and (b) the derived
// network's retraining step (batch 128), the workloads of bench/workloads.mjs.
//
// Every kernel registered for `wasm` is wrapped with a timer (wasm runs kernels synchronously, so a
// kernel's wall time is its compute). A kernel called by the engine is charged with everything it
// runs: the inner kernels of a composite kernel (ours, built from other kernels through KernelScope,
// e.g. the depthwise filter gradient's depthwise convolutions) count as that composite's time. The
// rest of the step ("outside kernels": tape, engine bookkeeping, JS of optimizers and trainers) is the
// step time minus the kernel time. Only the timed steps (after `--warmup`) are counted.
//
// Usage: npx tsc -b && node bench/profile-step.mjs [--workloads=supernet,compact,arch:binaryconnect-two,…] [--steps=8] [--warmup=3] [--top=25] [--json=<file>]
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from './common.mjs';
import { ARCH_STRATEGIES, runArchSteps, runCompact, runSupernet, useBackend } from './workloads.mjs';

const args = parseArgs(process.argv.slice(2), { workloads: 'supernet,compact', steps: 8, warmup: 3, top: 25, json: '' });

/** Op types: kernel name → category (first match). */
const CATEGORIES = [
  ['depthwise filter grad', /^DepthwiseConv2dNativeBackpropFilter$/],
  ['depthwise input grad', /^DepthwiseConv2dNativeBackpropInput$/],
  ['depthwise conv', /^(DepthwiseConv2dNative|FusedDepthwiseConv2D)$/],
  ['conv filter grad', /^Conv2DBackpropFilter$/],
  ['conv input grad', /^Conv2DBackpropInput$/],
  ['conv / matmul', /^(Conv2D|FusedConv2D|BatchMatMul|_FusedMatMul)$/],
  ['reductions', /^(Sum|Mean|Max|Min|Prod|ArgMax|All|Any)$/],
  ['layout (transpose/pad/slice/concat/reshape)', /^(Transpose|PadV2|StridedSlice|Slice|Concat|Reshape|Reverse|Pack|Tile|Gather.*|Identity|Cast|Fill)$/],
  ['fused (proxyless)', /^Proxyless/],
  ['element-wise', /./],
];
const category = (name) => CATEGORIES.find(([, re]) => re.test(name))[0];

let enabled = false;
const stats = new Map(); // kernel name → { ms, calls }
let depth = 0;
function wrapAll() {
  for (const config of tf.getKernelsForBackend('wasm')) {
    const inner = config.kernelFunc;
    const name = config.kernelName;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      ...config,
      kernelFunc: (a) => {
        if (!enabled || depth > 0) return inner(a);
        depth++;
        const t0 = performance.now();
        try {
          return inner(a);
        } finally {
          depth--;
          const s = stats.get(name) ?? { ms: 0, calls: 0 };
          s.ms += performance.now() - t0;
          s.calls++;
          stats.set(name, s);
        }
      },
    });
  }
}

const RUN = {
  supernet: (backend, onStep) => runSupernet({ backend, batch: 64, warmup: args.warmup, steps: args.steps, onStep }),
  compact: (backend, onStep) => runCompact({ backend, batch: 128, warmup: args.warmup, steps: args.steps, onStep }),
  ...Object.fromEntries(Object.keys(ARCH_STRATEGIES).map((s) => [`arch:${s}`, (_backend, onStep) => runArchSteps({ strategy: s, batch: 64, warmup: args.warmup, steps: args.steps, onStep })])),
};
const backend = await useBackend('wasm');
wrapAll();
const report = {};
for (const w of args.workloads.split(',')) {
  if (!RUN[w]) throw new Error(`unknown workload ${w} (expected ${Object.keys(RUN).join(', ')})`);
  stats.clear();
  enabled = false;
  const r = await RUN[w](backend, (i) => { enabled = i >= args.warmup; });
  enabled = false;
  const stepMs = r.ms.reduce((a, b) => a + b, 0);
  const kernels = [...stats].map(([name, s]) => ({ name, category: category(name), ms: s.ms / args.steps, calls: s.calls / args.steps }));
  const kernelMs = kernels.reduce((a, k) => a + k.ms, 0);
  const perStep = stepMs / args.steps;
  const byCategory = {};
  for (const k of kernels) byCategory[k.category] = (byCategory[k.category] ?? 0) + k.ms;
  byCategory['outside kernels (tape, engine, JS)'] = Math.max(0, perStep - kernelMs);
  report[w] = { batch: r.batch, meanStepMs: perStep, medianStepMs: r.medianMs, kernels, byCategory };

  console.log(`\n### ${w} (batch ${r.batch}): mean ${perStep.toFixed(1)} ms/step (median ${r.medianMs.toFixed(1)}), ${args.steps} steps after ${args.warmup} warm-up\n`);
  console.log('| op type | ms/step | share |\n|---|---|---|');
  for (const [c, ms] of Object.entries(byCategory).sort((a, b) => b[1] - a[1])) console.log(`| ${c} | ${ms.toFixed(1)} | ${((100 * ms) / perStep).toFixed(1)}% |`);
  console.log(`\n| kernel | calls/step | ms/step | share |\n|---|---|---|---|`);
  for (const k of kernels.sort((a, b) => b.ms - a.ms).slice(0, args.top)) {
    console.log(`| ${k.name} | ${k.calls.toFixed(0)} | ${k.ms.toFixed(2)} | ${((100 * k.ms) / perStep).toFixed(1)}% |`);
  }
}
const load = (await import('node:os')).loadavg()[0];
console.log(`\nload average (1 min) at the end: ${load.toFixed(2)}`);
if (args.json) writeFileSync(args.json, `${JSON.stringify({ args, load, report }, null, 2)}\n`);
