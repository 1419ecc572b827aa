import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuBackend } from '../backend/cpu-backend.js';
import type { Dataset, Split } from '../data/dataset.js';
import { BlockNetwork } from '../nn/block-network.js';
import { argmaxArchitecture, probabilitiesOf, sampleFromProbs } from '../nn/gate-sampling.js';
import { Dense, Lambda } from '../nn/layers.js';
import { softmaxCrossEntropy } from '../nn/loss.js';
import { MixedOp } from '../nn/mixed-op.js';
import { Rng } from '../random/rng.js';
import type { Network, SearchSpace } from '../spaces/search-space.js';
import type { ArchitectureStrategy, StrategySetup, StrategyState } from '../strategies/strategy.js';
import type { Trainer } from './search-session.js';
import { SearchSession, type SessionSnapshot } from './search-session.js';

beforeAll(async () => {
  await new CpuBackend().init();
});

/** A real, small space: flatten 2×2×1 → one mixed op of two dense layers (4 → 3). */
class DenseSpace implements SearchSpace {
  readonly name = 'dense';
  readonly input = { shape: [2, 2, 1] as [number, number, number], numClasses: 3 };
  describe() {
    return [];
  }
  buildSupernet(rng: Rng): Network {
    const feat = { type: 'dense', input: [1, 1, 4], output: [1, 1, 3] } as const;
    const op = new MixedOp('b0', [
      { name: 'a', module: new Dense('b0/a', 4, 3, rng), features: feat },
      { name: 'b', module: new Dense('b0/b', 4, 3, rng), features: feat },
    ]);
    const flatten = new Lambda('flatten', (x) => tf.reshape(x, [x.shape[0]!, 4]));
    return new BlockNetwork('net', [flatten], [{ label: 'b0', body: op, residual: false }], [], [op], []);
  }
  buildCompact(): Network {
    throw new Error('not needed here');
  }
}

/** Records the lifecycle calls it receives; its state is a counter and one tensor. */
class RecordingStrategy implements ArchitectureStrategy {
  readonly name = 'recording';
  readonly calls: string[] = [];
  setupWith: StrategySetup | undefined;
  restored: { json: unknown; tensor: number[] } | undefined;
  private ops: StrategySetup['network']['mixedOps'] = [];
  private readonly rng = new Rng(1);
  setup(ctx: StrategySetup): void {
    this.calls.push('setup');
    this.setupWith = ctx;
    this.ops = ctx.network.mixedOps;
  }
  sampleGates() {
    return sampleFromProbs(this.ops, this.rng);
  }
  async archStep() {
    return {};
  }
  derive() {
    return argmaxArchitecture(this.ops);
  }
  probabilities() {
    return probabilitiesOf(this.ops);
  }
  getState(): StrategyState {
    return { json: { count: 7 }, tensors: { m: tf.tensor1d([1, 2]) } };
  }
  setState(state: StrategyState): void {
    this.calls.push('setState');
    this.restored = { json: state.json, tensor: Array.from(state.tensors['m']!.dataSync()) };
  }
}

const emptySplit: Split = { name: 'none', size: 0, numBatches: () => 0, *batches() {} };

function session(trainer: Trainer = { run: async () => Promise.reject(new Error('no trainer')), getState: () => ({ json: { at: 3 }, tensors: {} }) }) {
  const space = new DenseSpace();
  const rng = new Rng(4);
  const network = space.buildSupernet(rng.fork('supernet-init'));
  const strategy = new RecordingStrategy();
  const dataset: Dataset = { input: space.input, train: emptySplit, validation: emptySplit, source: 'none' };
  const s = new SearchSession({ seed: 4, rng, backend: new CpuBackend(), dataset, space, network, strategy, trainer, plugins: [], config: {} });
  return { s, network, strategy, space };
}

const loss = (l: tf.Tensor, y: tf.Tensor1D) => softmaxCrossEntropy(l, y);
const weights = (n: Network) => n.variables().map((v) => Array.from(v.variable.dataSync()));

describe('SearchSession', () => {
  it('prepareStrategy: setup with the session’s network, space and loss; no setState without a snapshot', async () => {
    const { s, network, space, strategy } = session();
    await s.prepareStrategy(loss);
    expect(strategy.calls).toEqual(['setup']);
    expect(strategy.setupWith?.network).toBe(network);
    expect(strategy.setupWith?.space).toBe(space);
    expect(strategy.setupWith?.loss).toBe(loss);
    expect(strategy.setupWith?.latency).toBeUndefined();
  });

  it('a snapshot restores the network, then setup, then setState with the strategy’s part', async () => {
    const { s, network } = session();
    const saved = weights(network);
    const snap: SessionSnapshot = s.snapshot();
    expect(Object.keys(snap.tensors).sort()).toEqual(['net/b0/a/bias', 'net/b0/a/kernel', 'net/b0/alpha', 'net/b0/b/bias', 'net/b0/b/kernel', 'strategy/m']);
    expect(snap.json).toEqual({ trainer: { at: 3 }, strategy: { count: 7 } });
    // a fresh session of the same space (other initial weights) resumes from it
    const other = session();
    other.network.variables().forEach((v) => v.variable.assign(tf.zerosLike(v.variable)));
    other.s.restoreNetwork(snap);
    await other.s.prepareStrategy(loss, snap);
    expect(weights(other.network)).toEqual(saved);
    expect(other.strategy.calls).toEqual(['setup', 'setState']);
    expect(other.strategy.restored).toEqual({ json: { count: 7 }, tensor: [1, 2] });
    tf.dispose(Object.values(snap.tensors));
  });

  it('restoreNetwork names a missing variable and a shape that does not fit', () => {
    const { s, network } = session();
    const snap = s.snapshot();
    const { ['net/b0/b/kernel']: kernel, ...missing } = snap.tensors;
    expect(() => s.restoreNetwork({ ...snap, tensors: missing })).toThrow('checkpoint: has no tensor for network variable b0/b/kernel');
    const wrong = { ...snap, tensors: { ...snap.tensors, 'net/b0/b/kernel': tf.zeros([3, 4]) } };
    expect(() => s.restoreNetwork(wrong)).toThrow('checkpoint: b0/b/kernel has shape [3,4]; the network expects [4,3]');
    expect(network.variables().length).toBe(5);
    tf.dispose([kernel!, ...Object.values(wrong.tensors)]);
  });

  it('run: a trainer’s error reaches the failed hook and the caller; requestStop keeps the first reason', async () => {
    const { s } = session();
    const seen: string[] = [];
    s.hooks.failed.tapPromise('test', async (e) => void seen.push(e.message));
    await expect(s.run()).rejects.toThrow('no trainer');
    expect(seen).toEqual(['no trainer']);
    expect(s.stopRequested).toBeUndefined();
    s.requestStop('SIGINT');
    s.requestStop('later');
    expect(s.stopRequested).toBe('SIGINT');
  });
});
