import { ContainerModule, type interfaces } from 'inversify';
import type { z } from 'zod';
import type { ConfigProblem } from '../config/config-error.js';
import type { Rng } from '../random/rng.js';
import type { Architecture } from '../spaces/architecture.js';
import type { InputSpec } from '../spaces/search-space.js';

/** The contribution points a plugin package can bind to. */
export const PluginKinds = ['backend', 'data', 'space', 'strategy', 'latency', 'trainer', 'plugin'] as const;
export type PluginKind = (typeof PluginKinds)[number];

/** Injection tokens, one per contribution point (symbol and interface share a name by convention). */
export const Contribution: Readonly<Record<PluginKind, symbol>> = Object.freeze({
  backend: Symbol.for('proxyless.contribution.backend'),
  data: Symbol.for('proxyless.contribution.data'),
  space: Symbol.for('proxyless.contribution.space'),
  strategy: Symbol.for('proxyless.contribution.strategy'),
  latency: Symbol.for('proxyless.contribution.latency'),
  trainer: Symbol.for('proxyless.contribution.trainer'),
  plugin: Symbol.for('proxyless.contribution.plugin'),
});

/** What a plugin's factory receives besides its validated options. */
export interface PluginContext {
  /** A generator forked for this plugin from the run seed. */
  readonly rng: Rng;
  /** Folder of the config file (relative paths in options resolve against it). */
  readonly configDir: string;
  /** The run directory, when the search writes one. */
  readonly runDir?: string;
  /** Input shape and class count, known once the data plugin has loaded (spaces need it). */
  readonly input?: InputSpec;
  /** Human-readable log line (goes to stderr unless the CLI runs with --json). */
  log(message: string): void;
  /**
   * The config's resolved slots by key (`space`, `data`, …): plugin name, validated options and
   * where the plugin was loaded from (`builtin` or the package's module file). For plugins that
   * rebuild another slot's part elsewhere, e.g. a browser latency provider rebuilding the space in a page.
   */
  readonly slots?: ReadonlyMap<string, { readonly kind: PluginKind; readonly name: string; readonly options: unknown; readonly from: string }>;
}

/**
 * A plugin: a name, an options schema (the single source of its option types) and a factory.
 * `create` receives options already validated and defaulted by `options`.
 */
export interface PluginDescriptor<T = unknown, S extends z.ZodType = z.ZodType> {
  readonly kind: PluginKind;
  /** Short name, unique within its kind in one package (e.g. `wasm`, `uniform`). */
  readonly name: string;
  readonly description: string;
  readonly options: S;
  create(options: z.output<S>, ctx: PluginContext): T | Promise<T>;
  /**
   * Optional: checks requirements across slots (e.g. a strategy with a latency weight needs a
   * `latency:` slot) once every slot's options are validated and before any backend or data loads.
   * Returns the problems found (paths relative to the config root, e.g. `latency`), or nothing;
   * core reports them in the same `ConfigError` as option errors.
   */
  validate?(options: z.output<S>, config: ValidationView): readonly ConfigProblem[] | void;
  /**
   * Optional (spaces): reads an architecture file written by another tool that this space
   * understands (e.g. an official ProxylessNAS net config) into a space and its architecture;
   * `undefined` when the file is not one. `proxyless inspect` asks through it.
   */
  importArchitecture?(file: unknown, options: { readonly resolution?: number }): { readonly space: T; readonly architecture: Architecture } | undefined;
  /**
   * Optional (spaces): the inverse of `importArchitecture`: an architecture of a space this plugin
   * created, as the file another tool reads (e.g. an official ProxylessNAS net config) and
   * `importArchitecture` reads back to the same architecture. `format` names it (the file's `name`).
   * `proxyless export --format net-config` writes it.
   */
  exportArchitecture?(space: T, architecture: Architecture): { readonly format: string; readonly file: Record<string, unknown> };
}

/**
 * A `validate` helper: the problem of a slot the plugin needs but the config leaves empty, in the
 * `ConfigError` format (field, value, expected).
 */
export function requireSlot(view: ValidationView, slot: string, because: string): ConfigProblem[] {
  if (view.slots.has(slot)) return [];
  return [{ path: slot, value: 'nothing (field missing)', expected: `a ${slot} plugin: ${because} (add \`${slot}: { use: … }\` to the config)` }];
}

/** What `validate` sees of the whole config: the slot path of this plugin and every filled slot. */
export interface ValidationView {
  /** Dotted path of this plugin's slot, e.g. `strategy` or `plugins.0`. */
  readonly slot: string;
  /** The filled slots by key (`backend`, `data`, `space`, `strategy`, `latency`, `trainer`, `plugins.<i>`). */
  readonly slots: ReadonlyMap<string, { readonly kind: PluginKind; readonly name: string; readonly options: unknown }>;
  /** The raw config as written (unvalidated parts included). */
  readonly raw: unknown;
}

/** Identity helper that keeps option types inferred from the schema. */
export function definePlugin<T, S extends z.ZodType>(descriptor: PluginDescriptor<T, S>): PluginDescriptor<T, S> {
  return descriptor;
}

/**
 * The default export every plugin package provides: an inversify `ContainerModule` that binds each
 * descriptor to its contribution point.
 */
export function pluginModule(...descriptors: PluginDescriptor<any, any>[]): ContainerModule {
  const module = new ContainerModule((bind: interfaces.Bind) => {
    for (const d of descriptors) bind(Contribution[d.kind]).toConstantValue(d);
  });
  // What the module binds, readable without loading it (listing a package's plugins).
  Object.defineProperty(module, ModuleDescriptors, { value: Object.freeze([...descriptors]) });
  return module;
}

/** Key under which `pluginModule` records the descriptors it binds. */
export const ModuleDescriptors = Symbol.for('proxyless.module.descriptors');
