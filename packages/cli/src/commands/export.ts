import * as tf from '@tensorflow/tfjs-core';
import {
  composeNetwork,
  coreModule,
  loadModelWeights,
  ModelFiles,
  PluginCatalog,
  resolvePlugin,
  writeFileAtomic,
  type Architecture,
  type ArchitectureFile,
  type PluginDescriptor,
  type SearchSpace,
} from '@proxyless/core';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { UsageError } from '../errors.js';
import type { CommandContext } from './common.js';

export interface ExportOptions {
  readonly out?: string;
  /** Format wanted: `tfjs-layers` (default: a trained model through the space's `exportModel`) or `net-config` (the architecture, through its plugin's `exportArchitecture`). */
  readonly format?: string;
  /** Test examples the exported model must agree on with the trained network (0: no check). */
  readonly check?: string;
  readonly backend?: string;
}

/** `--format` values and the format name `exportModel` reports for each (`net-config`: the space plugin's own format, e.g. `ProxylessNASNets`). */
export const EXPORT_FORMATS: Readonly<Record<string, string>> = { 'tfjs-layers': 'tfjs-layers-model', 'net-config': 'net-config' };

/** The file `--format net-config` writes into the output folder. */
export const NET_CONFIG_FILE = 'net-config.json';

/**
 * The folder of the architecture to export as a net config: `dir` itself when it holds an
 * architecture.json (a model directory, or a run directory after `proxyless derive`), else `<dir>/model`.
 */
export function architectureDirOf(dir: string): string {
  if (existsSync(join(dir, ModelFiles.architecture))) return dir;
  if (existsSync(join(dir, 'model', ModelFiles.architecture))) return join(dir, 'model');
  throw new UsageError(`export: ${dir}: no ${ModelFiles.architecture} (is it a run directory? derive its architecture first: proxyless derive ${dir})`);
}

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
 * the trained network on test examples; with `--format net-config`, the architecture as its space's
 * official net config (`exportNetConfig`).
 */
export async function exportCommand(ctx: CommandContext, modelDir: string, opts: ExportOptions): Promise<number> {
  const { out } = ctx;
  const given = resolve(modelDir);
  const format = opts.format === undefined || !Object.hasOwn(EXPORT_FORMATS, opts.format) ? undefined : EXPORT_FORMATS[opts.format];
  if (opts.format !== undefined && !format) {
    throw new UsageError(`export: --format: got ${JSON.stringify(opts.format)}; expected ${Object.keys(EXPORT_FORMATS).join(' or ')}`);
  }
  if (opts.format === 'net-config') return exportNetConfig(ctx, given, opts);
  const dir = modelDirOf(given);
  const checkCount = opts.check === undefined ? 256 : Number(opts.check);
  if (!Number.isInteger(checkCount) || checkCount < 0) throw new UsageError(`export: --check: got ${JSON.stringify(opts.check)}; expected an integer ≥ 0`);
  const architectureFile = join(dir, ModelFiles.architecture);
  if (dir !== given) out.info(`exporting the trained model in ${dir}`);
  const { network, dataset, space, record } = await composeNetwork({
    architectureFile,
    ...(opts.backend ? { backend: { use: opts.backend, options: {} } } : {}),
    log: out.info,
  });
  try {
    if (!space.exportModel) throw new UsageError(`export: the ${space.name} space has no model export (its space plugin offers no exportModel)${await netConfigHint(architectureFile, record)}`);
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

/** The descriptor of the space plugin an architecture.json names, resolved as `composeNetwork` does. */
async function spaceDescriptor(file: string, record: ArchitectureFile): Promise<PluginDescriptor<SearchSpace>> {
  const catalog = new PluginCatalog(coreModule);
  const { descriptor } = await resolvePlugin(record.space, 'space', ['space'], { file, configDir: record.$source?.dir ?? dirname(file), raw: record, catalog });
  return descriptor as PluginDescriptor<SearchSpace>;
}

/** ` (it writes a net config: --format net-config)` when the space plugin can, for the no-exportModel error. */
async function netConfigHint(file: string, record: ArchitectureFile): Promise<string> {
  try {
    const d = await spaceDescriptor(file, record);
    return d.exportArchitecture ? '; its architecture exports as a net config: --format net-config' : '';
  } catch {
    return '';
  }
}

/**
 * `proxyless export <dir> --format net-config`: the architecture (no weights needed) in the official
 * net-config format of its space (`ProxylessNASNets` for mbconv, `PyramidTreeNet` for tree-cell),
 * written by the space plugin's `exportArchitecture` and checked by reading it back through the
 * plugin's `importArchitecture` (what `proxyless inspect` does): the same architecture, or an error.
 */
async function exportNetConfig(ctx: CommandContext, given: string, opts: ExportOptions): Promise<number> {
  const { out } = ctx;
  if (opts.check !== undefined) throw new UsageError('export: --check applies to --format tfjs-layers (a net config holds no weights; it is checked by reading it back)');
  const dir = architectureDirOf(given);
  const architectureFile = join(dir, ModelFiles.architecture);
  if (dir !== given) out.info(`exporting the architecture in ${architectureFile}`);
  const { network, space, record } = await composeNetwork({
    architectureFile,
    backend: opts.backend ? { use: opts.backend, options: {} } : { use: 'cpu', options: {} }, // nothing runs: the space only
    log: out.info,
  });
  tf.dispose(network.variables().map((v) => v.variable));
  const descriptor = await spaceDescriptor(architectureFile, record);
  if (!descriptor.exportArchitecture) {
    const supported = space.exportModel ? 'tfjs-layers' : 'none';
    throw new UsageError(`export: --format net-config: the ${space.name} space (${record.space.use}) writes no net config (its space plugin has no exportArchitecture); formats it exports: ${supported}`);
  }
  const { format, file } = descriptor.exportArchitecture(space, record.architecture);
  // read back as `proxyless inspect` does: the same architecture, on the same input size
  const back = descriptor.importArchitecture?.(JSON.parse(JSON.stringify(file)) as unknown, { resolution: space.input.shape[0] });
  if (!back) throw new Error(`export: ${record.space.use} wrote a ${format} file that its importArchitecture does not read back`);
  const same = (a: Architecture, b: Architecture) => isDeepStrictEqual({ ...a }, { ...b });
  if (!same(back.architecture, record.architecture) || !isDeepStrictEqual(back.space.input, space.input)) {
    throw new Error(`export: the ${format} file of ${architectureFile} reads back as a different architecture (${JSON.stringify(back.architecture)}); expected ${JSON.stringify(record.architecture)}`);
  }
  const target = resolve(opts.out ?? join(dir, 'exported'));
  mkdirSync(target, { recursive: true });
  const text = JSON.stringify(file, null, 4) + '\n';
  const path = join(target, NET_CONFIG_FILE);
  writeFileAtomic(path, text);
  const bytes = Buffer.byteLength(text);
  const blocks = Object.keys(record.architecture).length;
  out.result(`exported ${format} net config to ${target} (${NET_CONFIG_FILE}, ${bytes} bytes)`);
  out.result(`read back by ${record.space.use}: the same architecture (${blocks} searched blocks, input ${space.input.shape.join('×')}); inspect it with: proxyless inspect ${path} --resolution ${space.input.shape[0]}`);
  out.emitJson({ command: 'export', modelDir: dir, dir: target, files: [NET_CONFIG_FILE], bytes, format, readBack: 'same architecture', resolution: space.input.shape[0] });
  return 0;
}
