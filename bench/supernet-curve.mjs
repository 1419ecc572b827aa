// Does the supernet learn as it should? Learning curves of the search's warm-up phase (weights only,
// one path per mixed op drawn uniformly per step) through the real `composeSearch` + `SearchTrainer`
// on Fashion-MNIST, and the same steps replayed by an independent PyTorch reference
// (bench/pytorch/supernet_reference.py): same space (examples/fashion-mnist/full.yaml), same images
// in the same order, same sampled paths, same optimizer, schedule, loss and BN settings; only the
// weight initialization (same scheme, different random draws) and the arithmetic differ.
//
//   node bench/supernet-curve.mjs --seeds=1,2,3 --epochs=3 --every=47 --reference=true --out=runs/supernet-curve
//
// Per seed, ours runs first and writes ours-seed<S>.json: its curve, and the plan the reference replays
// (the source image indices of every training batch, as the trainer's split handed them out; the
// sampled path of every step; the validation indices; the paths of the sampled-path validation).
// With --reference, python3 replays each plan (in the background while ours runs the next seed) into
// ref-seed<S>.json. Then summary.json, summary.md and curve.svg are written to --out.
//
// Logged every `every` steps (and at step 0): training loss/accuracy of the sampled paths over the
// last `every` steps; validation accuracy of (a) uniformly sampled paths (a fresh path per validation
// batch of 128) and (b) the fixed architecture FULL_EXAMPLE_ARCHITECTURE — both through the supernet
// in inference mode with batch-norm batch statistics, as the search's `evaluateArchitecture` does.
import * as tf from '@tensorflow/tfjs-core';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  composeSearch,
  countCorrect,
  disposeBatch,
  disposeGates,
  evaluateArchitecture,
  Rng,
  sampleUniform,
  softmaxCrossEntropy,
  toGateTensors,
} from '@proxyless/core';
import { FULL_EXAMPLE_ARCHITECTURE, fullExampleSpaceOptions, parseArgs } from './common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2), {
  seeds: [1],
  epochs: 3,
  maxBatches: 0, // per epoch; 0: the whole training split
  every: 47,
  train: 20000, // first N images of the file, before the validation split (full.yaml: limit.train 20000)
  validation: 2000,
  dir: '/usr/share/datasets/fashion-mnist',
  backend: '@proxyless/backend-wasm',
  out: 'runs/supernet-curve',
  reference: false,
  referenceOnly: false, // replay existing ours-seed<S>.json plans with python only
  python: 'python3',
  summarizeOnly: false,
  lr: 0.05, // full.yaml's
  zeroGamma: false, // experiment: γ = 0 in the project BN of every candidate of the blocks with an identity shortcut (not a library option)
});

const SEARCH = { lr: args.lr, momentum: 0.9, nesterov: true, weightDecay: 4e-5, labelSmoothing: 0.1, batchSize: 64 };
const EVAL_BATCH = 128;
const outDir = resolve(args.out);
mkdirSync(outDir, { recursive: true });

function writeAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

const load = () => ({ loadavg1: loadavg()[0], cores: cpus().length });

/** Loss/accuracy of uniformly sampled paths, one fresh path per validation batch (paths recorded). */
function evaluateSampled(network, split, rng, loss) {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  const paths = [];
  for (const b of split.batches(EVAL_BATCH)) {
    const sample = sampleUniform(network.mixedOps, rng);
    paths.push(Object.fromEntries(network.mixedOps.map((op) => [op.label, op.candidates[sample[op.label].chosen].name])));
    const gates = toGateTensors(network.mixedOps, sample);
    const n = b.y.shape[0];
    tf.tidy(() => {
      const logits = network.apply(b.x, { training: false, mode: 'binarized', gates, batchStatistics: true });
      lossSum += loss(logits, b.y).dataSync()[0] * n;
      correct += countCorrect(logits, b.y);
    });
    count += n;
    disposeGates(gates);
    disposeBatch(b);
  }
  return { loss: lossSum / count, accuracy: correct / count, paths };
}

