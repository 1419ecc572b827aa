import { z } from 'zod';

/** A reference to a plugin: a built-in name or an npm package, which plugin of it, and its options. */
export const pluginRefSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { use: v } : v),
  z
    .object({
      use: z.string().min(1).describe('built-in plugin name (e.g. "cpu", "search", "fashion-mnist") or npm package name'),
      name: z.string().min(1).optional().describe('which plugin of the package, when it provides several of this kind'),
      options: z.record(z.string(), z.unknown()).default({}).describe("the plugin's own options, validated by its schema"),
    })
    .strict(),
);
export type PluginRef = z.output<typeof pluginRefSchema>;

/** A slot with a default plugin: omitted, or given without `use`, it means `defaultUse`. */
const slotWithDefault = (defaultUse: string) =>
  z.preprocess((v) => (v === undefined ? { use: defaultUse } : v !== null && typeof v === 'object' && !('use' in v) ? { use: defaultUse, ...v } : v), pluginRefSchema);

/** The search config file (JSON or YAML). */
export const searchConfigSchema = z
  .object({
    $schema: z.string().optional(),
    seed: z.number().int().min(0).default(1).describe('seed of every random draw; same seed + backend ⇒ same run'),
    backend: slotWithDefault('cpu'),
    data: pluginRefSchema,
    space: pluginRefSchema,
    strategy: pluginRefSchema,
    latency: pluginRefSchema.optional(),
    trainer: slotWithDefault('search'),
    plugins: z.array(pluginRefSchema).default([]).describe('extra plugins that tap the search hooks'),
    output: z
      .object({
        dir: z.string().default('runs').describe('parent folder of run directories (relative to the working directory)'),
        name: z
          .string()
          .min(1)
          .refine((n) => n !== '.' && n !== '..' && !/[/\\\0]/.test(n), {
            message: 'a single folder name (no "/", "\\", "." or ".."): the run directory is created inside output.dir',
          })
          .optional()
          .describe('run directory name inside output.dir, a single path segment (default: config file name + timestamp)'),
      })
      .strict()
      .default({ dir: 'runs' }),
  })
  .strict();

export type SearchConfig = z.output<typeof searchConfigSchema>;
export type SearchConfigInput = z.input<typeof searchConfigSchema>;

/** The plugin slots of a config, in the order they are created. */
export const PluginSlots = ['backend', 'data', 'space', 'strategy', 'latency', 'trainer'] as const;
export type PluginSlot = (typeof PluginSlots)[number];

/** A plugin reference as written in a config object: a name, or `{ use, name?, options? }` (`use` may be left out where a slot has a default). */
export type PluginRefInput = string | { readonly use?: string; readonly name?: string; readonly options?: Record<string, unknown> };

/** A search config given as an object (programmatic use): the shape of the config file, checked like it at run time. */
export interface SearchConfigObject {
  readonly $schema?: string;
  readonly seed?: number;
  readonly backend?: PluginRefInput;
  readonly data: PluginRefInput;
  readonly space: PluginRefInput;
  readonly strategy: PluginRefInput;
  readonly latency?: PluginRefInput;
  readonly trainer?: PluginRefInput;
  readonly plugins?: readonly PluginRefInput[];
  readonly output?: { readonly dir?: string; readonly name?: string };
}
