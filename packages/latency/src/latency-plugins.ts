import { isAbsolute, resolve } from 'node:path';
import { definePlugin, z, type LatencyProvider } from '@proxyless/core';
import { FlopsLatencyProvider } from './flops.js';
import { LookupTableLatencyProvider } from './lookup-table-provider.js';
import { mobileLatencyProvider } from './mobile.js';
import { LatencyPredictor, PredictorLatencyProvider } from './predictor.js';

const at = (dir: string, p: string) => (isAbsolute(p) ? p : resolve(dir, p));

export const lookupTableOptions = z
  .object({
    table: z.string().min(1).describe('latency table file: .yaml (official ProxylessNAS format) or .json; relative to the config file'),
    target: z.string().min(1).default('table').describe('name of the target the table stands for (cpu, gpu, my-phone, …)'),
  })
  .strict();

/** `latency: { use: "@proxyless/latency", name: table, options: { table: my-device.yaml } }` */
export const lookupTablePlugin = definePlugin({
  kind: 'latency',
  name: 'table',
  description: 'Latency from a lookup table (official ProxylessNAS YAML or JSON); every candidate must have an entry',
  options: lookupTableOptions,
  create: (o, ctx): LatencyProvider => LookupTableLatencyProvider.fromFile(at(ctx.configDir, o.table), o.target),
});

/** `latency: { use: "@proxyless/latency", name: mobile }`: the shipped Google Pixel 1 table. */
export const mobileLatencyPlugin = definePlugin({
  kind: 'latency',
  name: 'mobile',
  description: 'Google Pixel 1 latency (TF-Lite, batch 1) from the ProxylessNAS table shipped with this package',
  options: z.object({}).strict(),
  create: (): LatencyProvider => mobileLatencyProvider(),
});

/** `latency: { use: "@proxyless/latency", name: flops }`: analytic MACs, unit mflops. */
export const flopsLatencyPlugin = definePlugin({
  kind: 'latency',
  name: 'flops',
  description: 'Analytic multiply-accumulates of every candidate (unit mflops), no measurement',
  options: z.object({}).strict(),
  create: (): LatencyProvider => new FlopsLatencyProvider(),
});

export const predictorOptions = z
  .object({
    predictor: z.string().min(1).describe('predictor file written by `proxyless latency predict` (predictor.json); relative to the config file'),
    target: z.string().min(1).optional().describe('target name (default: the one stored in the predictor)'),
  })
  .strict();

/** `latency: { use: "@proxyless/latency", name: predictor, options: { predictor: out/predictor.json } }` */
export const predictorPlugin = definePlugin({
  kind: 'latency',
  name: 'predictor',
  description: 'Fitted latency predictor (table sum + learned correction; prices shapes missing from the table)',
  options: predictorOptions,
  create: (o, ctx): LatencyProvider => new PredictorLatencyProvider(LatencyPredictor.load(at(ctx.configDir, o.predictor)), o.target),
});