async function runOurs(seed) {
  const t0 = Date.now();
  const config = {
    seed,
    backend: { use: args.backend },
    data: { use: 'fashion-mnist', options: { dir: args.dir, validation: args.validation, limit: { train: args.train, test: 64 } } },
    space: { use: '@proxyless/space-mbconv', options: fullExampleSpaceOptions() },
    strategy: { use: '@proxyless/strategy-binaryconnect', options: { mode: 'two' } },
    trainer: {
      use: 'search',
      options: {
        ...SEARCH, epochs: args.epochs, warmupEpochs: args.epochs, checkpointEvery: 0, evaluateEachEpoch: false, workers: 1,
        ...(args.maxBatches > 0 ? { maxBatchesPerEpoch: args.maxBatches } : {}),
      },
    },
  };
  const file = join(outDir, `config-seed${seed}.json`);
  writeAtomic(file, JSON.stringify(config, null, 2));
  const loss = (logits, labels) => softmaxCrossEntropy(logits, labels, SEARCH.labelSmoothing);
  let network;
  let dataset;
  const steps = [];
  const evals = [];
  let handed = []; // source indices of the training batches, in the order the split made them
  let window = { loss: 0, correct: 0, seen: 0 };
  const evaluate = (step) => {
    const e0 = Date.now();
    const sampled = evaluateSampled(network, dataset.validation, new Rng(`${seed}:curve-eval:${step}`), loss);
    const fixed = evaluateArchitecture(network, dataset.validation, FULL_EXAMPLE_ARCHITECTURE, EVAL_BATCH, loss);
    const train = window.seen ? { loss: window.loss / window.seen, accuracy: window.correct / window.seen, steps: window.steps } : null;
    window = { loss: 0, correct: 0, seen: 0, steps: 0 };
    evals.push({ step, train, sampled, fixed: { loss: fixed.loss, accuracy: fixed.accuracy }, seconds: (Date.now() - t0) / 1000, evalSeconds: (Date.now() - e0) / 1000, load: load() });
    const f = (v) => (v * 100).toFixed(1);
    console.error(`ours seed ${seed} step ${step}: train ${train ? f(train.accuracy) : '  - '}%  val sampled ${f(sampled.accuracy)}%  val fixed ${f(fixed.accuracy)}%  (${((Date.now() - t0) / 1000).toFixed(0)} s, load ${loadavg()[0].toFixed(1)})`);
  };
  const curve = {
    name: 'supernet-curve',
    apply: (session) => {
      session.hooks.afterWeightStep.tap('supernet-curve', (info) => {
        const idx = handed.at(-1);
        const path = Object.fromEntries(network.mixedOps.map((op) => [op.label, op.candidates[info.gates[op.label].chosen].name]));
        steps.push({ step: info.step, epoch: info.epoch, batch: info.batch, lr: info.lr, loss: info.loss, accuracy: info.accuracy, path, idx });
        window.loss += info.loss * idx.length;
        window.correct += info.accuracy * idx.length;
        window.seen += idx.length;
        window.steps = (window.steps ?? 0) + 1;
        const done = info.step + 1;
        if (done % args.every === 0 || done === totalSteps) evaluate(done);
      });
    },
  };
  let totalSteps = 0;
  const { session } = await composeSearch({ config: file, noRunDir: true, plugins: [curve], log: () => {} });
  ({ network, dataset } = session.components);
  if (args.zeroGamma) {
    for (const b of network.blocks) {
      if (!b.residual) continue;
      for (const c of b.body.candidates) if (c.module.projectBn) c.module.projectBn.gamma.assign(tf.zerosLike(c.module.projectBn.gamma));
    }
  }
  const perEpoch = Math.min(Math.ceil(dataset.train.size / SEARCH.batchSize), args.maxBatches > 0 ? args.maxBatches : Infinity);
  totalSteps = perEpoch * args.epochs;
  // record the source indices of every training batch the split makes (the trainer's own order)
  const split = dataset.train;
  const makeBatch = split.makeBatch.bind(split);
  split.makeBatch = (idx, aug) => {
    handed.push(Array.from(idx));
    return makeBatch(idx, aug);
  };
  evaluate(0);
  await session.run();
  const out = {
    side: 'ours',
    seed,
    backend: tf.getBackend(),
    tfjs: tf.version_core,
    config,
    zeroGamma: args.zeroGamma,
    totalSteps,
    trainSize: dataset.train.size,
    validationIdx: Array.from(dataset.validation.indices),
    evalBatch: EVAL_BATCH,
    fixedArchitecture: FULL_EXAMPLE_ARCHITECTURE,
    seconds: (Date.now() - t0) / 1000,
    load: load(),
    evals,
    steps,
  };
  writeAtomic(join(outDir, `ours-seed${seed}.json`), JSON.stringify(out));
  tf.dispose(network.variables().map((v) => v.variable));
  return out;
}

