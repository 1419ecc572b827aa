import {
  ConfigError,
  Rng,
  coreModule,
  descriptorsOf,
  pluginCreator,
  pluginRefSchema,
  problemsFromZod,
  readConfigFile,
  resolveSlots,
  z,
  type Backend,
  type DataProvider,
  type InputSpec,
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
  const log = opts.log ?? (() => {});
  const { file, dir: configDir, raw } = readConfigFile(path, 'an existing JSON or YAML config file with a `space`');
  const parsed = latencyConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, problemsFromZod(parsed.error, raw));
  const c = parsed.data;
  const ctx = { file, configDir, raw, builtins: descriptorsOf(coreModule) };
  const backendRef: PluginRef = opts.backend ? { use: opts.backend, options: {} } : (c.backend ?? { use: 'cpu', options: {} });
  const resolved = await resolveSlots(
    [
      ['backend', ['backend'], 'backend', backendRef],
      ['data', ['data'], 'data', c.input ? undefined : c.data],
      ['space', ['space'], 'space', c.space],
    ],
    ctx,
  );
  const rng = new Rng(c.seed);
  const create = pluginCreator(resolved, { rng, configDir, log });
  const backend = await create<Backend>('backend');
  await backend.init();
  let input: InputSpec;
  if (c.input) input = { shape: c.input.shape, numClasses: c.input.numClasses };
  else input = (await (await create<DataProvider>('data')).load()).input;
  const space = await create<SearchSpace>('space', { input });
  return { file, seed: c.seed, backend, space, input, spaceRef: c.space };
}
