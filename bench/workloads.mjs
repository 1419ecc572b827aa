// The training workloads of the benchmarks, on the MBConv space of examples/fashion-mnist/full.yaml,
// through the library itself (shared by throughput.mjs, profile-step.mjs and vs-pytorch.mjs):
//
//  (a) supernet: the search's weight step. The real `SearchTrainer` runs warm-up steps (one path per
//      mixed op drawn uniformly by the trainer's own rng, binarized gates, only the sampled paths
//      computed and trained; SGD + Nesterov 0.9, cosine LR, L2 4e-5 on kernels, label smoothing 0.1),
//      batch 64, 28×28×1. No architecture steps, no validation, no checkpoints.
//  (b) compact: core's `trainNetwork` on the compact network of one derived architecture (same
//      optimizer and loss), batch 128 (the retraining of `npm run example -- full`).
//  (c) arch: one strategy's architecture step on the supernet (weights frozen), one validation batch.
//  (d) inference: batch-1 forward of the derived network in inference mode (what measured latency times).
//
// A step is timed from the moment the (synthetic, in-memory) training split hands the batch to the
// loop until the loop reports the step done (`afterWeightStep` hook / `onStep`): gates, forward,
// loss, backward, optimizer update and the read-back of loss and accuracy. Data loading and the
// loop's `yieldToEventLoop` between steps are outside. The first `warmup` steps are not counted.
import * as tf from '@tensorflow/tfjs-core';
import {
  argmaxArchitecture,
  countParameters,
  CpuBackend,
  probabilitiesOf,
  Rng,
  sampleUniform,
  SearchSession,
  SearchTrainer,
  searchTrainerOptions,
  softmaxCrossEntropy,
  time,
  trainNetwork,
  trainNetworkOptions,
  composeSearch,
  composeNetwork,
  trainNetworkInWorkers,
} from '@proxyless/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initThreadedWasm, WasmBackendImpl } from '@proxyless/backend-wasm';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { BinaryConnectStrategy, binaryConnectOptions } from '@proxyless/strategy-binaryconnect';
import { ReinforceStrategy, reinforceStrategyOptions } from '@proxyless/strategy-reinforce';
import { FULL_EXAMPLE_ARCHITECTURE, fullExampleSpaceOptions } from './common.mjs';

/** The space of examples/fashion-mnist/full.yaml (dropout: the space's default, 0). */
export const SPACE_OPTIONS = fullExampleSpaceOptions();
export const INPUT = { shape: [28, 28, 1], numClasses: 10 };
/** The compact network of workload (b). */
export const ARCHITECTURE = FULL_EXAMPLE_ARCHITECTURE;
/** Trainer options of full.yaml (search) and of the full example's retraining (`--batch-size 128 --lr 0.1 --label-smoothing 0.1`). */
export const SEARCH_OPTIONS = { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 4e-5, labelSmoothing: 0.1 };
export const RETRAIN_OPTIONS = { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 4e-5, labelSmoothing: 0.1 };

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** `wasmThreads` > 0: the threaded-SIMD binary with an XNNPACK pool of that many threads (initThreadedWasm). */
export async function useBackend(name, { wasmThreads = 0 } = {}) {
  if (name === 'wasm' && wasmThreads > 0) {
    const { threads } = await initThreadedWasm(wasmThreads);
    if (threads !== wasmThreads) throw new Error(`asked for ${wasmThreads} wasm threads, XNNPACK runs ${threads}`);
  }
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
export function syntheticSplit(batchSize, totalBatches, seed, pool = 4) {
  const rng = new Rng(`${seed}:bench-data`);
  const batches = Array.from({ length: pool }, () => ({
    x: tf.randomNormal([batchSize, ...INPUT.shape], 0, 1, 'float32', rng.int(2 ** 31)),
    y: tf.tensor1d(Array.from({ length: batchSize }, () => rng.int(INPUT.numClasses)), 'int32'),
  }));
  const split = {
    name: 'train',
    size: batchSize * totalBatches,
    lastHandOut: 0,
    pool: batches,
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

/**
 * (a) Weight steps of the supernet, run by the search's own trainer (warm-up phase: uniform paths).
 * `onStep(i)` runs right before step i's batch is handed out (profilers switch on there).
 */
export async function runSupernet({ backend, batch: batchSize = 64, warmup = 3, steps = 20, seed = 1, onStep }) {
  const space = MBConvSpace.from(SPACE_OPTIONS, INPUT);
  const rng = new Rng(seed);
  // as composeSearch: the supernet from rng.fork('supernet-init'), the trainer's rng forked by its slot key
  const network = space.buildSupernet(rng.fork('supernet-init'));
  const params = supernetParams(network);
  const train = syntheticSplit(batchSize, warmup + steps, seed);
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
        onStep?.(times.length);
      });
    },
  };
  const session = new SearchSession({
    seed, rng, backend, dataset, space, network, strategy, trainer, plugins: [timing], config: {},
  });
  onStep?.(0);
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
export async function runCompact({ batch: batchSize = 128, warmup = 3, steps = 20, seed = 1, onStep }) {
  const space = MBConvSpace.from(SPACE_OPTIONS, INPUT);
  // as composeNetwork: the compact network from rng.fork('compact-init')
  const network = space.buildCompact(ARCHITECTURE, new Rng(seed).fork('compact-init'));
  const params = countParameters(network.variables());
  const inspected = space.inspect(ARCHITECTURE).params;
  if (params !== inspected) throw new Error(`compact network: ${params} trainable parameters, space.inspect says ${inspected}`);
  const train = syntheticSplit(batchSize, warmup + steps, seed);
  const dataset = { input: INPUT, train, validation: emptySplit, source: 'synthetic (bench)' };
  const times = [];
  const losses = [];
  onStep?.(0);
  await trainNetwork(
    network,
    dataset,
    trainNetworkOptions.parse({ ...RETRAIN_OPTIONS, epochs: 1, batchSize, maxBatchesPerEpoch: warmup + steps }),
    {
      seed,
      onStep: (s) => {
        times.push(performance.now() - train.lastHandOut);
        losses.push(s.loss);
        onStep?.(times.length);
      },
    },
  );
  tf.dispose(network.variables().map((v) => v.variable));
  train.dispose();
  const timed = times.slice(warmup);
  return { batch: batchSize, ms: timed, medianMs: median(timed), meanMs: mean(timed), params: { total: params }, losses };
}

