import { Container, type interfaces } from 'inversify';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Contribution, PluginKinds, type PluginContext, type PluginDescriptor, type PluginKind } from '../di/plugin.js';
import type { Rng } from '../random/rng.js';
import { ConfigError, problemsFromZod } from './config-error.js';
import type { PluginRef } from './schema.js';

/** A plugin found for a config slot, with its options validated. */
export interface ResolvedPlugin {
  readonly descriptor: PluginDescriptor;
  readonly options: unknown;
  /** `builtin` or the resolved module file. */
  readonly from: string;
}

const isContainerModule = (m: unknown): m is interfaces.ContainerModule =>
  typeof m === 'object' && m !== null && typeof (m as { registry?: unknown }).registry === 'function';

/** Descriptors a ContainerModule binds, by kind. */
export function descriptorsOf(module: interfaces.ContainerModule): Map<PluginKind, PluginDescriptor[]> {
  const c = new Container();
  c.load(module);
  const out = new Map<PluginKind, PluginDescriptor[]>();
  for (const kind of PluginKinds) {
    if (c.isBound(Contribution[kind])) out.set(kind, c.getAll<PluginDescriptor>(Contribution[kind]));
  }
  return out;
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
  ctx: { file: string; configDir: string; raw: unknown; builtins: Map<PluginKind, PluginDescriptor[]> },
): Promise<ResolvedPlugin> {
  const where = slotPath.join('.');
  const fail = (value: string, expected: string, field = 'use'): never => {
    throw new ConfigError(ctx.file, [{ path: `${where}.${field}`, value, expected }]);
  };
  let candidates: PluginDescriptor[];
  let available: Map<PluginKind, PluginDescriptor[]>;
  let from: string;
  const builtin = (ctx.builtins.get(kind) ?? []).filter((d) => d.name === ref.use);
  if (builtin.length > 0) {
    candidates = builtin;
    available = ctx.builtins;
    from = 'builtin';
  } else {
    const file = resolveModule(ref.use, ctx.configDir);
    if (!file) {
      const names = (ctx.builtins.get(kind) ?? []).map((d) => `"${d.name}"`).join(', ');
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
    available = descriptorsOf(mod.default as interfaces.ContainerModule);
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
  return { descriptor, options: parsed.data, from };
}

/** One slot to fill: its key (also the rng fork name), its path in the config, its kind and reference. */
export type SlotRef = readonly [key: string, path: readonly (string | number)[], kind: PluginKind, ref: PluginRef | undefined];

/**
 * Resolves every slot that has a reference and validates its options; all problems of all slots are
 * reported together in one `ConfigError`.
 */
export async function resolveSlots(
  slots: readonly SlotRef[],
  ctx: { file: string; configDir: string; raw: unknown; builtins: Map<PluginKind, PluginDescriptor[]> },
): Promise<Map<string, ResolvedPlugin>> {
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
  return out;
}

/** Creates the plugin of a resolved slot with its validated options and a context whose rng is forked by the slot's key. */
export function pluginCreator(resolved: ReadonlyMap<string, ResolvedPlugin>, base: Omit<PluginContext, 'rng'> & { rng: Rng }) {
  return async <T>(key: string, extra: Partial<PluginContext> = {}): Promise<T> => {
    const r = resolved.get(key);
    if (!r) throw new Error(`no plugin resolved for ${key}`);
    return (await (r.descriptor as PluginDescriptor<T>).create(r.options, { ...base, rng: base.rng.fork(key), ...extra })) as T;
  };
}
