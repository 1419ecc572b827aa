// Shared fixtures of this package's tests: the Fashion-MNIST subset, a latency table provider, a
// small network of our own, and the real search loop (core's SearchTrainer in a SearchSession).
import * as tf from '@tensorflow/tfjs-core';
import '@proxyless/backend-wasm';
import {
  BatchNorm,
  BlockNetwork,
  ZeroOp,
  buildDataset,
  Conv2d,
  createExpectedLatency,
  Dense,
  ensureGradients,
  globalAvgPool,
  MixedOp,
  readIdxPair,
  relu6,
  Rng,
  SearchSession,
  SearchTrainer,
  searchTrainerOptions,
  Sequential,
  type Architecture,
  type ArchitectureStrategy,
  type Candidate,
  type Dataset,
  type ForwardContext,
  type InMemoryDataset,
  type InputSpec,
  type LatencyProvider,
  type MixedOpSpec,
  type Module,
  type NamedVariable,
  type Network,
  type OpFeatures,
  type OpSpec,
  type SearchPlugin,
  type SearchSpace,
  type SessionSnapshot,
} from '@proxyless/core';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BinaryConnectStrategy, binaryConnectOptions, type BinaryConnectOptionsInput } from '../src/index.js';

export const subsetDir = fileURLToPath(new URL('../../../examples/fashion-mnist/data', import.meta.url));

export async function useWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await ensureGradients();
}

const cache = new Map<string, Promise<InMemoryDataset>>();

/** The committed Fashion-MNIST subset: the first `train` training images, `validation` of them held out. */
export function fashionMnist(train = 1200, validation = 240): Promise<InMemoryDataset> {
  const key = `${train}/${validation}`;
  let d = cache.get(key);
  if (!d) {
    d = readIdxPair(join(subsetDir, 'train-images-idx3-ubyte.gz'), join(subsetDir, 'train-labels-idx1-ubyte.gz'), { numClasses: 10 }).then((images) =>
      buildDataset({ train: images, validation, limit: { train }, rng: new Rng('binaryconnect-tests:split'), source: 'fashion-mnist subset' }),
    );
    cache.set(key, d);
  }
  return d;
}

/**
 * A latency provider over a fixed table: the latency of an op is `table(features)`. It implements
 * core's `LatencyProvider` like any table provider (a phone's lookup table, FLOPs).
 */
export class TableLatencyProvider implements LatencyProvider {
  readonly target = 'table';
  constructor(
    private readonly table: (op: OpFeatures) => number,
    readonly unit = 'ms',
  ) {}
  latency(op: OpFeatures): number {
    return op.type === 'zero' ? 0 : this.table(op);
  }
}

/** Latency by kernel size: k² ms per candidate, 1 ms per fixed layer. */
export const kernelLatency = new TableLatencyProvider((op) => (op.kernel !== undefined && op.type === 'conv' ? op.kernel * op.kernel : 1));

/** One block of the fixture space. */
export interface FixtureBlock {
  readonly width: number;
  readonly stride: 1 | 2;
  /** Candidate kernel sizes; `shared` makes every candidate the same module (equal quality). */
  readonly kernels: readonly number[];
  readonly shared?: boolean;
  readonly zero?: boolean;
}

type Shape = readonly [number, number, number];

/**
 * A small space of our own: 3×3 stem → blocks of k×k conv/BN/ReLU6 candidates (optionally one
 * module shared by all candidates, so they are of exactly equal quality while a latency table
 * prices them differently by `extra.slot`) → global average pooling → dense.
 */
export class FixtureSpace implements SearchSpace {
  readonly name = 'fixture';
  constructor(
    readonly input: InputSpec,
    readonly blocks: readonly FixtureBlock[],
    readonly stem = 4,
  ) {}