/** The architecture strategies of (c): name → a fresh strategy. */
export const ARCH_STRATEGIES = {
  'binaryconnect-two': (rng) => new BinaryConnectStrategy(binaryConnectOptions.parse({ mode: 'two' }), rng),
  'binaryconnect-exact': (rng) => new BinaryConnectStrategy(binaryConnectOptions.parse({ mode: 'exact' }), rng),
  'reinforce-m10': (rng) => new ReinforceStrategy(reinforceStrategyOptions.parse({ samples: 10 }), rng),
};

/** (c) Architecture steps of one strategy on the supernet (validation batches of `batch`). */
export async function runArchSteps({ strategy: name, batch: batchSize = 64, warmup = 2, steps = 10, seed = 1, onStep }) {
  const make = ARCH_STRATEGIES[name];
  if (!make) throw new Error(`unknown strategy ${name} (expected ${Object.keys(ARCH_STRATEGIES).join(', ')})`);
  const space = MBConvSpace.from(SPACE_OPTIONS, INPUT);
  const rng = new Rng(seed);
  const network = space.buildSupernet(rng.fork('supernet-init'));
  const strategy = make(rng.fork('strategy'));
  await strategy.setup({ network, space, loss: (logits, labels) => softmaxCrossEntropy(logits, labels, SEARCH_OPTIONS.labelSmoothing) });
  const data = syntheticSplit(batchSize, 1, `${seed}:validation`).pool;
  const times = [];
  for (let i = 0; i < warmup + steps; i++) {
    const b = data[i % data.length];
    const batch = { x: b.x.clone(), y: b.y.clone() };
    onStep?.(i);
    const t0 = performance.now();
    await strategy.archStep({ batch, epoch: 0, step: i, forward: { training: true, rng: rng.fork(`arch-forward:${i}`) } });
    times.push(performance.now() - t0);
    tf.dispose([batch.x, batch.y]);
  }
  strategy.dispose?.();
  tf.dispose(Object.values(strategy.getState().tensors));
  tf.dispose(network.variables().map((v) => v.variable));
  tf.dispose(data.flatMap((b) => [b.x, b.y]));
  const timed = times.slice(warmup);
  return { batch: batchSize, ms: timed, medianMs: median(timed), meanMs: mean(timed) };
}

