import * as tf from '@tensorflow/tfjs-core';
import {
  composeNetwork,
  coreModule,
  countParameters,
  PluginCatalog,
  resolvePlugin,
  type Architecture,
  type PluginDescriptor,
  type SearchSpace,
  type SpaceInspection,
} from '@proxyless/core';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { netConfigLayers, networkLatencyFromTable, type ProxylessNetConfig } from '@proxyless/latency';
import { UsageError } from '../errors.js';
import type { CommandContext } from './common.js';

export interface InspectOptions {
  readonly resolution?: string;
  /** A latency lookup table (official YAML or JSON) to price the net config with. */
  readonly latencyTable?: string;
}

/** The package whose space plugin reads each official net-config format (through its `importArchitecture`), by the file's `name`. */
const NET_CONFIG_SPACES: Readonly<Record<string, string>> = {
  ProxylessNASNets: '@proxyless/space-mbconv',
  PyramidTreeNet: '@proxyless/space-tree-cell',
};

/** The lines of an inspection: the space's own format when it has one, else the counts. */
function inspectionLines(space: SearchSpace, x: SpaceInspection, title: string): string[] {
  if (space.formatInspection) return space.formatInspection(x, title);
  return [`${title}: ${space.name} space`, `params: ${x.params}   MACs: ${x.macs}`];
}

/** A net config read by the space plugin that understands it (resolved by name like a config slot: no import here). */
async function importNetConfig(path: string, json: unknown, resolution: number | undefined, pkg: string): Promise<{ space: SearchSpace; architecture: Architecture }> {
  const catalog = new PluginCatalog(coreModule);
  const { descriptor } = await resolvePlugin({ use: pkg, options: {} }, 'space', ['space'], { file: path, configDir: dirname(path), raw: json, catalog });
  let imported: { space: SearchSpace; architecture: Architecture } | undefined;
  try {
    imported = (descriptor as PluginDescriptor<SearchSpace>).importArchitecture?.(json, resolution === undefined ? {} : { resolution });
  } catch (err) {
    throw new UsageError(`inspect: ${path}: ${(err as Error).message}`);
  }
  if (!imported) throw new UsageError(`inspect: ${path}: ${pkg} does not read this file`);
  return imported;
}

/**
 * `proxyless inspect <net-config.json | architecture.json>`: the network stage by stage (layer,
 * output shape, kernel/expand, skipped blocks), its trainable parameters and multiply-accumulates
 * per image. A `ProxylessNASNets` net config is read by `@proxyless/space-mbconv`, a `PyramidTreeNet`
 * (the CIFAR-10 tree-cell net) by `@proxyless/space-tree-cell`; an
 * architecture.json is rebuilt through its space plugin (on the cpu backend).
 */
export async function inspectCommand(ctx: CommandContext, file: string, opts: InspectOptions): Promise<number> {
  const { out } = ctx;
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`inspect: ${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UsageError(`inspect: ${path} is a folder; expected a net config (JSON) or an architecture.json`);
  let resolution: number | undefined;
  if (opts.resolution !== undefined) {
    resolution = Number(opts.resolution);
    if (!Number.isInteger(resolution) || resolution < 1 || resolution > 8192) throw new UsageError(`inspect: --resolution: got ${JSON.stringify(opts.resolution)}; expected a positive integer of at most 8192`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`inspect: ${path} is not JSON (${(err as Error).message})`);
  }

  const format = typeof json === 'object' && json !== null ? (json as { name?: unknown }).name : undefined;
  const netConfigSpace = typeof format === 'string' && Object.hasOwn(NET_CONFIG_SPACES, format) ? NET_CONFIG_SPACES[format] : undefined;
  if (netConfigSpace !== undefined) {
    const imported = await importNetConfig(path, json, resolution, netConfigSpace);
    if (!imported.space.inspect) throw new UsageError(`inspect: ${path}: the ${imported.space.name} space cannot inspect an architecture`);
    const x = imported.space.inspect(imported.architecture);
    for (const line of inspectionLines(imported.space, x, basename(path))) out.result(line);
    let latency: { latency_ms: number; latency_table: string } | undefined;
    if (opts.latencyTable !== undefined) {
      if (format !== 'ProxylessNASNets') throw new UsageError(`inspect: --latency-table prices ProxylessNASNets net configs (MBConv layers), not a ${String(format)}`);
      const table = resolve(opts.latencyTable);
      if (!existsSync(table)) throw new UsageError(`inspect: --latency-table: ${table}: no such file`);
      // a missing layer is an error that names its key (the table provider lists every missing key)
      const { totalMs } = networkLatencyFromTable(table, netConfigLayers(json as ProxylessNetConfig, resolution ?? 224));
      latency = { latency_ms: totalMs, latency_table: table };
      out.result(`latency: ${totalMs.toFixed(2)} ms (sum over layers, ${basename(table)})`);
    }
    out.emitJson({ command: 'inspect', file: path, kind: 'net-config', space: imported.space.name, ...x, ...(latency ?? {}) });
    return 0;
  }
  if (opts.latencyTable !== undefined) throw new UsageError('inspect: --latency-table applies to net configs (ProxylessNASNets JSON)');

  if (resolution !== undefined) throw new UsageError('inspect: --resolution applies to net configs only (an architecture.json takes its input from its data)');
  const { network, space, record } = await composeNetwork({ architectureFile: path, backend: { use: 'cpu', options: {} }, log: out.info });
  try {
    const params = countParameters(network.variables());
    if (space.inspect) {
      const x = space.inspect(record.architecture);
      if (x.params !== params) throw new Error(`inspect: the space counts ${x.params} parameters but the built network has ${params}`);
      for (const line of inspectionLines(space, x, basename(path))) out.result(line);
      out.emitJson({ command: 'inspect', file: path, kind: 'architecture', space: space.name, ...x });
      return 0;
    }
    // A space without a layer-level inspection: the choices and the parameter count.
    const [h, w, c] = space.input.shape;
    out.result(`${basename(path)}: ${space.name} space, input ${h}×${w}×${c}, ${space.input.numClasses} classes`);
    for (const [label, choice] of Object.entries(record.architecture)) out.result(`  ${label.padEnd(10)} ${choice}`);
    out.result(`params: ${params}   MACs: not known for the ${space.name} space`);
    out.emitJson({ command: 'inspect', file: path, kind: 'architecture', space: space.name, input: space.input, architecture: record.architecture, params, macs: null });
    return 0;
  } finally {
    tf.dispose(network.variables().map((v) => v.variable));
  }
}