  private plan() {
    const [h, w, c] = this.input.shape;
    let shape: Shape = [h, w, this.stem];
    let inC = this.stem;
    const stem: OpSpec = {
      name: 'stem',
      features: { type: 'Conv', input: [h, w, c], output: shape, kernel: 3, stride: 1 },
      build: (rng) => new Sequential('stem', [new Conv2d('stem/conv', c, this.stem, { kernel: 3 }, rng), new BatchNorm('stem/bn', this.stem), relu6()]),
    };
    const blocks = this.blocks.map((b, i) => {
      const input = shape;
      const output: Shape = [Math.ceil(shape[0] / b.stride), Math.ceil(shape[1] / b.stride), b.width];
      const residual = b.stride === 1 && input[2] === b.width;
      const cin = inC;
      const candidates: OpSpec[] = b.kernels.map((k, j) => ({
        name: b.shared ? `c${j}` : `${k}x${k}`,
        features: { type: 'conv', input, output, kernel: k, stride: b.stride, idskip: residual, extra: { slot: j } },
        build: (rng: Rng) =>
          new Sequential(`b${i}/${b.shared ? 'shared' : `${k}x${k}`}`, [
            new Conv2d(`b${i}/${b.shared ? 'shared' : `${k}x${k}`}/conv`, cin, b.width, { kernel: k, stride: b.stride }, rng),
            new BatchNorm(`b${i}/${b.shared ? 'shared' : `${k}x${k}`}/bn`, b.width),
            relu6(),
          ]),
      }));
      if (b.zero && residual) candidates.push({ name: 'zero', features: { type: 'zero', input, output, idskip: true } });
      shape = output;
      inC = b.width;
      return { label: `b${i}`, residual, shared: !!b.shared, candidates };
    });
    const head: OpSpec = {
      name: 'classifier',
      features: { type: 'Logits', input: shape, output: [1, 1, this.input.numClasses] },
      build: (rng) => new Sequential('head', [globalAvgPool(), new Dense('classifier', inC, this.input.numClasses, rng)]),
    };
    return { stem, blocks, head };
  }

  describe(): MixedOpSpec[] {
    return this.plan().blocks.map((b) => ({ label: b.label, candidates: b.candidates }));
  }

  buildSupernet(rng: Rng): Network {
    const { stem, blocks, head } = this.plan();
    const mixed = blocks.map((b) => {
      let shared: Module | undefined;
      const candidates: Candidate[] = b.candidates.map((c) => {
        if (c.features.type === 'zero') return { name: c.name, features: c.features, module: new ZeroOp(`${b.label}/zero`), isZero: true };
        const module = b.shared ? (shared ??= c.build!(rng)) : c.build!(rng);
        return { name: c.name, features: c.features, module };
      });
      return new MixedOp(b.label, candidates, Float32Array.from(candidates, () => rng.normal(0, 1e-3)));
    });
    return new BlockNetwork('fixture-supernet', [stem.build!(rng)], blocks.map((b, i) => ({ label: b.label, body: mixed[i]!, residual: b.residual })), [head.build!(rng)], mixed, [stem, head]);
  }

  buildCompact(_architecture: Architecture): Network {
    throw new Error('fixture space: compact networks are not needed by these tests');
  }
}

const wasmBackend = { name: 'wasm', init: async () => {}, describe: () => ({ backend: 'wasm', device: 'test', details: {} }) };

export interface SearchRun {
  readonly session: SearchSession;
  readonly strategy: BinaryConnectStrategy;
  readonly result: Awaited<ReturnType<SearchSession['run']>>;
}

/**
 * A real search: core's SearchTrainer in a SearchSession (hooks, validation stream, arch steps,
 * checkpoints through the `checkpoint` hook), with this package's strategy.
 */
export async function runSearch(opts: {
  seed: number;
  dataset: Dataset;
  space: SearchSpace;
  strategy: BinaryConnectOptionsInput;
  trainer: Record<string, unknown>;
  latency?: LatencyProvider;
  plugins?: SearchPlugin[];
  resume?: SessionSnapshot;
  log?: (m: string) => void;
  /** Whole-network latency of an architecture on the target (what a measuring provider gives the search). */
  measureLatency?: (architecture: Architecture) => Promise<number>;
}): Promise<SearchRun> {
  const rng = new Rng(opts.seed);
  const network = opts.space.buildSupernet(rng.fork('supernet-init'));
  const latency = opts.latency ? createExpectedLatency(network, opts.latency) : undefined;
  const strategy = new BinaryConnectStrategy(binaryConnectOptions.parse(opts.strategy), rng.fork('strategy'), opts.log);
  const trainer = new SearchTrainer(searchTrainerOptions.parse(opts.trainer), rng.fork('trainer'));
  const session = new SearchSession({
    seed: opts.seed,
    rng,
    backend: wasmBackend,
    dataset: opts.dataset,
    space: opts.space,
    network,
    strategy: strategy as ArchitectureStrategy,
    trainer,
    ...(latency ? { latency } : {}),
    ...(opts.measureLatency ? { measureLatency: opts.measureLatency } : {}),
    plugins: opts.plugins ?? [],
    config: {},
  });
  const result = await session.run(opts.resume);
  return { session, strategy, result };
}

/** Index of the largest entry. */
export const argmax = (p: readonly number[]): number => p.indexOf(Math.max(...p));