function runReference(seed) {
  const script = join(HERE, 'pytorch', 'supernet_reference.py');
  const plan = join(outDir, `ours-seed${seed}.json`);
  const dest = join(outDir, `ref-seed${seed}.json`);
  return new Promise((res, rej) => {
    const p = spawn(args.python, [script, '--plan', plan, '--dir', args.dir, '--seed', String(seed), '--json', dest], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', rej);
    p.on('exit', (code) => (code === 0 ? res(dest) : rej(new Error(`${script} --plan ${plan}: exit code ${code}`))));
  });
}

// ---- summary: per eval step, mean ± sd over seeds of each side, the difference, a table and an SVG ----

const meanOf = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sdOf = (xs) => (xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - meanOf(xs)) ** 2, 0) / (xs.length - 1)) : NaN);
const METRICS = [
  ['train', (e) => e.train?.accuracy],
  ['sampled', (e) => e.sampled.accuracy],
  ['fixed', (e) => e.fixed.accuracy],
];

function summarize(seeds) {
  const read = (side, s) => JSON.parse(readFileSync(join(outDir, `${side}-seed${s}.json`), 'utf8'));
  const runs = { ours: seeds.map((s) => read('ours', s)), ref: [] };
  for (const s of seeds) {
    try {
      runs.ref.push(read('ref', s));
    } catch {
      /* no reference for this seed */
    }
  }
  const stepsAt = runs.ours[0].evals.map((e) => e.step);
  const rows = stepsAt.map((step) => {
    const row = { step };
    for (const [name, get] of METRICS) {
      for (const side of ['ours', 'ref']) {
        const vals = runs[side].map((r) => get(r.evals.find((e) => e.step === step) ?? {})).filter((v) => v !== undefined && v !== null);
        row[`${side}_${name}`] = vals.length ? { mean: meanOf(vals), sd: sdOf(vals), values: vals } : null;
      }
      // paired difference (same seed, same images and paths): ours − ref
      const diffs = seeds
        .map((s) => {
          const o = runs.ours.find((r) => r.seed === s);
          const r = runs.ref.find((x) => x.seed === s);
          const a = o && get(o.evals.find((e) => e.step === step) ?? {});
          const b = r && get(r.evals.find((e) => e.step === step) ?? {});
          return a !== undefined && a !== null && b !== undefined && b !== null ? a - b : undefined;
        })
        .filter((v) => v !== undefined);
      row[`diff_${name}`] = diffs.length ? { mean: meanOf(diffs), sd: sdOf(diffs), se: sdOf(diffs) / Math.sqrt(diffs.length), values: diffs } : null;
    }
    return row;
  });
  const meta = {
    seeds,
    totalSteps: runs.ours[0].totalSteps,
    trainSize: runs.ours[0].trainSize,
    validation: runs.ours[0].validationIdx.length,
    every: args.every,
    ours: runs.ours.map((r) => ({ seed: r.seed, seconds: r.seconds, backend: r.backend, load: r.load })),
    ref: runs.ref.map((r) => ({ seed: r.seed, seconds: r.seconds, torch: r.torch, load: r.load })),
  };
  writeAtomic(join(outDir, 'summary.json'), JSON.stringify({ meta, rows }, null, 2));
  const pct = (c) => (c ? `${(c.mean * 100).toFixed(1)}${Number.isFinite(c.sd) ? ` ± ${(c.sd * 100).toFixed(1)}` : ''}` : '–');
  const pp = (c) => (c ? `${c.mean >= 0 ? '+' : ''}${(c.mean * 100).toFixed(1)}${Number.isFinite(c.se) ? ` ± ${(c.se * 100).toFixed(1)}` : ''}` : '–');
  const lines = [
    `Supernet warm-up, ${meta.totalSteps} steps (batch 64, ${meta.trainSize} training images), seeds ${seeds.join(', ')}; accuracy % mean ± sd over seeds; Δ = ours − reference, paired by seed, mean ± standard error (pp).`,
    '',
    '| step | train ours | train ref | Δ train | val sampled ours | val sampled ref | Δ sampled | val fixed ours | val fixed ref | Δ fixed |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.step} | ${pct(r.ours_train)} | ${pct(r.ref_train)} | ${pp(r.diff_train)} | ${pct(r.ours_sampled)} | ${pct(r.ref_sampled)} | ${pp(r.diff_sampled)} | ${pct(r.ours_fixed)} | ${pct(r.ref_fixed)} | ${pp(r.diff_fixed)} |`),
  ];
  writeAtomic(join(outDir, 'summary.md'), `${lines.join('\n')}\n`);
  writeAtomic(join(outDir, 'curve.svg'), svg(rows, meta));
  console.log(lines.join('\n'));
  console.log(`\nwrote ${join(outDir, 'summary.json')}, summary.md, curve.svg`);
}

