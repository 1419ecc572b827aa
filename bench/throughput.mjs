// Training throughput (samples/s) of the MBConv space of examples/fashion-mnist/full.yaml on the
// TensorFlow.js wasm backend (with @proxyless/backend-wasm's kernels) and on the pure-JS cpu backend,
// through the library itself; bench/pytorch/train_step.py runs the same two workloads in PyTorch.
//
//  (a) supernet: the search's weight step. The real `SearchTrainer` runs warm-up steps (one path per
//      mixed op drawn uniformly by the bench strategy's `sampleGates('warmup')`, binarized gates, only the sampled paths
//      computed and trained; SGD + Nesterov 0.9, cosine LR, L2 4e-5 on kernels, label smoothing 0.1),
//      batch 64, 28×28×1. No architecture steps, no validation, no checkpoints.
//  (b) compact: core's `trainNetwork` on the compact network of one derived architecture (same
//      optimizer and loss), batch 128 (the retraining of `npm run example -- full`).
//
// A step is timed from the moment the (synthetic, in-memory) training split hands the batch to the
// loop until the loop reports the step done (`afterWeightStep` hook / `onStep`): gates, forward,
// loss, backward, optimizer update and the read-back of loss and accuracy. Data loading and the
// loop's `yieldToEventLoop` between steps are outside. The first `--warmup` steps are not counted.
//
// Usage: npx tsc -b && node bench/throughput.mjs [--backends=wasm,cpu] [--workloads=supernet,compact]
//        [--steps=20] [--warmup=3] [--cpuSteps=2] [--cpuWarmup=1] [--supernetBatch=64] [--compactBatch=128]
//        [--seed=1] [--json=<file>]
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import {
  argmaxArchitecture,
  countParameters,
  CpuBackend,
  describeDevice,
  probabilitiesOf,
  Rng,
  sampleUniform,
  SearchSession,
  SearchTrainer,
  searchTrainerOptions,
  trainNetwork,
  trainNetworkOptions,
} from '@proxyless/core';
import { WasmBackendImpl } from '@proxyless/backend-wasm';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { FULL_EXAMPLE_ARCHITECTURE, fullExampleSpaceOptions, parseArgs, fmt } from './common.mjs';

const args = parseArgs(process.argv.slice(2), {
  backends: 'wasm,cpu', workloads: 'supernet,compact', steps: 20, warmup: 3, cpuSteps: 2, cpuWarmup: 1,
  supernetBatch: 64, compactBatch: 128, seed: 1, json: '',
});

/** The space of examples/fashion-mnist/full.yaml (dropout: the space's default, 0). */
const SPACE_OPTIONS = fullExampleSpaceOptions();
const INPUT = { shape: [28, 28, 1], numClasses: 10 };
/** The compact network of workload (b). */
const ARCHITECTURE = FULL_EXAMPLE_ARCHITECTURE;
/** Trainer options of full.yaml (search) and of the full example's retraining (`--batch-size 128 --lr 0.1 --label-smoothing 0.1`). */
const SEARCH_OPTIONS = { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 4e-5, labelSmoothing: 0.1 };
const RETRAIN_OPTIONS = { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 4e-5, labelSmoothing: 0.1 };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const thousands = (n) => Math.round(n).toLocaleString('en-US');

async function useBackend(name) {
  const backend = name === 'wasm' ? new WasmBackendImpl() : name === 'cpu' ? new CpuBackend() : undefined;
  if (!backend) throw new Error(`unknown backend ${name} (expected wasm or cpu)`);
  await backend.init();
  return backend;
}

/**
 * An in-memory training split of synthetic images (standard normal, like normalized pixels) and
 * random labels, `pool` distinct batches handed out in turn. Each batch is a fresh handle (the loop
 * disposes it); `lastHandOut` is when the loop received the latest one: the start of a step.
 */
function syntheticSplit(batchSize, totalBatches, seed, pool = 4) {
  const rng = new Rng(`${seed}:bench-data`);
  const batches = Array.from({ length: pool }, () => ({
    x: tf.randomNormal([batchSize, ...INPUT.shape], 0, 1, 'float32', rng.int(2 ** 31)),
    y: tf.tensor1d(Array.from({ length: batchSize }, () => rng.int(INPUT.numClasses)), 'int32'),
  }));
  const split = {
    name: 'train',
    size: batchSize * totalBatches,
    lastHandOut: 0,
    numBatches: () => totalBatches,
    *batches() {
      for (let i = 0; i < totalBatches; i++) {
        const b = batches[i % pool];
        const out = { x: b.x.clone(), y: b.y.clone() };
        split.lastHandOut = performance.now();
        yield out;
      }
    },
    dispose: () => tf.dispose(batches.flatMap((b) => [b.x, b.y])),
  };
  return split;
}
const emptySplit = { name: 'validation', size: 0, numBatches: () => 0, *batches() {} };

