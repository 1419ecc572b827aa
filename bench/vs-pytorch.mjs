// One command for the speed comparison of issue 12: our workloads on the wasm backend and the same
// ones in PyTorch (bench/pytorch/train_step.py) on the same machine, same network, same path sequence,
// printed as one markdown table with the ratios to PyTorch's best thread/layout setting.
//
//  (a) supernet weight step of examples/fashion-mnist/full.yaml, batch 64 (paths replayed in PyTorch)
//  (b) retraining step of the derived network, batch 128
//  (c) architecture step of each strategy (BinaryConnect `two`, `exact`; REINFORCE M = 10), batch 64
//      (ours only: compared with our own weight step per image)
//  (d) batch-1 inference latency of the derived network
// (workloads.mjs describes each.) PyTorch runs at threads {1, 2} × {NCHW, channels-last}.
//
// PyTorch: the first of $PYTHON, python3, /usr/bin/python3 that imports torch (Debian:
// `apt-get install python3-torch`, then PYTHON=/usr/bin/python3; pip: `pip install torch`).
// Without one, our figures are printed alone and the script says what to install.
//
// Usage: npx tsc -b && node bench/vs-pytorch.mjs [--steps=20] [--warmup=3] [--archSteps=8]
//        [--threads=1,2] [--formats=nchw,nhwc] [--wasmThreads=0] [--fused=true] [--torch=true] [--workers=auto] [--json=<file>]
// --workers=N (auto: one per core) adds (a) and (b) rows run data-parallel over N worker threads (the
// search's `trainer.options.workers`, `proxyless train --workers`) on the committed Fashion-MNIST subset.
// --fused=false runs our side on the composed tfjs ops (without @proxyless/backend-wasm's fused
// kernels); --wasmThreads=N on XNNPACK's own pool of N threads (initThreadedWasm).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describeDevice } from '@proxyless/core';
import { registerTrainingKernels } from '@proxyless/backend-wasm';
import { parseArgs, fmt } from './common.mjs';
import { cpus } from 'node:os';
import { ARCH_STRATEGIES, runArchSteps, runCompact, runCompactWorkers, runInference, runSupernet, runSupernetWorkers, useBackend } from './workloads.mjs';

const args = parseArgs(process.argv.slice(2), {
  steps: 20, warmup: 3, archSteps: 8, threads: '1,2', formats: 'nchw,nhwc', wasmThreads: 0, fused: true, torch: true, workers: 'auto', json: '',
});
// --workers: data-parallel worker threads for the extra (a)/(b) rows (auto: one per core; 1: no extra rows)
const workers = args.workers === 'auto' ? cpus().length : Number(args.workers);
const loadBefore = loadavg()[0];

// ---- ours ----
const backend = await useBackend('wasm', { wasmThreads: args.wasmThreads });
registerTrainingKernels({ fused: args.fused }); // --fused=false: the composed tfjs ops (before issue 12's kernels)
const ours = {};
const log = (s) => console.error(s);
const a = await runSupernet({ backend, batch: 64, warmup: args.warmup, steps: args.steps });
ours.supernet = { batch: 64, medianMs: a.medianMs };
log(`(a) supernet weight step: ${fmt(a.medianMs)} ms/step`);
const b = await runCompact({ batch: 128, warmup: args.warmup, steps: args.steps });
ours.compact = { batch: 128, medianMs: b.medianMs };
log(`(b) retraining step: ${fmt(b.medianMs)} ms/step`);
if (workers > 1 && args.fused && args.wasmThreads === 0) {
  const aw = await runSupernetWorkers({ workers, batch: 64, warmup: args.warmup, steps: args.steps });
  ours.supernetWorkers = { batch: 64, medianMs: aw.medianMs, workers };
  log(`(a) supernet weight step, ${workers} workers: ${fmt(aw.medianMs)} ms/step`);
  const bw = await runCompactWorkers({ workers, batch: 128, warmup: args.warmup, steps: args.steps });
  ours.compactWorkers = { batch: 128, medianMs: bw.medianMs, workers };
  log(`(b) retraining step, ${workers} workers: ${fmt(bw.medianMs)} ms/step`);
}
for (const s of Object.keys(ARCH_STRATEGIES)) {
  const r = await runArchSteps({ strategy: s, batch: 64, warmup: 2, steps: args.archSteps });
  ours[`arch:${s}`] = { batch: 64, medianMs: r.medianMs };
  log(`(c) arch step ${s}: ${fmt(r.medianMs)} ms/step`);
}
const d = await runInference({});
ours.inference = { batch: 1, medianMs: d.medianMs };
log(`(d) batch-1 inference: ${fmt(d.medianMs)} ms`);

