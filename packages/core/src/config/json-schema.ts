import type { interfaces } from 'inversify';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { coreModule } from '../builtin-plugins.js';
import type { PluginDescriptor, PluginKind } from '../di/plugin.js';
import { descriptorsOf } from './resolve-plugin.js';

/** A JSON Schema (draft 2020-12) as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** Plugins that a config names by a package (`use`) and that the schema describes. */
export interface SchemaPackage {
  /** What a config writes in `use` (the npm package name). */
  readonly use: string;
  readonly module: interfaces.ContainerModule;
}

/** The official plugin packages: `proxyless schema` describes those installed. */
export const OFFICIAL_PLUGIN_PACKAGES = [
  '@proxyless/backend-wasm',
  '@proxyless/backend-tfjs-node',
  '@proxyless/space-mbconv',
  '@proxyless/space-tree-cell',
  '@proxyless/strategy-binaryconnect',
  '@proxyless/strategy-reinforce',
  '@proxyless/latency',
  '@proxyless/latency-browser',
] as const;

/** The slot of a config that each plugin kind fills, and the plugin a slot takes when `use` is left out. */
const SLOTS: readonly { key: string; kind: PluginKind; defaultUse?: string; required?: boolean; description: string }[] = [
  { key: 'backend', kind: 'backend', defaultUse: 'cpu', description: 'where tensors live: a built-in backend or a backend package (default: cpu)' },
  { key: 'data', kind: 'data', required: true, description: 'the dataset: a built-in data plugin or a data package' },
  { key: 'space', kind: 'space', required: true, description: 'the search space: a space package' },
  { key: 'strategy', kind: 'strategy', required: true, description: 'how the architecture parameters are updated: a strategy package' },
  { key: 'latency', kind: 'latency', description: 'the latency of candidate ops on the target hardware (optional)' },
  { key: 'trainer', kind: 'trainer', defaultUse: 'search', description: 'the search loop (default: the built-in "search" trainer)' },
];

/** The JSON Schema of a plugin's options (its zod schema as written by a user: defaults optional). */
function optionsSchema(d: PluginDescriptor): JsonSchema {
  try {
    const { $schema: _drop, ...s } = z.toJSONSchema(d.options, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
    return s;
  } catch (err) {
    return { description: `options of ${d.kind} "${d.name}" (no JSON Schema: ${(err as Error).message.split('\n')[0]})` };
  }
}

interface Offer {
  readonly use: string;
  readonly descriptor: PluginDescriptor;
  /** Whether `name` must be given (the package has several plugins of this kind). */
  readonly nameRequired: boolean;
  readonly builtin: boolean;
}

/** The plugins on offer for each kind: the built-ins by their names, then each package's by `use` (+ `name`). */
function offers(builtins: readonly interfaces.ContainerModule[], packages: readonly SchemaPackage[]): Map<PluginKind, Offer[]> {
  const out = new Map<PluginKind, Offer[]>();
  const add = (kind: PluginKind, o: Offer) => out.set(kind, [...(out.get(kind) ?? []), o]);
  for (const m of builtins) for (const [kind, ds] of descriptorsOf(m)) for (const d of ds) add(kind, { use: d.name, descriptor: d, nameRequired: false, builtin: true });
  for (const p of packages) {
    for (const [kind, ds] of descriptorsOf(p.module)) for (const d of ds) add(kind, { use: p.use, descriptor: d, nameRequired: ds.length > 1, builtin: false });
  }
  return out;
}

/** One way to fill a slot: `{ use, name?, options? }` with this plugin's options. */
function refSchema(o: Offer, defaultUse: string | undefined): JsonSchema {
  const omitUse = o.builtin && o.use === defaultUse;
  return {
    type: 'object',
    title: o.builtin ? `${o.descriptor.kind} "${o.use}" (built-in)` : `${o.descriptor.kind} "${o.descriptor.name}" of ${o.use}`,
    description: o.descriptor.description,
    properties: {
      use: { const: o.use, description: o.builtin ? 'built-in plugin name' : 'npm package name' },
      name: { const: o.descriptor.name, description: 'which plugin of the package' },
      options: optionsSchema(o.descriptor),
    },
    required: [...(omitUse ? [] : ['use']), ...(o.nameRequired ? ['name'] : [])],
    additionalProperties: false,
  };
}

/** Every way to fill a slot of `kind`: a plugin's short form (`"cpu"`, a package name) or a reference object. */
function slotSchema(list: readonly Offer[], defaultUse: string | undefined, description: string): JsonSchema {
  const shortForms = [...new Set(list.filter((o) => !o.nameRequired).map((o) => o.use))];
  return {
    description,
    anyOf: [
      ...(shortForms.length ? [{ type: 'string', enum: shortForms, description: 'the plugin with its default options' }] : []),
      ...list.map((o) => refSchema(o, defaultUse)),
    ],
  };
}

/**
 * The JSON Schema (draft 2020-12) of a search config file, for editors: the top level of core's
 * config schema, and for every slot the plugins on offer (core's built-ins and each given package's)
 * with the JSON Schema of their options, generated from their zod schemas (`z.toJSONSchema`).
 */
export function searchConfigJsonSchema(packages: readonly SchemaPackage[] = [], builtins: readonly interfaces.ContainerModule[] = [coreModule]): JsonSchema {
  const byKind = offers(builtins, packages);
  const properties: Record<string, JsonSchema> = {
    $schema: { type: 'string', description: 'the JSON Schema of this file (for editors; ignored by proxyless)' },
    seed: { type: 'integer', minimum: 0, default: 1, description: 'seed of every random draw; same seed + backend ⇒ same run' },
  };
  for (const s of SLOTS) properties[s.key] = slotSchema(byKind.get(s.kind) ?? [], s.defaultUse, s.description);
  properties['plugins'] = { type: 'array', description: 'extra plugins that tap the search hooks', items: slotSchema(byKind.get('plugin') ?? [], undefined, 'a hook plugin') };
  properties['output'] = {
    type: 'object',
    properties: {
      dir: { type: 'string', default: 'runs', description: 'parent folder of run directories (relative to the working directory)' },
      name: {
        type: 'string',
        minLength: 1,
        pattern: '^(?!\\.\\.?$)[^/\\\\\\u0000]+$',
        description: 'run directory name inside output.dir, a single path segment: no "/", "\\", "." or ".." (default: config file name + timestamp)',
      },
    },
    additionalProperties: false,
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'proxyless search config',
    description: `A proxyless search config (JSON or YAML). Plugins described: core's built-ins${packages.length ? ` and ${packages.map((p) => p.use).join(', ')}` : ''}.`,
    type: 'object',
    properties,
    required: SLOTS.filter((s) => s.required).map((s) => s.key),
    additionalProperties: false,
  };
}

/**
 * Loads a plugin package's module (its default export) as a config would: resolved from `baseDir`,
 * the working directory, then next to proxyless. `undefined` when it is not installed.
 */
export async function loadPluginPackage(use: string, baseDir: string = process.cwd()): Promise<SchemaPackage | undefined> {
  let file: string | undefined;
  for (const base of [join(baseDir, 'noop.js'), join(process.cwd(), 'noop.js'), import.meta.url]) {
    try {
      file = createRequire(base).resolve(use);
      break;
    } catch {
      // next base
    }
  }
  if (!file) return undefined;
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  const m = mod.default as interfaces.ContainerModule | undefined;
  if (typeof (m as { registry?: unknown } | undefined)?.registry !== 'function') throw new Error(`${use}: not a proxyless plugin package (its default export is not a ContainerModule; see docs/writing-a-plugin.md)`);
  return { use, module: m! };
}
