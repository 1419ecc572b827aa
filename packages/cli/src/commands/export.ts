import * as tf from '@tensorflow/tfjs-core';
import { composeNetwork, loadModelWeights, ModelFiles } from '@proxyless/core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { CommandContext } from './common.js';

export interface ExportOptions {
  readonly out?: string;
  /** Format wanted: `tfjs-layers` (the only one spaces export today). */
  readonly format?: string;
  /** Test examples the exported model must agree on with the trained network (0: no check). */
  readonly check?: string;
  readonly backend?: string;
}

/** `--format` values and the format name `exportModel` reports for each. */
export const EXPORT_FORMATS: Readonly<Record<string, string>> = { 'tfjs-layers': 'tfjs-layers-model' };

/**
 * The model directory to export: `dir` itself when it holds a trained model, or `<dir>/model` when
 * `dir` is a run directory (or the folder of an architecture.json) that `proxyless train` wrote its
 * default model directory into.
 */
export function modelDirOf(dir: string): string {
  const isModel = (d: string) => existsSync(join(d, ModelFiles.architecture)) && existsSync(join(d, ModelFiles.weights));
  if (isModel(dir)) return dir;
  if (isModel(join(dir, 'model'))) return join(dir, 'model');
  if (existsSync(join(dir, ModelFiles.architecture))) {
    throw new UsageError(`export: ${dir} has an ${ModelFiles.architecture} but no trained model (no ${ModelFiles.weights} there or in ${join(dir, 'model')}); train it first: proxyless train ${join(dir, ModelFiles.architecture)}`);
  }
  throw new UsageError(`export: ${dir}: no ${ModelFiles.architecture} (is it a model directory written by \`proxyless train\`, or a run directory with one in model/?)`);
}

/**
 * `proxyless export <model-dir | run-dir>`: saves a trained model in a format other runtimes load, through
 * the space's optional `exportModel` (the mbconv space writes a TF.js LayersModel), checked against
 * the trained network on test examples.
 */
export async function exportCommand(ctx: CommandContext, modelDir: string, opts: ExportOptions): Promise<number> {
  const { out } = ctx;
  const given = resolve(modelDir);
  const format = opts.format === undefined ? undefined : EXPORT_FORMATS[opts.format];
  if (opts.format !== undefined && !format) {
    throw new UsageError(`export: --format: got ${JSON.stringify(opts.format)}; expected ${Object.keys(EXPORT_FORMATS).join(', ')} (the formats spaces export; a net config is not exported yet)`);
  }
  const dir = modelDirOf(given);
  const checkCount = opts.check === undefined ? 256 : Number(opts.check);
  if (!Number.isInteger(checkCount) || checkCount < 0) throw new UsageError(`export: --check: got ${JSON.stringify(opts.check)}; expected an integer ≥ 0`);
  const architectureFile = join(dir, ModelFiles.architecture);
  if (dir !== given) out.info(`exporting the trained model in ${dir}`);
  const { network, dataset, space } = await composeNetwork({
    architectureFile,
    ...(opts.backend ? { backend: { use: opts.backend, options: {} } } : {}),
    log: out.info,
  });
  try {
    if (!space.exportModel) throw new UsageError(`export: the ${space.name} space has no model export (its space plugin offers no exportModel)`);
    loadModelWeights(dir, network);
    const split = dataset.test && dataset.test.size > 0 ? dataset.test : dataset.validation;
    const [batch] = checkCount > 0 && split.size > 0 ? split.batches(Math.min(checkCount, split.size)) : [];
    const target = resolve(opts.out ?? join(dir, 'exported'));
    try {
      const r = await space.exportModel(network, target, batch ? { check: batch.x as tf.Tensor4D } : {});
      if (format && r.format !== format) throw new UsageError(`export: --format ${opts.format}: the ${space.name} space exports ${r.format} only (written to ${r.dir})`);
      out.result(`exported ${r.format} to ${r.dir} (${r.files.join(', ')}, ${r.bytes} bytes)`);
      if (r.agreement !== undefined && batch) out.result(`same prediction as the trained network on ${(100 * r.agreement).toFixed(1)}% of ${batch.x.shape[0]} examples`);
      out.emitJson({ command: 'export', modelDir: dir, ...r, checked: batch ? batch.x.shape[0] : 0 });
    } finally {
      if (batch) tf.dispose([batch.x, batch.y]);
    }
    return 0;
  } finally {
    tf.dispose(network.variables().map((v) => v.variable));
  }
}
