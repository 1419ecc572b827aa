import * as tf from '@tensorflow/tfjs-core';
import { composeNetwork, countParameters, type Architecture, type InputSpec } from '@proxyless/core';
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { netConfigLayers, networkLatencyFromTable, type ProxylessNetConfig } from '@proxyless/latency';
import { UsageError } from '../errors.js';
import type { CommandContext } from './common.js';

export interface InspectOptions {
  readonly resolution?: string;
  /** A latency lookup table (official YAML or JSON) to price the net config with. */
  readonly latencyTable?: string;
}

/** What `inspect` needs of a space's inspection (`@proxyless/space-mbconv`'s `Inspection`). */
interface Inspection {
  readonly input: InputSpec;
  readonly architecture: Architecture;
  readonly params: number;
  readonly macs: number;
  readonly stages: readonly unknown[];
  readonly layers: readonly unknown[];
  readonly blocks: { readonly total: number; readonly skipped: number };
}

/** The part of `@proxyless/space-mbconv` this command uses (loaded on demand: the CLI does not depend on it). */
interface MBConvApi {
  readNetConfig(json: unknown, opts?: { resolution?: number }): { space: { inspect(a: Architecture): Inspection }; architecture: Architecture };
  formatInspection(x: Inspection, title?: string): string[];
}

const MBCONV = '@proxyless/space-mbconv';

async function loadMBConv(): Promise<MBConvApi> {
  try {
    return (await import(MBCONV)) as MBConvApi;
  } catch (err) {
    throw new Error(`inspect: reading this file needs ${MBCONV} (npm install ${MBCONV}): ${(err as Error).message}`);
  }
}

/**
 * `proxyless inspect <net-config.json | architecture.json>`: the network stage by stage (layer,
 * output shape, kernel/expand, skipped blocks), its trainable parameters and multiply-accumulates
 * per image. A `ProxylessNASNets` net config is read by `@proxyless/space-mbconv`; an
 * architecture.json is rebuilt through its space plugin (on the cpu backend).
 */
export async function inspectCommand(ctx: CommandContext, file: string, opts: InspectOptions): Promise<number> {
  const { out } = ctx;
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`inspect: ${path}: no such file`);
  let resolution: number | undefined;
  if (opts.resolution !== undefined) {
    resolution = Number(opts.resolution);
    if (!Number.isInteger(resolution) || resolution < 1) throw new UsageError(`inspect: --resolution: got ${JSON.stringify(opts.resolution)}; expected a positive integer`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`inspect: ${path} is not JSON (${(err as Error).message})`);
  }

  if (typeof json === 'object' && json !== null && (json as { name?: unknown }).name === 'ProxylessNASNets') {
    const mb = await loadMBConv();
    let imported: ReturnType<MBConvApi['readNetConfig']>;
    try {
      imported = mb.readNetConfig(json, resolution === undefined ? {} : { resolution });
    } catch (err) {
      throw new UsageError(`inspect: ${path}: ${(err as Error).message}`);
    }
    const x = imported.space.inspect(imported.architecture);
    for (const line of mb.formatInspection(x, basename(path))) out.result(line);
    let latency: { latency_ms: number; latency_table: string } | undefined;
    if (opts.latencyTable !== undefined) {
      const table = resolve(opts.latencyTable);
      if (!existsSync(table)) throw new UsageError(`inspect: --latency-table: ${table}: no such file`);
      // a missing layer is an error that names its key (the table provider lists every missing key)
      const { totalMs } = networkLatencyFromTable(table, netConfigLayers(json as ProxylessNetConfig, resolution ?? 224));
      latency = { latency_ms: totalMs, latency_table: table };
      out.result(`latency: ${totalMs.toFixed(2)} ms (sum over layers, ${basename(table)})`);
    }
    out.emitJson({ command: 'inspect', file: path, kind: 'net-config', space: 'mbconv', ...x, ...(latency ?? {}) });
    return 0;
  }
  if (opts.latencyTable !== undefined) throw new UsageError('inspect: --latency-table applies to net configs (ProxylessNASNets JSON)');

  if (resolution !== undefined) throw new UsageError('inspect: --resolution applies to net configs only (an architecture.json takes its input from its data)');
  const { network, space, record } = await composeNetwork({ architectureFile: path, backend: { use: 'cpu', options: {} }, log: out.info });
  try {
    const params = countParameters(network.variables());
    const inspectable = space as unknown as { inspect?: (a: Architecture) => Inspection };
    if (typeof inspectable.inspect === 'function') {
      const x = inspectable.inspect(record.architecture);
      if (x.params !== params) throw new Error(`inspect: the space counts ${x.params} parameters but the built network has ${params}`);
      const mb = await loadMBConv();
      for (const line of mb.formatInspection(x, basename(path))) out.result(line);
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
