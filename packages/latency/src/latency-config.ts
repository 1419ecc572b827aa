import { ConfigError, pluginRefSchema, problemsFromZod, readConfigFile, z, type PluginRef, type RuntimeSource } from '@proxyless/core';

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

/**
 * Reads a latency config (JSON or YAML) as the source of core's runtime stage (`composeRuntime`):
 * its backend (or `backend`, a plugin name), its data (only without `input`) and its space.
 */
export function readLatencyConfig(path: string, opts: { backend?: string; log?: (m: string) => void } = {}): RuntimeSource & { spaceRef: PluginRef } {
  const { file, dir: configDir, raw } = readConfigFile(path, 'an existing JSON or YAML config file with a `space`');
  const parsed = latencyConfigSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, problemsFromZod(parsed.error, raw));
  const c = parsed.data;
  const backend: PluginRef | undefined = opts.backend ? { use: opts.backend, options: {} } : c.backend;
  return {
    file,
    configDir,
    raw,
    seed: c.seed,
    ...(backend ? { backend } : {}),
    ...(c.input ? { input: { shape: c.input.shape, numClasses: c.input.numClasses } } : c.data ? { data: c.data } : {}),
    space: c.space,
    spaceRef: c.space,
    log: opts.log ?? (() => {}),
  };
}
