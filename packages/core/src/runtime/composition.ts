import { Container, type interfaces } from 'inversify';
import { PluginCatalog, resolveSlots, type ResolvedPlugin, type SlotRef } from '../config/resolve-plugin.js';
import type { PluginContext } from '../di/plugin.js';
import { Rng } from '../random/rng.js';

/** What a part is bound to: a symbol (`Backend`, `SearchSpace`, …) or a class. */
export type Token = interfaces.ServiceIdentifier<unknown>;

/** Where a composition's config came from and what every plugin's context shares. */
export interface CompositionSource {
  /** The config (or architecture) file, named in errors. */
  readonly file: string;
  /** Folder relative paths in plugin options resolve against. */
  readonly configDir: string;
  /** The config as written (unvalidated), for error values and `validate`. */
  readonly raw: unknown;
  /** Seed of the run; every slot's rng is forked from it by the slot's key. */
  readonly seed: number;
  readonly runDir?: string;
  readonly log: (message: string) => void;
}

/** How a part is created from its slot: what must exist first, and what its context gets beyond the shared one. */
export interface PartRecipe<T> {
  /** Tokens resolved (in order) before the part is created, e.g. the backend: no tensor may exist before it. */
  readonly after?: readonly Token[];
  /** Extra context injected into the plugin's factory, e.g. a space's `input`. */
  readonly context?: (get: <U>(token: Token) => Promise<U>) => Promise<Partial<PluginContext>>;
  /** Runs once on the created part, before anyone receives it (e.g. `backend.init()`). */
  readonly init?: (part: T, get: <U>(token: Token) => Promise<U>) => Promise<void>;
}

/**
 * One composition: an inversify container in which the config's slots are resolved (descriptors
 * loaded from core and from each named package), and stages bind the parts those slots make.
 * Parts are created lazily, by asking the container for a token; each receives what it depends on
 * from the container. Domain code never sees it: it gets the parts.
 */
export class Composition {
  readonly container: Container;
  readonly catalog: PluginCatalog;
  readonly rng: Rng;
  private resolved = new Map<string, ResolvedPlugin>();

  constructor(readonly source: CompositionSource, builtins: interfaces.ContainerModule | readonly interfaces.ContainerModule[]) {
    this.container = new Container({ defaultScope: 'Singleton' });
    this.catalog = new PluginCatalog(builtins, this.container);
    this.rng = new Rng(source.seed);
  }

  /** Resolves the slots (options and cross-slot `validate` included; one `ConfigError` for all problems). */
  async resolve(slots: readonly SlotRef[]): Promise<ReadonlyMap<string, ResolvedPlugin>> {
    const { file, configDir, raw } = this.source;
    const found = await resolveSlots(slots, { file, configDir, raw, catalog: this.catalog });
    for (const [key, r] of found) this.resolved.set(key, r);
    return found;
  }

  /** Whether a slot was filled by the config. */
  has(key: string): boolean {
    return this.resolved.has(key);
  }

  /** Slot keys in resolution order. */
  keys(): string[] {
    return [...this.resolved.keys()];
  }

  /** Binds the part a slot's plugin creates to `token` (several slots may bind one token: a multi-binding). */
  bindPart<T>(token: Token, key: string, recipe: PartRecipe<T> = {}): void {
    const r = this.resolved.get(key);
    if (!r) throw new Error(`composition: no plugin resolved for slot ${key}`);
    const { configDir, runDir, log } = this.source;
    this.bindDerived<T>(token, async (get) => {
      for (const t of recipe.after ?? []) await get(t);
      const extra = recipe.context ? await recipe.context(get) : {};
      const slots = new Map([...this.resolved].map(([k, s]) => [k, { kind: s.kind, name: s.descriptor.name, options: s.options, from: s.from }]));
      const context: PluginContext = { rng: this.rng.fork(key), configDir, ...(runDir ? { runDir } : {}), log, slots, ...extra };
      const part = (await r.descriptor.create(r.options, context)) as T;
      await recipe.init?.(part, get);
      return part;
    });
  }

  /** Binds a part derived from other parts (not a slot of the config); created once, on first request. */
  bindDerived<T>(token: Token, make: (get: <U>(token: Token) => Promise<U>) => Promise<T>): void {
    this.container.bind<Lazy<T>>(token).toDynamicValue(() => new Lazy(() => make((t) => this.get(t))));
  }

  /** The part bound to `token` (created, with what it depends on, on first request). */
  get<T>(token: Token): Promise<T> {
    return this.container.get<Lazy<T>>(token).value();
  }

  /** Every part bound to a multi-binding token, created one after the other in binding order. */
  async getAll<T>(token: Token): Promise<T[]> {
    const out: T[] = [];
    if (this.container.isBound(token)) for (const lazy of this.container.getAll<Lazy<T>>(token)) out.push(await lazy.value());
    return out;
  }
}

/**
 * A part created on first request. The container holds this (a plain value) rather than a promise:
 * inversify 6 rethrows a rejected singleton promise as an unhandled rejection.
 */
class Lazy<T> {
  private promise: Promise<T> | undefined;
  constructor(private readonly make: () => Promise<T>) {}
  value(): Promise<T> {
    if (!this.promise) {
      this.promise = this.make();
      this.promise.catch(() => {}); // awaited by the requester; no unhandled rejection for a part that failed
    }
    return this.promise;
  }
}