/** Weights per candidate of every mixed op, fixed weights, α: trainable parameter counts of the supernet. */
function supernetParams(network) {
  const alpha = network.mixedOps.reduce((n, op) => n + op.alpha.size, 0);
  const total = countParameters(network.variables()) - alpha;
  const perOp = network.mixedOps.map((op) => op.candidates.map((c) => countParameters(c.module.variables())));
  const fixed = total - perOp.flat().reduce((a, b) => a + b, 0);
  const path = (pick) => fixed + perOp.reduce((n, ps) => n + pick(ps), 0);
  return {
    total, alpha, fixed,
    pathMin: path((ps) => Math.min(...ps)),
    pathMax: path((ps) => Math.max(...ps)),
    pathMeanUniform: path((ps) => mean(ps)),
    perOp: Object.fromEntries(network.mixedOps.map((op, i) => [op.label, Object.fromEntries(op.candidates.map((c, j) => [c.name, perOp[i][j]]))])),
  };
}

/** (a) Weight steps of the supernet, run by the search's own trainer (warm-up phase: uniform paths). */
async function runSupernet(backend, warmup, steps) {
  const batchSize = args.supernetBatch;
  const space = MBConvSpace.from(SPACE_OPTIONS, INPUT);
  const rng = new Rng(args.seed);
  // as composeSearch: the supernet from rng.fork('supernet-init'), the trainer's rng forked by its slot key
  const network = space.buildSupernet(rng.fork('supernet-init'));
  const params = supernetParams(network);
  const train = syntheticSplit(batchSize, warmup + steps, args.seed);
  const dataset = { input: INPUT, train, validation: emptySplit, source: 'synthetic (bench)' };
  const trainer = new SearchTrainer(
    searchTrainerOptions.parse({
      ...SEARCH_OPTIONS, epochs: 1, warmupEpochs: 1, batchSize,
      maxBatchesPerEpoch: warmup + steps, checkpointEvery: 0, evaluateEachEpoch: false,
    }),
    rng.fork('trainer'),
  );
  // Warm-up steps only: the strategy draws one path per mixed op uniformly, as the built-in ones do.
  let ops = [];
  const gateRng = rng.fork('strategy');
  const strategy = {
    name: 'bench-uniform',
    setup: ({ network: n }) => { ops = n.mixedOps; },
    sampleGates: (phase) => {
      if (phase !== 'warmup') throw new Error('bench: no search-phase steps expected');
      return sampleUniform(ops, gateRng);
    },
    archStep: async () => ({}),
    derive: () => argmaxArchitecture(ops),
    probabilities: () => probabilitiesOf(ops),
    getState: () => ({ json: null, tensors: {} }),
    setState: () => {},
  };
  const times = [];
  const paths = [];
  const timing = {
    name: 'bench-timing',
    apply: (session) => {
      session.hooks.afterWeightStep.tap('bench-timing', (info) => {
        times.push(performance.now() - train.lastHandOut);
        const path = Object.fromEntries(network.mixedOps.map((op) => [op.label, op.candidates[info.gates[op.label].chosen].name]));
        const trained = params.fixed + network.mixedOps.reduce((n, op) => n + params.perOp[op.label][path[op.label]], 0);
        paths.push({ path, params: trained, loss: info.loss });
      });
    },
  };
  const session = new SearchSession({
    seed: args.seed, rng, backend, dataset, space, network, strategy, trainer, plugins: [timing], config: {},
  });
  await session.run();
  tf.dispose(Object.values(trainer.getState().tensors));
  tf.dispose(network.variables().map((v) => v.variable));
  train.dispose();
  const timed = times.slice(warmup);
  const timedPaths = paths.slice(warmup);
  return {
    batch: batchSize, ms: timed, medianMs: median(timed), meanMs: mean(timed),
    params: { ...params, sampledPathMean: mean(timedPaths.map((p) => p.params)) },
    paths: paths.map((p, i) => ({ step: i, warmup: i < warmup, ms: times[i], params: p.params, loss: p.loss, path: p.path })),
  };
}

