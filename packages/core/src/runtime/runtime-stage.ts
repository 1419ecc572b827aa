import type { interfaces } from 'inversify';
import { Backend } from '../backend/backend.js';
import type { SlotRef } from '../config/resolve-plugin.js';
import type { PluginRef } from '../config/schema.js';
import { DataProvider, type Dataset } from '../data/dataset.js';
import type { Rng } from '../random/rng.js';
import { SearchSpace, type InputSpec } from '../spaces/search-space.js';
import { Composition, type CompositionSource } from './composition.js';
import { runtimeModule } from './runtime-builtins.js';
import { Input, LoadedDataset } from './tokens.js';

/** The slots of the runtime stage: a backend (default `cpu`), data (optional when the input is given) and a space. */
export interface RuntimeRefs {
  readonly backend?: PluginRef;
  readonly data?: PluginRef;
  readonly space: PluginRef;
}

/** The runtime slots as the resolver takes them (key, path in the config, kind, reference). */
export function runtimeSlots(refs: RuntimeRefs, paths: { backend?: (string | number)[] } = {}): SlotRef[] {
  return [
    ['backend', paths.backend ?? ['backend'], 'backend', refs.backend ?? { use: 'cpu', options: {} }],
    ['data', ['data'], 'data', refs.data],
    ['space', ['space'], 'space', refs.space],
  ];
}

/**
 * The runtime stage: backend → data → space. The backend is initialized before anything else is
 * created (no tensor may exist before it); the data is loaded only when someone asks for the input
 * or the dataset; the space is created for the input.
 */
export function bindRuntimeStage(c: Composition, given: { input?: InputSpec } = {}): void {
  c.bindPart<Backend>(Backend, 'backend', {
    init: async (backend) => {
      await backend.init();
      c.source.log(`backend: ${backend.name} on ${backend.describe().device}`);
    },
  });
  if (c.has('data')) {
    c.bindPart<DataProvider>(DataProvider, 'data', { after: [Backend] });
    c.bindDerived<Dataset>(LoadedDataset, async (get) => (await get<DataProvider>(DataProvider)).load());
  }
  c.bindDerived<InputSpec>(Input, async (get) => {
    if (given.input) return given.input;
    if (!c.has('data')) throw new Error(`${c.source.file}: no data slot and no input shape given`);
    return (await get<Dataset>(LoadedDataset)).input;
  });
  c.bindPart<SearchSpace>(SearchSpace, 'space', { after: [Backend], context: async (get) => ({ input: await get<InputSpec>(Input) }) });
}

export interface RuntimeSource extends Omit<CompositionSource, 'log'>, RuntimeRefs {
  /** Input shape and class count, instead of loading the data (then `data` may be omitted). */
  readonly input?: InputSpec;
  readonly log?: (message: string) => void;
}

/** What the runtime stage makes. `dataset` is absent when the input was given instead of data. */
export interface Runtime {
  readonly backend: Backend;
  readonly dataset?: Dataset;
  readonly input: InputSpec;
  readonly space: SearchSpace;
  /** The run's generator (seeded by `seed`); forks of it seed every part. */
  readonly rng: Rng;
}

/**
 * Resolves and validates the runtime slots, then creates backend → data → space. Used by
 * `composeNetwork` (train, eval, inspect, export, the data-parallel workers) and `latency build`;
 * the search stage binds the same stage into its own composition. `modules`: plugin packages given in
 * code, whose plugins a config names by their short names.
 */
export async function composeRuntime(src: RuntimeSource, modules: readonly interfaces.ContainerModule[] = []): Promise<Runtime> {
  const c = new Composition({ ...src, log: src.log ?? ((m: string) => process.stderr.write(`${m}\n`)) }, [runtimeModule, ...modules]);
  await c.resolve(runtimeSlots({ space: src.space, ...(src.backend ? { backend: src.backend } : {}), ...(!src.input && src.data ? { data: src.data } : {}) }));
  bindRuntimeStage(c, src.input ? { input: src.input } : {});
  const backend = await c.get<Backend>(Backend);
  const dataset = c.has('data') ? await c.get<Dataset>(LoadedDataset) : undefined;
  const input = await c.get<InputSpec>(Input);
  const space = await c.get<SearchSpace>(SearchSpace);
  return { backend, ...(dataset ? { dataset } : {}), input, space, rng: c.rng };
}
