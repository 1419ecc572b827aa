import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../random/rng.js';
import { BlockNetwork } from './block-network.js';
import { toGateTensors } from './gate-sampling.js';
import type { GateSample } from './gates.js';
import { BatchNorm, Conv2d } from './layers.js';
import { MixedOp, type Candidate } from './mixed-op.js';
import type { ForwardContext, Module, NamedVariable } from './module.js';
import { Counting } from '../../test/counting-module.js';

/** conv → batch norm (batch statistics in evaluation, as REINFORCE's rewards use them). */
class ConvBn implements Module {
  constructor(
    readonly name: string,
    readonly conv: Conv2d,
    readonly bn: BatchNorm,
  ) {}
  apply(x: tf.Tensor, ctx: ForwardContext) {
    return this.bn.apply(this.conv.apply(x, ctx), ctx);
  }
  variables(): NamedVariable[] {
    return [...this.conv.variables(), ...this.bn.variables()];
  }
}

const feat = { type: 'conv', input: [6, 6, 3] as const, output: [6, 6, 3] as const };

function makeNetwork() {
  const rng = new Rng(11);
  const convBn = (name: string, k: number) => new ConvBn(name, new Conv2d(`${name}/conv`, 3, 3, { kernel: k }, rng), new BatchNorm(`${name}/bn`, 3));
  const stem = new Counting(convBn('stem', 3));
  const ops = [0, 1, 2].map((b) => {
    const paths = [1, 3, 5].map((k) => new Counting(convBn(`b${b}/k${k}`, k)));
    const candidates: Candidate[] = [
      ...paths.map((m, i) => ({ name: `k${[1, 3, 5][i]}`, module: m, features: feat })),
      { name: 'zero', module: paths[0]!, features: { ...feat, type: 'zero' }, isZero: true },
    ];
    return { op: new MixedOp(`b${b}`, candidates), paths };
  });
  const head = new Counting(convBn('head', 1));
  const network = new BlockNetwork(
    'toy',
    [stem],
    ops.map(({ op }) => ({ label: op.label, body: op, residual: true })),
    [head],
    ops.map(({ op }) => op),
    [],
  );
  return { network, stem, head, paths: ops.map((o) => o.paths) };
}

const sample = (choices: number[]): GateSample => Object.fromEntries(choices.map((c, b) => [`b${b}`, { active: [c], chosen: c }]));

describe('BlockNetwork.applyEach', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('equals apply for every sample, with batch statistics, and runs shared prefixes once', () => {
    const { network, stem, head, paths } = makeNetwork();
    const x = tf.randomNormal([4, 6, 6, 3], 0, 1, 'float32', 3);
    const choices = [
      [0, 1, 2],
      [0, 1, 3], // shares b0, b1 with the first; b2 is zero
      [0, 2, 2], // shares b0
      [1, 1, 2],
      [0, 1, 2], // the same architecture as the first
    ];
    const ctx = { training: false, batchStatistics: true };
    const each = network.applyEach(x, ctx, choices.map(sample));
    expect(stem.calls).toBe(1);
    // b0: two distinct choices; b1: (0,1), (0,2), (1,1); b2: (0,1,2), (0,2,2), (1,1,2) (zero runs no path)
    expect(paths[0]!.map((p) => p.calls)).toEqual([1, 1, 0]);
    expect(paths[1]!.map((p) => p.calls)).toEqual([0, 2, 1]);
    expect(paths[2]!.map((p) => p.calls)).toEqual([0, 0, 3]);
    expect(head.calls).toBe(4); // one per distinct architecture
    expect(new Set(each).size).toBe(choices.length); // one tensor per sample, the caller disposes each
    for (const [i, c] of choices.entries()) {
      const one = tf.tidy(() => network.apply(x, { ...ctx, mode: 'binarized', gates: toGateTensors(network.mixedOps, sample(c)) }));
      expect(tf.max(tf.abs(tf.sub(each[i]!, one))).dataSync()[0]).toBeLessThan(1e-5);
    }
  });

  it('keeps nothing but its outputs', () => {
    const { network } = makeNetwork();
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 4);
    const before = tf.memory().numTensors;
    const each = network.applyEach(x, { training: false, batchStatistics: true }, [sample([0, 0, 0]), sample([2, 1, 0]), sample([2, 1, 0])]);
    expect(tf.memory().numTensors).toBe(before + 3);
    tf.dispose(each);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the mixed op a sample lacks', () => {
    const { network } = makeNetwork();
    expect(() => network.applyEach(tf.ones([1, 6, 6, 3]), { training: false }, [{ b0: { active: [0], chosen: 0 } }])).toThrow(/no entry for mixed op b1/);
  });
});