/** Three panels (train, val sampled, val fixed): mean over seeds per side, with a ±sd band. */
function svg(rows, meta) {
  const W = 300;
  const H = 220;
  const pad = { l: 40, r: 10, t: 24, b: 30 };
  const maxStep = meta.totalSteps;
  const x = (s) => pad.l + (s / maxStep) * (W - pad.l - pad.r);
  const y = (a) => pad.t + (1 - a) * (H - pad.t - pad.b);
  const colors = { ours: '#d62728', ref: '#1f77b4' };
  const panels = METRICS.map(([name], i) => {
    const titles = { train: 'training accuracy (sampled paths)', sampled: 'val. accuracy, sampled paths', fixed: 'val. accuracy, fixed architecture' };
    let g = `<g transform="translate(${i * W},0)"><text x="${W / 2}" y="14" text-anchor="middle" font-size="11">${titles[name]}</text>`;
    for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) g += `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/><text x="${pad.l - 4}" y="${y(t) + 3}" text-anchor="end" font-size="9">${t * 100}</text>`;
    g += `<text x="${W / 2}" y="${H - 4}" text-anchor="middle" font-size="9">step (0–${maxStep})</text>`;
    for (const side of ['ref', 'ours']) {
      const pts = rows.map((r) => [r.step, r[`${side}_${name}`]]).filter(([, c]) => c);
      if (!pts.length) continue;
      const band = [...pts.map(([s, c]) => `${x(s)},${y(c.mean + (Number.isFinite(c.sd) ? c.sd : 0))}`), ...pts.reverse().map(([s, c]) => `${x(s)},${y(c.mean - (Number.isFinite(c.sd) ? c.sd : 0))}`)];
      pts.reverse();
      g += `<polygon points="${band.join(' ')}" fill="${colors[side]}" fill-opacity="0.15" stroke="none"/>`;
      g += `<polyline points="${pts.map(([s, c]) => `${x(s)},${y(c.mean)}`).join(' ')}" fill="none" stroke="${colors[side]}" stroke-width="1.5"/>`;
    }
    return `${g}</g>`;
  });
  const legend = `<g font-size="10"><rect x="${W * 3 - 170}" y="${H - 60}" width="10" height="3" fill="${colors.ours}"/><text x="${W * 3 - 155}" y="${H - 56}">ours (tfjs wasm)</text><rect x="${W * 3 - 170}" y="${H - 46}" width="10" height="3" fill="${colors.ref}"/><text x="${W * 3 - 155}" y="${H - 42}">PyTorch reference</text></g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W * 3}" height="${H}" font-family="sans-serif">${panels.join('')}${legend}</svg>\n`;
}

if (!args.summarizeOnly) {
  const pending = [];
  for (const seed of args.seeds) {
    if (!args.referenceOnly) {
      const o = await runOurs(seed);
      console.error(`ours seed ${seed}: ${o.totalSteps} steps in ${o.seconds.toFixed(0)} s`);
    }
    if (args.reference || args.referenceOnly) pending.push(runReference(seed));
  }
  await Promise.all(pending);
}
summarize(args.seeds);
