import { Container, type interfaces } from 'inversify';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Contribution, ModuleDescriptors, PluginKinds, type PluginContext, type PluginDescriptor, type PluginKind } from '../di/plugin.js';
import type { Rng } from '../random/rng.js';
import { ConfigError, problemsFromZod, type ConfigProblem } from './config-error.js';
import type { PluginRef } from './schema.js';

/** A plugin found for a config slot, with its options validated. */
export interface ResolvedPlugin {
  readonly kind: PluginKind;
  readonly descriptor: PluginDescriptor;
  readonly options: unknown;
  /** `builtin` or the resolved module file. */
  readonly from: string;
}

const isContainerModule = (m: unknown): m is interfaces.ContainerModule =>
  typeof m === 'object' && m !== null && typeof (m as { registry?: unknown }).registry === 'function';

/**
 * The plugins a composition can choose from. Core's built-ins and every package a config names are
 * loaded into the composition's own container (once each); a package's plugins are the descriptors
 * its module added to the contribution points (`Contribution[kind]`, multi-bindings).
 */
export class PluginCatalog {
  readonly container: Container;
  readonly builtins: ReadonlyMap<PluginKind, readonly PluginDescriptor[]>;
  private readonly loaded = new Map<interfaces.ContainerModule, Map<PluginKind, PluginDescriptor[]>>();

  /** `builtins`: modules whose plugins a config names by their short names (core's, plus any given in code). */
  constructor(builtins: interfaces.ContainerModule | readonly interfaces.ContainerModule[], container: Container = new Container({ defaultScope: 'Singleton' })) {
    this.container = container;
    const merged = new Map<PluginKind, PluginDescriptor[]>();
    for (const m of Array.isArray(builtins) ? builtins : [builtins]) {
      for (const [kind, ds] of this.load(m)) merged.set(kind, [...(merged.get(kind) ?? []), ...ds]);
    }
    this.builtins = merged;
  }

  /** Loads a plugin package's module into the container (once) and returns what it contributed, by kind. */
  load(module: interfaces.ContainerModule): Map<PluginKind, PluginDescriptor[]> {
    const known = this.loaded.get(module);
    if (known) return known;
    const all = (kind: PluginKind) => (this.container.isBound(Contribution[kind]) ? this.container.getAll<PluginDescriptor>(Contribution[kind]) : []);
    const before = new Map(PluginKinds.map((k) => [k, all(k).length]));
    this.container.load(module);
    const out = new Map<PluginKind, PluginDescriptor[]>();
    for (const kind of PluginKinds) {
      const added = all(kind).slice(before.get(kind));
      if (added.length) out.set(kind, added);
    }
    this.loaded.set(module, out);
    return out;
  }
}

/** Descriptors a ContainerModule binds, by kind (read from `pluginModule`'s record; other modules are loaded into a catalog). */
export function descriptorsOf(module: interfaces.ContainerModule): Map<PluginKind, PluginDescriptor[]> {
  const recorded = (module as unknown as Record<symbol, readonly PluginDescriptor[] | undefined>)[ModuleDescriptors];
  if (!recorded) return new PluginCatalog(module).builtins as Map<PluginKind, PluginDescriptor[]>;
  const out = new Map<PluginKind, PluginDescriptor[]>();
  for (const d of recorded) out.set(d.kind, [...(out.get(d.kind) ?? []), d]);
  return out;
}

/** Where a config's references are resolved: the file (for errors), its folder, the raw text and the catalog. */
export interface ResolveContext {
  readonly file: string;
  readonly configDir: string;
  readonly raw: unknown;
  readonly catalog: PluginCatalog;
}

/** Where a package name is looked up: the config's folder, the working directory, then next to proxyless itself. */
function resolveModule(use: string, configDir: string): string | undefined {
  const bases = [join(configDir, 'noop.js'), join(process.cwd(), 'noop.js'), import.meta.url];
  for (const base of bases) {
    try {
      return createRequire(base).resolve(use);
    } catch {
      // try the next base
    }
  }
  return undefined;
}

/**
 * Finds the plugin a config slot names (built-in first, then an npm package whose default export
 * is a ContainerModule), and validates its options against the plugin's schema.
 */