/** (b) core's trainNetwork on the compact network. */
async function runCompact(_backend, warmup, steps) {
  const batchSize = args.compactBatch;
  const space = MBConvSpace.from(SPACE_OPTIONS, INPUT);
  // as composeNetwork: the compact network from rng.fork('compact-init')
  const network = space.buildCompact(ARCHITECTURE, new Rng(args.seed).fork('compact-init'));
  const params = countParameters(network.variables());
  const inspected = space.inspect(ARCHITECTURE).params;
  if (params !== inspected) throw new Error(`compact network: ${params} trainable parameters, space.inspect says ${inspected}`);
  const train = syntheticSplit(batchSize, warmup + steps, args.seed);
  const dataset = { input: INPUT, train, validation: emptySplit, source: 'synthetic (bench)' };
  const times = [];
  const losses = [];
  await trainNetwork(
    network,
    dataset,
    trainNetworkOptions.parse({ ...RETRAIN_OPTIONS, epochs: 1, batchSize, maxBatchesPerEpoch: warmup + steps }),
    {
      seed: args.seed,
      onStep: (s) => {
        times.push(performance.now() - train.lastHandOut);
        losses.push(s.loss);
      },
    },
  );
  tf.dispose(network.variables().map((v) => v.variable));
  train.dispose();
  const timed = times.slice(warmup);
  return { batch: batchSize, ms: timed, medianMs: median(timed), meanMs: mean(timed), params: { total: params }, losses };
}

const WORKLOADS = { supernet: runSupernet, compact: runCompact };
const workloads = args.workloads.split(',');
for (const w of workloads) if (!(w in WORKLOADS)) throw new Error(`unknown workload ${w} (expected supernet, compact)`);

const results = [];
let header;
for (const name of args.backends.split(',')) {
  const backend = await useBackend(name);
  const device = backend.describe();
  header ??= device;
  const steps = name === 'cpu' ? args.cpuSteps : args.steps;
  const warmup = name === 'cpu' ? args.cpuWarmup : args.warmup;
  for (const w of workloads) {
    const before = tf.memory().numTensors;
    const r = await WORKLOADS[w](backend, warmup, steps);
    const leaked = tf.memory().numTensors - before;
    const row = { workload: w, backend: name, device, warmup, steps, ...r, samplesPerSecond: (r.batch * 1000) / r.medianMs, leakedTensors: leaked };
    results.push(row);
    console.error(`${w} on ${name}: median ${fmt(r.medianMs)} ms/step over ${steps} steps (after ${warmup} warm-up)`);
  }
}

const paramsText = (r) =>
  r.workload === 'supernet'
    ? `supernet ${thousands(r.params.total)} (+${r.params.alpha} α); one path ${thousands(r.params.pathMin)}–${thousands(r.params.pathMax)}, sampled mean ${thousands(r.params.sampledPathMean)}`
    : thousands(r.params.total);
console.log(`\ndevice: ${header.device}; backends ${args.backends}; tfjs ${tf.version_core}; node ${process.version}`);
console.log('workload  backend  batch  steps  median ms/step  mean ms/step  samples/s  trainable params');
for (const r of results) {
  console.log(
    `${r.workload.padEnd(10)}${r.backend.padEnd(9)}${String(r.batch).padStart(5)}${String(r.steps).padStart(7)}${fmt(r.medianMs).padStart(16)}${fmt(r.meanMs).padStart(14)}${r.samplesPerSecond.toFixed(1).padStart(11)}  ${paramsText(r)}`,
  );
}
for (const w of workloads) {
  const a = results.find((r) => r.workload === w && r.backend === 'wasm');
  const b = results.find((r) => r.workload === w && r.backend === 'cpu');
  if (a && b) console.log(`${w}: wasm vs cpu ×${(b.medianMs / a.medianMs).toFixed(1)}`);
}
const leaks = results.filter((r) => r.leakedTensors !== 0);
if (leaks.length) console.log(`leaked tensors: ${leaks.map((r) => `${r.workload}/${r.backend} ${r.leakedTensors}`).join(', ')}`);
if (args.json) {
  writeFileSync(
    args.json,
    `${JSON.stringify({ device: header, tfjs: tf.version_core, node: process.version, args, space: SPACE_OPTIONS, architecture: ARCHITECTURE, search: SEARCH_OPTIONS, retrain: RETRAIN_OPTIONS, results }, null, 2)}\n`,
  );
  console.log(`wrote ${args.json}`);
}