/** (d) Batch-1 inference of the derived network (inference mode, read-back included). */
export async function runInference({ seed = 1, minDurationMs = 1000 } = {}) {
  const space = MBConvSpace.from(SPACE_OPTIONS, INPUT);
  const network = space.buildCompact(ARCHITECTURE, new Rng(seed).fork('compact-init'));
  const input = tf.randomNormal([1, ...INPUT.shape], 0, 1, 'float32', seed);
  const r = await time({ module: network, input }, { warmup: 10, minRuns: 50, minDurationMs, readback: 'data' });
  input.dispose();
  tf.dispose(network.variables().map((v) => v.variable));
  return { batch: 1, medianMs: r.medianMs, meanMs: r.meanMs, runs: r.runs };
}

// ---- data-parallel variants of (a) and (b): both cores ----
// Worker threads compose their network and data from a config file, so these run on the committed
// Fashion-MNIST subset (examples/fashion-mnist/data) instead of the synthetic in-memory split, through
// the real `composeSearch` (trainer.options.workers) and `trainNetworkInWorkers`. A step is timed
// between consecutive `afterWeightStep` / `onStep` reports (data loading included; it is in memory).

const SUBSET = fileURLToPath(new URL('../examples/fashion-mnist/data', import.meta.url));
/** The committed subset, `train` images for training plus 64 for validation. */
const subsetData = (train) => ({ use: 'fashion-mnist', options: { dir: SUBSET, validation: 64, limit: { train: train + 64, test: 64 } } });
const stepMedianMs = (stamps, warmup) => {
  const gaps = [];
  for (let i = Math.max(1, warmup); i < stamps.length; i++) gaps.push(stamps[i] - stamps[i - 1]);
  return median(gaps);
};

/** (a) with `workers` threads: the search's warm-up weight steps on the full.yaml space, batch 64. */
export async function runSupernetWorkers({ workers = 2, batch: batchSize = 64, warmup = 3, steps = 20, seed = 1 }) {
  const dir = mkdtempSync(join(tmpdir(), 'proxyless-bench-dp-'));
  const batches = warmup + steps + 1; // one more than timed: steps are timed between consecutive reports
  const config = {
    seed,
    backend: { use: '@proxyless/backend-wasm' },
    data: subsetData(batchSize * batches),
    space: { use: '@proxyless/space-mbconv', options: SPACE_OPTIONS },
    strategy: { use: '@proxyless/strategy-binaryconnect', options: { mode: 'two' } },
    trainer: {
      use: 'search',
      options: { ...SEARCH_OPTIONS, epochs: 1, warmupEpochs: 1, batchSize, maxBatchesPerEpoch: batches, checkpointEvery: 0, evaluateEachEpoch: false, workers },
    },
  };
  const file = join(dir, 'search.json');
  writeFileSync(file, JSON.stringify(config));
  const stamps = [];
  const timing = { name: 'bench-timing', apply: (session) => session.hooks.afterWeightStep.tap('bench-timing', () => void stamps.push(performance.now())) };
  try {
    const { session } = await composeSearch({ config: file, noRunDir: true, plugins: [timing], log: () => {} });
    await session.run();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { batch: batchSize, workers, medianMs: stepMedianMs(stamps, warmup + 1) };
}

/** (b) with `workers` threads: `trainNetworkInWorkers` on the derived network, batch 128. */
export async function runCompactWorkers({ workers = 2, batch: batchSize = 128, warmup = 3, steps = 20, seed = 1 }) {
  const dir = mkdtempSync(join(tmpdir(), 'proxyless-bench-dp-'));
  const wanted = warmup + steps + 1;
  // batches per epoch; more steps than the subset's 3,936 training images hold: several epochs over it
  // (each epoch's end adds one long gap, its 64-image validation, which the median step time leaves out)
  const batches = Math.min(wanted, Math.floor(3936 / batchSize));
  const epochs = Math.ceil(wanted / batches);
  const record = {
    seed,
    backend: { use: '@proxyless/backend-wasm' },
    data: subsetData(batchSize * batches),
    space: { use: '@proxyless/space-mbconv', options: SPACE_OPTIONS },
    architecture: ARCHITECTURE,
  };
  const file = join(dir, 'architecture.json');
  writeFileSync(file, JSON.stringify(record));
  const stamps = [];
  try {
    const { network, dataset } = await composeNetwork({ architectureFile: file, log: () => {} });
    const options = trainNetworkOptions.parse({ ...RETRAIN_OPTIONS, epochs, batchSize, maxBatchesPerEpoch: batches });
    await trainNetworkInWorkers(network, dataset, options, { seed, onStep: () => void stamps.push(performance.now()) }, { workers, compose: { architectureFile: file } });
    tf.dispose(network.variables().map((v) => v.variable));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { batch: batchSize, workers, medianMs: stepMedianMs(stamps, warmup + 1) };
}
