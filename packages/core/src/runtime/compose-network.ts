import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../artifacts/atomic.js';
import { loadCheckpoint, saveCheckpoint } from '../artifacts/checkpoint.js';
import type { Backend } from '../backend/backend.js';
import { ConfigError, problemsFromZod } from '../config/config-error.js';
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
  });
  const network = runtime.space.buildCompact(record.architecture, runtime.rng.fork('compact-init'));
  return { backend: runtime.backend, dataset: runtime.dataset!, space: runtime.space, network, record };
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
    for (const v of network.variables()) {
      const t = ckpt.tensors[v.name];
      if (!t) throw new Error(`${path}: no weights for ${v.name}`);
      if (t.shape.join('x') !== v.variable.shape.join('x')) throw new Error(`${path}: ${v.name} has shape [${t.shape}], the network expects [${v.variable.shape}]`);
      v.variable.assign(t);
    }
  } finally {
    tf.dispose(Object.values(ckpt.tensors));
  }
}
