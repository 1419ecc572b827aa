import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, problemsFromZod } from './config-error.js';
import { searchConfigSchema, type SearchConfig } from './schema.js';

export interface LoadedConfig {
  readonly file: string;
  /** Folder that relative paths in plugin options resolve against. */
  readonly dir: string;
  readonly raw: unknown;
  readonly config: SearchConfig;
}

/**
 * Reads a JSON (by extension) or YAML file, unvalidated; a missing or unparseable file is a
 * `ConfigError` naming it. `expected` says what the file should be, for the missing-file message.
 */
/** The largest config or architecture file read (they are a few KiB; anything larger is not one). */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export function readConfigFile(path: string, expected = 'an existing JSON or YAML config file'): { file: string; dir: string; raw: unknown } {
  const file = resolve(path);
  if (!existsSync(file)) throw new ConfigError(file, [{ path: '', value: 'no file', expected }]);
  const stat = statSync(file);
  if (stat.isDirectory()) throw new ConfigError(file, [{ path: '', value: 'a folder', expected }]);
  if (stat.size > MAX_CONFIG_BYTES) throw new ConfigError(file, [{ path: '', value: `${stat.size} bytes`, expected: `${expected} of at most ${MAX_CONFIG_BYTES} bytes` }]);
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: 'unparseable text', expected: `valid ${extname(file) === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})` }]);
  }
  return { file, dir: dirname(file), raw };
}

/** Reads a JSON or YAML config file and validates its top level (plugin options are checked later by each plugin). */
export function loadConfigFile(path: string): LoadedConfig {
  const { file, dir, raw } = readConfigFile(path);
  return { file, dir, raw, config: parseConfig(raw, file) };
}

/** What a config given as an object is called in errors and in the stored run config. */
export const CONFIG_OBJECT_FILE = '<config object>';

/**
 * A config given as an object (programmatic use) instead of a file: validated like a file's;
 * `baseDir` is the folder that relative paths in plugin options resolve against (default: the
 * working directory), as a config file's folder does for a file.
 */
export function loadConfigObject(raw: unknown, baseDir: string = process.cwd()): LoadedConfig {
  // a deep copy: the caller's object is neither kept nor changed
  const copy: unknown = raw === undefined ? undefined : JSON.parse(JSON.stringify(raw));
  return { file: CONFIG_OBJECT_FILE, dir: resolve(baseDir), raw: copy, config: parseConfig(copy, CONFIG_OBJECT_FILE) };
}

/** Validates a config object (already parsed); `file` only names it in errors. */
export function parseConfig(raw: unknown, file = '<config>'): SearchConfig {
  const r = searchConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(file, problemsFromZod(r.error, raw));
  return r.data;
}
