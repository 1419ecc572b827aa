import { builtinPlugins, type PluginRef } from '@proxyless/core';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidJob } from './jobs.js';

/**
 * The default plugin allow-list of a worker: every published (not `private`) `@proxyless/*` package
 * installed next to this one (the node_modules/@proxyless folders from here up to the root).
 */
export function installedProxylessPackages(from: string = dirname(fileURLToPath(import.meta.url))): string[] {
  const found = new Set<string>();
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const scope = join(dir, 'node_modules', '@proxyless');
    if (existsSync(scope)) {
      for (const name of readdirSync(scope)) {
        const manifest = join(scope, name, 'package.json');
        if (name.startsWith('.') || !existsSync(manifest)) continue;
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; private?: boolean };
        if (pkg.private !== true && pkg.name === `@proxyless/${name}`) found.add(pkg.name);
      }
    }
    if (dirname(dir) === dir) break;
  }
  return [...found].sort();
}

/** Names of core's built-in plugins (any kind): always allowed, since they are part of core itself. */
export function builtinPluginNames(): Set<string> {
  return new Set(builtinPlugins.map((d) => d.name));
}

/** Every plugin reference of a config object: the slots and `plugins[]`, with their config paths. */
export function pluginRefsOf(config: Record<string, unknown>): { path: string; use: unknown }[] {
  const refs: { path: string; use: unknown }[] = [];
  const add = (path: string, ref: unknown) => {
    if (ref === undefined) return;
    if (typeof ref === 'string') refs.push({ path, use: ref });
    else if (ref !== null && typeof ref === 'object') refs.push({ path: `${path}.use`, use: (ref as PluginRef).use });
  };
  for (const slot of ['backend', 'data', 'space', 'strategy', 'latency', 'trainer']) add(slot, config[slot]);
  if (Array.isArray(config['plugins'])) config['plugins'].forEach((p, i) => add(`plugins.${i}`, p));
  return refs;
}

/**
 * Rejects a config that names a plugin outside the allow-list: loading a plugin runs its code, so
 * on a worker whoever can enqueue a job could otherwise run any installed package or any file
 * (`use: ./evil.js`). Core's built-ins are always allowed; everything else must be listed exactly.
 */
export function checkPlugins(config: Record<string, unknown>, allow: ReadonlySet<string>, builtins: ReadonlySet<string> = builtinPluginNames()): void {
  const bad = pluginRefsOf(config).filter((r) => typeof r.use !== 'string' || !(builtins.has(r.use) || allow.has(r.use)));
  if (bad.length) {
    throw new InvalidJob(
      `plugins not allowed on this worker: ${bad.map((b) => `config.${b.path}: got ${JSON.stringify(b.use)}`).join('; ')}; expected a core built-in or one of the worker's --allow-plugin packages (${[...allow].join(', ') || 'none'})`,
    );
  }
}

/**
 * Resolves a path from a job payload inside the storage directory; throws `InvalidJob` when it is
 * absolute or leaves it (`..`, or a symbolic link inside that points outside).
 */
export function insideStorage(storageDir: string, path: string, field: string): string {
  const root = resolve(storageDir);
  const target = resolve(root, path);
  const rel = relative(root, target);
  const escapes = (r: string) => r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r);
  if (isAbsolute(path) || rel === '' || escapes(rel)) {
    throw new InvalidJob(`${field}: got ${JSON.stringify(path)}; expected a relative path inside the worker's storage directory`);
  }
  // the deepest existing ancestor must not be a link out of the storage directory
  let probe = target;
  while (!existsSync(probe)) probe = dirname(probe);
  const realRoot = existsSync(root) ? realpathSync(root) : root;
  const realRel = relative(realRoot, realpathSync(probe));
  if (escapes(realRel)) throw new InvalidJob(`${field}: got ${JSON.stringify(path)}; it leads outside the worker's storage directory through a symbolic link`);
  return target;
}
