import { composeNetwork, evaluateNetwork, loadModelWeights, ModelFiles, type Split } from '@proxyless/core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { num } from '../format.js';
import type { CommandContext } from './common.js';

export const EVAL_SPLITS = ['test', 'validation', 'train'] as const;
export type EvalSplit = (typeof EVAL_SPLITS)[number];

export interface EvalOptions {
  readonly split?: EvalSplit;
  readonly batchSize?: string;
  readonly backend?: string;
}

/** `proxyless eval <model-dir>`: loss and accuracy of a trained model on a split. */
export async function evalCommand(ctx: CommandContext, modelDir: string, opts: EvalOptions): Promise<number> {
  const { out } = ctx;
  const dir = resolve(modelDir);
  const batchSize = opts.batchSize === undefined ? 256 : Number(opts.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`eval: --batch-size: got ${JSON.stringify(opts.batchSize)}; expected a positive integer`);
  const architectureFile = join(dir, ModelFiles.architecture);
  if (!existsSync(architectureFile)) throw new Error(`${dir}: no ${ModelFiles.architecture} (is it a model directory written by \`proxyless train\`?)`);
  const { network, dataset } = await composeNetwork({
    architectureFile,
    weights: join(dir, ModelFiles.weights),
    ...(opts.backend ? { backend: { use: opts.backend, options: {} } } : {}),
    log: out.info,
  });
  loadModelWeights(dir, network);
  const splitName: EvalSplit = opts.split ?? 'test';
  const split: Split | undefined = splitName === 'test' ? dataset.test : dataset[splitName];
  if (!split || split.size === 0) {
    throw new Error(`eval: the dataset (${dataset.source}) has no ${splitName} split${splitName === 'test' ? '; pass --split validation' : ''}`);
  }
  const r = evaluateNetwork(network, split, batchSize);
  out.result(`${splitName}: loss ${num(r.loss)}  accuracy ${num(r.accuracy)}  count ${r.count}`);
  out.emitJson({ command: 'eval', modelDir: dir, split: splitName, ...r });
  return 0;
}
