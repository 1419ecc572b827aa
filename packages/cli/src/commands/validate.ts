import { loadConfigFile, searchSlots, validateConfig } from '@proxyless/core';
import type { CommandContext } from './common.js';

/** One resolved slot of a config: where it is, which plugin fills it, from where, and its validated options. */
export interface ResolvedSlot {
  readonly slot: string;
  readonly kind: string;
  readonly use: string;
  readonly name: string;
  /** `builtin` or the module file the plugin was loaded from. */
  readonly from: string;
  readonly options: unknown;
}

/**
 * `proxyless validate <config>`: a dry run. Resolves every plugin the config names, validates each
 * slot's options and the cross-slot requirements (core's `validateConfig`: the same checks a search
 * makes before it starts) and prints the resolved config. Creates no backend, loads no data, trains
 * nothing. A bad config throws the one `ConfigError` a search would (exit code 2).
 */
export async function validateCommand(ctx: CommandContext, file: string): Promise<number> {
  const { out } = ctx;
  const loaded = loadConfigFile(file);
  const resolved = await validateConfig(loaded);
  const slots: ResolvedSlot[] = [];
  // The config with every slot's options validated and defaulted, as the search would receive them.
  const config = structuredClone(loaded.config) as Record<string, unknown>;
  for (const [key, path, kind] of searchSlots(loaded.config)) {
    const r = resolved.get(key);
    if (!r) continue; // an empty optional slot (e.g. no latency)
    const ref = path.reduce<Record<string, unknown>>((node, k) => node[k as string] as Record<string, unknown>, config);
    slots.push({ slot: path.join('.'), kind, use: ref['use'] as string, name: r.descriptor.name, from: r.from, options: r.options });
    ref['name'] = r.descriptor.name;
    ref['options'] = r.options;
  }
  const width = Math.max(...slots.map((s) => s.slot.length));
  for (const s of slots) {
    const where = s.from === 'builtin' ? 'built-in' : s.from;
    out.result(`${s.slot.padEnd(width)}  ${s.use}${s.use === s.name ? '' : ` (${s.name})`}  ${where}`);
  }
  out.result(`${loaded.file}: valid (${slots.length} plugins resolved; nothing loaded or trained)`);
  out.emitJson({ command: 'validate', ok: true, file: loaded.file, configDir: loaded.dir, plugins: slots, config });
  return 0;
}
