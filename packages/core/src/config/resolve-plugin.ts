import { Container, type interfaces } from 'inversify';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Contribution, PluginKinds, type PluginDescriptor, type PluginKind } from '../di/plugin.js';
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
