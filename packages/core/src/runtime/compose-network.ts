import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../artifacts/atomic.js';
import { assignNetworkTensors, loadCheckpoint, readCheckpointHeader, saveCheckpoint } from '../artifacts/checkpoint.js';
import type { Backend } from '../backend/backend.js';
import { ConfigError, FieldError, InputError, problemsFromZod } from '../config/config-error.js';
import { MAX_CONFIG_BYTES } from '../config/load-config.js';
import { pluginRefSchema, type PluginRef } from '../config/schema.js';
import type { Dataset } from '../data/dataset.js';
import type { Network, SearchSpace } from '../spaces/search-space.js';
import { composeRuntime } from './runtime-stage.js';

/** `architecture.json`: a derived architecture plus what is needed to rebuild it (space, data, backend, seed). */
export const architectureFileSchema = z
  .object({
    space: pluginRefSchema,
    data: pluginRefSchema.optional(),
    backend: pluginRefSchema.optional(),
    seed: z.number().int().min(0).default(1),
    architecture: z.record(z.string(), z.string()),
    $source: z.object({ file: z.string(), dir: z.string() }).optional(),
  })
  .passthrough();
export type ArchitectureFile = z.output<typeof architectureFileSchema>;

export function readArchitectureFile(path: string): ArchitectureFile {
  const file = resolve(path);
  if (!existsSync(file)) throw new ConfigError(file, [{ path: '', value: 'no file', expected: 'an architecture.json written by `proxyless search` or `proxyless derive`' }]);
  const stat = statSync(file);
  if (stat.isDirectory()) throw new ConfigError(file, [{ path: '', value: 'a folder', expected: 'an architecture.json written by `proxyless search` or `proxyless derive`' }]);
  if (stat.size > MAX_CONFIG_BYTES) throw new ConfigError(file, [{ path: '', value: `${stat.size} bytes`, expected: `an architecture.json of at most ${MAX_CONFIG_BYTES} bytes` }]);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: 'unparseable text', expected: `JSON (${(err as Error).message})` }]);
  }
  const r = architectureFileSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(file, problemsFromZod(r.error, raw));
  return r.data;
}

export interface ComposedNetwork {
  readonly backend: Backend;
  readonly dataset: Dataset;
  readonly space: SearchSpace;
  readonly network: Network;
  readonly record: ArchitectureFile;
}

/**
 * Builds the compact network of an architecture file on its backend with its data (either can be
 * overridden), with freshly initialized weights drawn from the record's seed.
 */
export async function composeNetwork(opts: {
  readonly architectureFile: string;
  readonly backend?: PluginRef;
  readonly data?: PluginRef;
  readonly log?: (m: string) => void;
  /** The weights file the network will load (a model directory's weights.ckpt): checked against the architecture before the network is built. */
  readonly weights?: string;
}): Promise<ComposedNetwork> {
  const file = resolve(opts.architectureFile);
  const record = readArchitectureFile(file);
  const data = opts.data ?? record.data;
  if (!data) throw new ConfigError(file, [{ path: 'data', value: 'nothing (field missing)', expected: 'a data plugin reference (or pass one explicitly)' }]);
  const backend = opts.backend ?? record.backend;
  const runtime = await composeRuntime({
    file,
    configDir: record.$source?.dir ?? dirname(file),
    raw: record,
    seed: record.seed,
    ...(backend ? { backend } : {}),
    data,
    space: record.space,
    ...(opts.log ? { log: opts.log } : {}),
  }).catch((err: unknown) => {
    throw err instanceof FieldError ? err.inFile(file) : err;
  });
  checkNetworkSize(file, runtime.space, record.architecture, opts.weights);
  const network = runtime.space.buildCompact(record.architecture, runtime.rng.fork('compact-init'));
  return { backend: runtime.backend, dataset: runtime.dataset!, space: runtime.space, network, record };
}

/** The largest network built from a file (400 MB of float32 weights; ProxylessNAS models have 4–7 M parameters). */
export const MAX_NETWORK_PARAMS = 100_000_000;

/**
 * Bounds a network before it is built: the space's analytic count (`inspect`, no tensors) against
 * `MAX_NETWORK_PARAMS` and, when given, against the values the weights file holds — so a crafted
 * architecture.json cannot make `eval`, `inspect` or `train` allocate gigabytes for minutes, and
 * weights that do not belong to the architecture are named before anything is built.
 */
function checkNetworkSize(file: string, space: SearchSpace, architecture: Record<string, string>, weights: string | undefined): void {
  let params: number | undefined;
  try {
    params = space.inspect?.(architecture).params;
  } catch {
    params = undefined; // an architecture the space rejects: buildCompact names the problem
  }
  if (params !== undefined && !(params <= MAX_NETWORK_PARAMS)) {
    throw new ConfigError(file, [
      { path: 'space.options', value: `options that describe a network of ${params} parameters`, expected: `a network of at most ${MAX_NETWORK_PARAMS} parameters (a crafted or damaged file?)` },
    ]);
  }
  if (weights === undefined || !existsSync(weights)) return;
  const maxBytes = MAX_NETWORK_PARAMS * 4 + MAX_CONFIG_BYTES;
  const size = statSync(weights).size;
  if (size > maxBytes) throw new InputError(`${weights}: ${size} bytes; expected the weights of a network of at most ${MAX_NETWORK_PARAMS} parameters (at most ${maxBytes} bytes)`);
  const header = readCheckpointHeader(weights);
  const values = header.tensors.reduce((n, t) => n + t.shape.reduce((a, d) => a * d, 1), 0);
  // the file holds every variable: the trainable parameters plus at most as many statistics (batch norm's moving mean and variance)
  if (params !== undefined && (values < params || values > 2 * params)) {
    throw new InputError(
      `${weights}: holds ${values} values in ${header.tensors.length} tensors, but ${file} describes a network of ${params} trainable parameters; expected the weights trained for this architecture (between ${params} and ${2 * params} values)`,
    );
  }
}

/** Files of a trained-model directory. */
export const ModelFiles = Object.freeze({ weights: 'weights.ckpt', architecture: 'architecture.json', metrics: 'metrics.json' });

/** Saves a compact network's weights with its architecture record and metrics (each file written atomically). */
export function saveModelDir(dir: string, model: { network: Network; record: ArchitectureFile; metrics?: unknown }): void {
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, tf.Tensor> = {};
  for (const v of model.network.variables()) tensors[v.name] = v.variable;
  saveCheckpoint(join(dir, ModelFiles.weights), { json: { format: 'proxyless-weights', variables: Object.keys(tensors).length }, tensors });
  writeFileAtomic(join(dir, ModelFiles.architecture), JSON.stringify(model.record, null, 2) + '\n');
  if (model.metrics !== undefined) writeFileAtomic(join(dir, ModelFiles.metrics), JSON.stringify(model.metrics, null, 2) + '\n');
}

/** Loads weights saved by `saveModelDir` into a network of the same architecture. */
export function loadModelWeights(dir: string, network: Network): void {
  const path = join(dir, ModelFiles.weights);
  if (!existsSync(path)) throw new Error(`${dir}: no ${ModelFiles.weights} (is it a model directory written by \`proxyless train\`?)`);
  const ckpt = loadCheckpoint(path);
  try {
    assignNetworkTensors(network.variables(), ckpt.tensors, path);
  } finally {
    tf.dispose(Object.values(ckpt.tensors));
  }
}
