import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkNetworkTensors, loadCheckpoint, readCheckpointHeader, saveCheckpoint } from '../artifacts/checkpoint.js';
import { InputError } from '../config/config-error.js';
import { ModelFiles, readArchitectureFile } from '../runtime/compose-network.js';
import type { Network } from '../spaces/search-space.js';
import type { TrainCheckpointState, TrainEpochInfo, TrainNetworkOptions, TrainResume } from './train-network.js';

/** File name of a training's checkpoint in its model directory (`proxyless train` writes it after every epoch). */
export const TRAIN_CHECKPOINT_FILE = 'train-checkpoint.ckpt';

const FORMAT = 'proxyless-train-checkpoint';

/** What must be the same for a checkpoint to continue a training exactly. */
export interface TrainIdentity {
  /** The derived architecture (block label → candidate name). */
  readonly architecture: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly options: TrainNetworkOptions;
  /** Data-parallel ranks: batch norm sees batch/workers examples per slice, so results depend on it. */
  readonly workers: number;
}

interface Header {
  format: string;
  architecture: Record<string, string>;
  seed: number;
  options: TrainNetworkOptions;
  workers: number;
  epochsDone: number;
  last: TrainEpochInfo;
  /** Seconds of training before this checkpoint (over every run that led to it). */
  seconds: number;
}

/**
 * Saves a checkpoint after an epoch (atomically: temp file + rename): the network's variables
 * (`net/<name>`), the optimizer's velocities (`trainer/<name>`) and the position.
 */
export function saveTrainCheckpoint(path: string, network: Network, id: TrainIdentity, state: TrainCheckpointState, seconds: number): void {
  const tensors: Record<string, tf.Tensor> = {};
  for (const v of network.variables()) tensors[`net/${v.name}`] = v.variable;
  for (const [k, t] of Object.entries(state.slots())) tensors[`trainer/${k}`] = t;
  mkdirSync(dirname(path), { recursive: true });
  const json: Header = { format: FORMAT, architecture: { ...id.architecture }, seed: id.seed, options: id.options, workers: id.workers, epochsDone: state.epochsDone, last: state.last, seconds };
  saveCheckpoint(path, { json, tensors });
}

/**
 * Loads a training checkpoint into `network` (its variables) and returns where to continue, after
 * checking that it was written by the same training: architecture, seed, every option and the
 * worker count. A mismatch is an InputError naming the field, the checkpoint's value and this run's.
 * The caller disposes the returned `slots`. Undefined when there is no file at `path`.
 */
export function loadTrainCheckpoint(path: string, network: Network, id: TrainIdentity): (TrainResume & { readonly seconds: number }) | undefined {
  if (!existsSync(path)) return undefined;
  // everything is checked on the header (no tensor data read) before anything is loaded
  const header = readCheckpointHeader(path);
  const h = header.json as Partial<Header> | null;
  if (!h || typeof h !== 'object' || h.format !== FORMAT) throw new InputError(`${path}: not a training checkpoint (format ${JSON.stringify(h?.format)}; expected "${FORMAT}")`);
  checkSameTraining(path, h, id);
  const epochsDone = h.epochsDone;
  if (typeof epochsDone !== 'number' || !Number.isInteger(epochsDone) || epochsDone < 1 || epochsDone > id.options.epochs) {
    throw new InputError(`${path}: epochsDone is ${JSON.stringify(epochsDone)}; expected an integer in [1, ${id.options.epochs}]`);
  }
  if (!h.last || typeof h.last !== 'object') throw new InputError(`${path}: has no figures of its last epoch (field last); expected a checkpoint written by \`proxyless train\``);
  const shapes = new Map(header.tensors.map((t) => [t.name, t.shape]));
  checkNetworkTensors(network.variables(), (k) => shapes.get(k), path, 'net/');
  const byName = new Map(network.variables().map((v) => [`net/${v.name}`, v.variable]));
  const ckpt = loadCheckpoint(path);
  const slots: Record<string, tf.Tensor> = {};
  for (const [k, t] of Object.entries(ckpt.tensors)) {
    if (k.startsWith('trainer/')) slots[k.slice('trainer/'.length)] = t;
    else {
      byName.get(k)?.assign(t);
      t.dispose();
    }
  }
  return { epochsDone, slots, last: h.last, seconds: typeof h.seconds === 'number' ? h.seconds : 0 };
}

/**
 * Throws an InputError unless `saved` (a checkpoint's header, or a finished model directory's record
 * and metrics) was written by the training `id` describes: same architecture, seed, options and
 * worker count. The message names the first field that differs, with both values.
 */
function checkSameTraining(where: string, saved: { architecture?: Record<string, string>; seed?: unknown; options?: unknown; workers?: unknown }, id: TrainIdentity): void {
  const differs = (field: string, there: unknown, here: unknown): never => {
    throw new InputError(
      `${where}: written by a different training: ${field} is ${JSON.stringify(there)} there and ${JSON.stringify(here)} here; expected the same architecture, seed, options and workers to resume (or train without --resume to start over)`,
    );
  };
  if (JSON.stringify(sorted(saved.architecture ?? {})) !== JSON.stringify(sorted(id.architecture))) differs('the architecture', saved.architecture, id.architecture);
  if (saved.seed !== id.seed) differs('seed', saved.seed, id.seed);
  if (saved.workers !== id.workers) differs('workers', saved.workers, id.workers);
  const was = (saved.options ?? {}) as Record<string, unknown>;
  const now = id.options as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(was), ...Object.keys(now)])) if (JSON.stringify(was[k]) !== JSON.stringify(now[k])) differs(`option ${k}`, was[k], now[k]);
}

/**
 * The metrics of a training that already finished in `modelDir` (its weights, architecture.json and
 * metrics.json are there) when it is the training `id` describes: what `proxyless train --resume`
 * reports instead of training again. Undefined when the directory holds no finished model; an
 * InputError when it holds another training's (see `loadTrainCheckpoint`).
 */
export function readFinishedTraining(modelDir: string, id: TrainIdentity): Record<string, unknown> | undefined {
  const files = [ModelFiles.weights, ModelFiles.architecture, ModelFiles.metrics].map((f) => join(modelDir, f));
  if (!files.every((f) => existsSync(f))) return undefined;
  const record = readArchitectureFile(files[1]!);
  let metrics: Record<string, unknown> | undefined;
  try {
    const v = JSON.parse(readFileSync(files[2]!, 'utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) metrics = v as Record<string, unknown>;
  } catch {
    // reported below
  }
  if (!metrics) throw new InputError(`${files[2]}: not the JSON object \`proxyless train\` writes; expected a finished model directory (or train without --resume to start over)`);
  checkSameTraining(modelDir, { architecture: record.architecture, seed: record.seed, options: metrics['options'], workers: metrics['workers'] }, id);
  return metrics;
}

function sorted(o: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