export async function resolvePlugin(
  ref: PluginRef,
  kind: PluginKind,
  slotPath: readonly (string | number)[],
  ctx: ResolveContext,
): Promise<ResolvedPlugin> {
  const where = slotPath.join('.');
  const fail = (value: string, expected: string, field = 'use'): never => {
    throw new ConfigError(ctx.file, [{ path: `${where}.${field}`, value, expected }]);
  };
  let candidates: readonly PluginDescriptor[];
  let available: ReadonlyMap<PluginKind, readonly PluginDescriptor[]>;
  let from: string;
  const builtins = ctx.catalog.builtins;
  const builtin = (builtins.get(kind) ?? []).filter((d) => d.name === ref.use);
  if (builtin.length > 0) {
    candidates = builtin;
    available = builtins;
    from = 'builtin';
  } else {
    const file = resolveModule(ref.use, ctx.configDir);
    if (!file) {
      const names = (builtins.get(kind) ?? []).map((d) => `"${d.name}"`).join(', ');
      fail(
        JSON.stringify(ref.use),
        `a built-in ${kind} plugin${names ? ` (${names})` : ''} or an installed npm package: package "${ref.use}" could not be resolved from ${ctx.configDir} or ${process.cwd()}. Install it with \`npm install ${ref.use}\``,
      );
    }
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(file!).href)) as { default?: unknown };
    } catch (err) {
      return fail(JSON.stringify(ref.use), `a package that loads; importing ${file} failed: ${(err as Error).message}`);
    }
    if (!isContainerModule(mod.default)) {
      fail(JSON.stringify(ref.use), `a proxyless plugin package whose default export is a ContainerModule (see docs/writing-a-plugin.md); ${file} has none`);
    }
    available = ctx.catalog.load(mod.default as interfaces.ContainerModule);
    candidates = available.get(kind) ?? [];
    from = file!;
  }
  if (ref.name) candidates = candidates.filter((d) => d.name === ref.name);
  if (candidates.length !== 1) {
    const provides = [...available].flatMap(([k, ds]) => ds.map((d) => `${k} "${d.name}"`)).join(', ') || 'nothing';
    if (candidates.length === 0) {
      fail(JSON.stringify(ref.name ?? ref.use), `a ${kind} plugin; "${ref.use}" provides ${provides}`, ref.name ? 'name' : 'use');
    }
    fail('no name', `"name" to pick one of the ${kind} plugins "${ref.use}" provides: ${candidates.map((d) => d.name).join(', ')}`, 'name');
  }
  const descriptor = candidates[0]!;
  const parsed = descriptor.options.safeParse(ref.options ?? {});
  if (!parsed.success) {
    throw new ConfigError(ctx.file, problemsFromZod(parsed.error, ref.options ?? {}, [...slotPath, 'options']));
  }
  return { kind, descriptor, options: parsed.data, from };
}

/** One slot to fill: its key (also the rng fork name), its path in the config, its kind and reference. */
export type SlotRef = readonly [key: string, path: readonly (string | number)[], kind: PluginKind, ref: PluginRef | undefined];

/**
 * Resolves every slot that has a reference and validates its options, then runs each plugin's
 * cross-slot `validate`; all problems of all slots are reported together in one `ConfigError`,
 * before anything is created.
 */
export async function resolveSlots(slots: readonly SlotRef[], ctx: ResolveContext): Promise<Map<string, ResolvedPlugin>> {
  const out = new Map<string, ResolvedPlugin>();
  const problems: ConfigError[] = [];
  for (const [key, path, kind, ref] of slots) {
    if (!ref) continue;
    try {
      out.set(key, await resolvePlugin(ref, kind, path, ctx));
    } catch (err) {
      if (err instanceof ConfigError) problems.push(err);
      else throw err;
    }
  }
  if (problems.length) throw new ConfigError(ctx.file, problems.flatMap((p) => p.problems));
  const crossSlot = validateAcrossSlots(out, slots, ctx.raw);
  if (crossSlot.length) throw new ConfigError(ctx.file, crossSlot);
  return out;
}

/** Runs the `validate` step of every resolved plugin that declares one. */
export function validateAcrossSlots(resolved: ReadonlyMap<string, ResolvedPlugin>, slots: readonly SlotRef[], raw: unknown): ConfigProblem[] {
  const view = new Map([...resolved].map(([key, r]) => [key, { kind: r.kind, name: r.descriptor.name, options: r.options }]));
  const problems: ConfigProblem[] = [];
  for (const [key, path] of slots) {
    const r = resolved.get(key);
    if (!r?.descriptor.validate) continue;
    problems.push(...(r.descriptor.validate(r.options, { slot: path.join('.'), slots: view, raw }) ?? []));
  }
  return problems;
}

/** Creates the plugin of a resolved slot with its validated options and a context whose rng is forked by the slot's key. */
export function pluginCreator(resolved: ReadonlyMap<string, ResolvedPlugin>, base: Omit<PluginContext, 'rng'> & { rng: Rng }) {
  return async <T>(key: string, extra: Partial<PluginContext> = {}): Promise<T> => {
    const r = resolved.get(key);
    if (!r) throw new Error(`no plugin resolved for ${key}`);
    return (await (r.descriptor as PluginDescriptor<T>).create(r.options, { ...base, rng: base.rng.fork(key), ...extra })) as T;
  };
}
