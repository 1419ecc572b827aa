import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense } from '../nn/layers.js';
import { Rng } from '../random/rng.js';
import type { Network } from '../spaces/search-space.js';
import { loadTrainCheckpoint, saveTrainCheckpoint, TRAIN_CHECKPOINT_FILE, type TrainIdentity } from './train-checkpoint.js';
import { trainNetworkOptions } from './train-network.js';

const dir = mkdtempSync(join(tmpdir(), 'proxyless-train-ckpt-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// loadTrainCheckpoint reads and writes a network's variables only: a real dense layer stands for one
const asNetwork = (d: Dense) => ({ variables: () => d.variables() }) as unknown as Network;
const options = trainNetworkOptions.parse({ epochs: 4, batchSize: 8, lr: 0.1 });
const id: TrainIdentity = { architecture: { b0: 'k3e3', b1: 'zero' }, seed: 1, options, workers: 2 };
const last = { epoch: 1, epochs: 4, trainLoss: 1, trainAccuracy: 0.5, validationLoss: 1.1, validationAccuracy: 0.4, seconds: 3 };
const values = (d: Dense) => d.variables().map((v) => Array.from(v.variable.dataSync()));

function saved(name: string): { path: string; dense: Dense } {
  const dense = new Dense('fc', 4, 3, new Rng(7));
  const velocity = tf.fill([4, 3], 0.25);
  const path = join(dir, name, TRAIN_CHECKPOINT_FILE);
  saveTrainCheckpoint(path, asNetwork(dense), id, { epochsDone: 2, last, slots: () => ({ 'fc/kernel': velocity }) }, 12.5);
  velocity.dispose();
  return { path, dense };
}

describe('a training checkpoint', () => {
  it('restores the variables, the velocities and where to continue', () => {
    const { path, dense } = saved('same');
    const other = new Dense('fc', 4, 3, new Rng(99));
    expect(values(other)).not.toEqual(values(dense));
    const before = tf.memory().numTensors;
    const r = loadTrainCheckpoint(path, asNetwork(other), id)!;
    expect(values(other)).toEqual(values(dense));
    expect(r.epochsDone).toBe(2);
    expect(r.last).toEqual(last);
    expect(r.seconds).toBe(12.5);
    expect(Object.keys(r.slots)).toEqual(['fc/kernel']);
    expect(Array.from(r.slots['fc/kernel']!.dataSync())).toEqual(Array(12).fill(0.25));
    // only the velocities outlive the call (the caller disposes them)
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose(Object.values(r.slots));
  });

  it('is undefined where there is none', () => {
    expect(loadTrainCheckpoint(join(dir, 'none', TRAIN_CHECKPOINT_FILE), asNetwork(new Dense('fc', 4, 3, new Rng(1))), id)).toBeUndefined();
  });

  it("refuses another training's checkpoint by its header, naming what differs, and loads nothing", () => {
    const { path } = saved('other');
    const net = new Dense('fc', 4, 3, new Rng(5));
    const kept = values(net);
    const before = tf.memory().numTensors;
    expect(() => loadTrainCheckpoint(path, asNetwork(net), { ...id, options: { ...options, lr: 0.2 } })).toThrow(/option lr is 0.1 there and 0.2 here/);
    expect(() => loadTrainCheckpoint(path, asNetwork(net), { ...id, workers: 1 })).toThrow(/workers is 2 there and 1 here/);
    expect(() => loadTrainCheckpoint(path, asNetwork(net), { ...id, architecture: { b0: 'k5e3', b1: 'zero' } })).toThrow(/the architecture is/);
    const wider = new Dense('fc', 5, 3, new Rng(5));
    const afterWider = tf.memory().numTensors;
    expect(() => loadTrainCheckpoint(path, asNetwork(wider), id)).toThrow(/fc\/kernel has shape \[4,3\]; the network expects \[5,3\]/);
    expect(tf.memory().numTensors).toBe(afterWider);
    expect(afterWider - before).toBe(wider.variables().length);
    expect(values(net)).toEqual(kept);
  });
});
