import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  Rng,
  coreModule,
  descriptorsOf,
  pluginRefSchema,
  problemsFromZod,
  resolvePlugin,
  z,
  type Backend,
  type DataProvider,
  type InputSpec,
  type PluginContext,
  type PluginDescriptor,
  type PluginKind,
  type PluginRef,
  type SearchSpace,
} from '@proxyless/core';

/**
 * The config of `proxyless latency build|predict`: a search config works as is (its strategy,
 * latency, trainer… are ignored). Only `space` is required; the input shape comes from `input`
 * or, without it, from loading the `data` plugin.
 */
export const latencyConfigSchema = z
  .object({
    seed: z.number().int().min(0).default(1),
    backend: pluginRefSchema.optional(),
    data: pluginRefSchema.optional(),
    space: pluginRefSchema,
    input: z
      .object({
        shape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]).describe('H×W×C of one example'),
        numClasses: z.number().int().positive(),
      })
      .strict()
      .optional()
      .describe('input shape and class count (instead of loading the data)'),
  })
  .passthrough()
  .refine((c) => c.input !== undefined || c.data !== undefined, { message: 'either `input: {shape, numClasses}` or a `data` plugin (to learn the input shape)', path: ['input'] });

export interface ComposedSpace {
  readonly file: string;
  readonly seed: number;
  readonly backend: Backend;
  readonly space: SearchSpace;
  readonly input: InputSpec;
  readonly spaceRef: PluginRef;
}

/** Loads a latency config (JSON or YAML), starts its backend (or `backend`) and creates its space. */
export async function composeLatencySpace(path: string, opts: { backend?: string; log?: (m: string) => void } = {}): Promise<ComposedSpace> {
  const file = resolve(path);
  const log = opts.log ?? (() => {});
  if (!existsSync(file)) throw new ConfigError(file, [{ path: '', value: 'no file', expected: 'an existing JSON or YAML config file with a `space`' }]);
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    raw = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', value: 'unparseable text', expected: `valid JSON or YAML (${(err as Error).message.split('\n')[0]})` }]);
  }
  const parsed = latencyConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, problemsFromZod(parsed.error, raw));
  const c = parsed.data;
  const configDir = dirname(file);
  const ctx = { file, configDir, raw, builtins: descriptorsOf(coreModule) };
  const backendRef: PluginRef = opts.backend ? { use: opts.backend, options: {} } : (c.backend ?? { use: 'cpu', options: {} });
  const slots: [string, PluginKind, PluginRef | undefined][] = [
    ['backend', 'backend', backendRef],
    ['data', 'data', c.input ? undefined : c.data],
    ['space', 'space', c.space],
  ];
  const resolved = new Map<string, { descriptor: PluginDescriptor; options: unknown }>();
  const problems: ConfigError[] = [];
  for (const [slot, kind, ref] of slots) {
    if (!ref) continue;
    try {
      resolved.set(slot, await resolvePlugin(ref, kind, [slot], ctx));
    } catch (err) {
      if (err instanceof ConfigError) problems.push(err);
      else throw err;
    }
  }
  if (problems.length) throw new ConfigError(file, problems.flatMap((p) => p.problems));
  const rng = new Rng(c.seed);
  const create = async <T>(slot: string, extra: Partial<PluginContext> = {}): Promise<T> => {
    const r = resolved.get(slot)!;
    return (await (r.descriptor as PluginDescriptor<T>).create(r.options, { rng: rng.fork(slot), configDir, log, ...extra })) as T;
  };
  const backend = await create<Backend>('backend');
  await backend.init();
  let input: InputSpec;
  if (c.input) input = { shape: c.input.shape, numClasses: c.input.numClasses };
  else input = (await (await create<DataProvider>('data')).load()).input;
  const space = await create<SearchSpace>('space', { input });
  return { file, seed: c.seed, backend, space, input, spaceRef: c.space };
}