// ---- PyTorch ----
const dir = mkdtempSync(join(tmpdir(), 'proxyless-vs-pytorch-'));
const pathsFile = join(dir, 'ours.json');
const torchFile = join(dir, 'torch.json');
writeFileSync(pathsFile, JSON.stringify({ results: [{ workload: 'supernet', backend: 'wasm', paths: a.paths, params: a.params }] }));
const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
const python = !args.torch ? undefined : candidates.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
let torch = null;
let torchVersion = '';
if (!args.torch) {
  log('PyTorch skipped (--torch=false)');
} else if (!python) {
  log(`\nPyTorch not found: none of ${candidates.join(', ')} imports torch. Install it and rerun, e.g.\n` +
    '  Debian: apt-get install python3-torch && PYTHON=/usr/bin/python3 node bench/vs-pytorch.mjs\n' +
    '  pip:    pip install torch   (a CPU wheel: --index-url https://download.pytorch.org/whl/cpu)\n');
} else {
  const script = fileURLToPath(new URL('./pytorch/train_step.py', import.meta.url));
  const r = spawnSync(python, [
    script, '--threads', args.threads, '--memory-format', args.formats, '--workloads', 'supernet,compact,inference',
    '--steps', String(args.steps), '--warmup', String(args.warmup), '--paths-from', pathsFile, '--json', torchFile,
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`${python} ${script} failed (exit ${r.status})`);
  const out = JSON.parse(readFileSync(torchFile, 'utf8'));
  torch = out.results;
  torchVersion = `PyTorch ${out.torch} (${python})`;
}
rmSync(dir, { recursive: true, force: true });
const loadAfter = loadavg()[0];

// ---- table ----
const settings = torch ? [...new Set(torch.map((r) => `${r.threads}:${r.memory_format}`))] : [];
const torchRow = (w) => settings.map((s) => torch.find((r) => r.workload === w && `${r.threads}:${r.memory_format}` === s));
const imgs = (batch, ms) => (batch * 1000) / ms;
const n = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));
const head = ['workload', `ours (wasm, ${args.wasmThreads > 1 ? `${args.wasmThreads} XNNPACK threads` : '1 thread'})`, ...settings.map((s) => `PyTorch ${s.split(':')[0]}T ${s.split(':')[1] === 'nhwc' ? 'channels-last' : 'NCHW'}`), 'ours / PyTorch best'];
const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
const results = [];
const LABEL = {
  supernet: '(a) supernet weight step, batch 64',
  supernetWorkers: `(a) supernet weight step, batch 64, **${workers} data-parallel workers** (search \`workers\`)`,
  compact: '(b) retraining step, batch 128',
  compactWorkers: `(b) retraining step, batch 128, **${workers} data-parallel workers** (train \`--workers\`)`,
};
const TORCH_OF = { supernet: 'supernet', supernetWorkers: 'supernet', compact: 'compact', compactWorkers: 'compact' };
for (const w of ['supernet', 'supernetWorkers', 'compact', 'compactWorkers']) {
  if (!ours[w]) continue;
  const o = imgs(ours[w].batch, ours[w].medianMs);
  const t = torch ? torchRow(TORCH_OF[w]).map((r) => r?.samples_per_second) : [];
  const best = t.length ? Math.max(...t.filter(Boolean)) : NaN;
  results.push({ workload: w, oursImgPerS: o, torchImgPerS: t, ratio: o / best });
  lines.push(`| ${LABEL[w]} | **${n(o)} img/s** | ${t.map((v) => (v ? `${n(v)} img/s` : '—')).join(' | ')}${t.length ? ' | ' : ''}${Number.isFinite(best) ? `**×${(o / best).toFixed(2)}**` : '—'} |`);
}
const weightPerImage = ours.supernet.medianMs / ours.supernet.batch;
for (const s of Object.keys(ARCH_STRATEGIES)) {
  const r = ours[`arch:${s}`];
  const o = imgs(r.batch, r.medianMs);
  results.push({ workload: `arch:${s}`, oursImgPerS: o, perImageVsWeightStep: r.medianMs / r.batch / weightPerImage });
  lines.push(`| (c) arch step ${s}, batch 64 | ${n(o)} img/s | ${settings.map(() => '—').join(' | ')}${settings.length ? ' | ' : ''}×${(r.medianMs / r.batch / weightPerImage).toFixed(2)} of our weight step's time per image |`);
}
{
  const t = torch ? torchRow('inference').map((r) => r?.median_ms) : [];
  const best = t.length ? Math.min(...t.filter(Boolean)) : NaN;
  results.push({ workload: 'inference', oursMs: ours.inference.medianMs, torchMs: t, ratio: best / ours.inference.medianMs });
  lines.push(`| (d) batch-1 inference latency | **${fmt(ours.inference.medianMs)} ms** | ${t.map((v) => (v ? `${fmt(v)} ms` : '—')).join(' | ')}${t.length ? ' | ' : ''}${Number.isFinite(best) ? `**×${(best / ours.inference.medianMs).toFixed(2)}** (speed)` : '—'} |`);
}
const loaded = Math.max(loadBefore, loadAfter) >= 0.5;
console.log(`\n${describeDevice('wasm').device}; tfjs ${tf.version_core} wasm${args.wasmThreads > 0 ? ` (${args.wasmThreads} XNNPACK threads)` : ''}${args.fused ? ' + fused kernels' : ', fused kernels off'}; node ${process.version}; ${torchVersion || (args.torch ? 'PyTorch: not installed' : 'PyTorch: skipped')}`);
console.log(`${args.steps} timed steps after ${args.warmup} warm-up (arch: ${args.archSteps} after 2); medians. Load average ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}${loaded ? ' — MACHINE UNDER LOAD: rerun idle for the record' : ' (idle)'}\n`);
console.log(lines.join('\n'));
if (args.json) writeFileSync(args.json, `${JSON.stringify({ args, loadBefore, loadAfter, torchVersion, ours, torch, results }, null, 2)}\n`);
