import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { definePlugin, type PluginContext } from '../di/plugin.js';
import { Rng } from '../random/rng.js';
import type { DataProvider } from './dataset.js';
import { augmentationFromOption } from './augment.js';
import { buildDataset, type InMemoryDataset } from './build-dataset.js';
import { commonDataOptionsShape, idxFilePairSchema, type IdxFilePair } from './data-options.js';
import { readIdxPair } from './idx.js';

const PLUGIN_NAME = 'idx';

export const idxDataOptions = z.object({
  /** Training images (N×H×W or N×H×W×C) and labels; paths relative to the config's folder. */
  train: idxFilePairSchema,
  /** Optional test images and labels. */
  test: idxFilePairSchema.optional(),
  ...commonDataOptionsShape,
  /** Class names; their count is the number of classes (else the largest label + 1). */
  classNames: z.array(z.string()).min(1).optional(),
});
export type IdxDataOptions = z.output<typeof idxDataOptions>;

/** The common options of the data plugins, as the loader needs them. */
export type CommonDataOptions = Pick<IdxDataOptions, 'validation' | 'splitSeed' | 'normalize' | 'augment' | 'limit'>;

/** A path from the options, resolved against the config's folder unless absolute. */
export function resolveConfigPath(configDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(configDir, p);
}

/** The generator of the validation split: `splitSeed` when given, else a fork of the plugin's rng. */
export function validationRng(options: CommonDataOptions, ctx: PluginContext): Rng {
  return options.splitSeed !== undefined ? new Rng(options.splitSeed) : ctx.rng.fork('validation-split');
}

/**
 * Reads IDX train (and test) pairs and builds the dataset from the common options. Used by the
 * `idx` and `fashion-mnist` plugins.
 */
export async function loadIdxDataset(args: {
  readonly train: IdxFilePair;
  readonly test?: IdxFilePair;
  readonly options: CommonDataOptions;
  /** Draws the validation split (see `validationRng`). */
  readonly rng: Rng;
  readonly classNames?: readonly string[];
  readonly source: string;
}): Promise<InMemoryDataset> {
  const numClasses = args.classNames?.length;
  const [train, test] = await Promise.all([
    readIdxPair(args.train.images, args.train.labels, { numClasses }),
    args.test ? readIdxPair(args.test.images, args.test.labels, { numClasses }) : undefined,
  ]);
  const o = args.options;
  return buildDataset({
    train,
    test,
    validation: o.validation,
    rng: args.rng,
    normalize: o.normalize,
    augment: o.augment.map(augmentationFromOption),
    limit: o.limit,
    classNames: args.classNames,
    source: args.source,
  });
}

/** A one-line summary of a loaded dataset for `ctx.log`. */
export function describeDataset(name: string, d: InMemoryDataset): string {
  const [h, w, c] = d.input.shape;
  const sizes = `${d.train.size} train / ${d.validation.size} validation${d.test ? ` / ${d.test.size} test` : ''}`;
  const norm = d.normalization.mean
    ? `, standardized with mean ${d.normalization.mean.map((v) => v.toFixed(4)).join(',')} std ${d.normalization.std!.map((v) => v.toFixed(4)).join(',')}`
    : '';
  return `${name}: ${sizes} images of ${h}×${w}×${c}, ${d.input.numClasses} classes${norm} (${d.source})`;
}

/** Caches the load so that the dataset is read once per provider. */
export function onceProvider(load: () => Promise<InMemoryDataset>): DataProvider {
  let loaded: Promise<InMemoryDataset> | undefined;
  return {
    load() {
      loaded ??= load();
      return loaded;
    },
  };
}

const pairSource = (p: IdxFilePair): string => `${p.images} + ${p.labels}`;

/** Labelled images from MNIST-format IDX files (raw or gzip). */
export const idxDataPlugin = definePlugin({
  kind: 'data',
  name: PLUGIN_NAME,
  description: 'Labelled images from MNIST-format IDX files (raw or gzip): a training pair, an optional test pair.',
  options: idxDataOptions,
  create(options: IdxDataOptions, ctx: PluginContext): DataProvider {
    const train = { images: resolveConfigPath(ctx.configDir, options.train.images), labels: resolveConfigPath(ctx.configDir, options.train.labels) };
    const test = options.test
      ? { images: resolveConfigPath(ctx.configDir, options.test.images), labels: resolveConfigPath(ctx.configDir, options.test.labels) }
      : undefined;
    const rng = validationRng(options, ctx);
    const source = `idx: train ${pairSource(train)}${test ? `; test ${pairSource(test)}` : ''}`;
    return onceProvider(async () => {
      const d = await loadIdxDataset({ train, test, options, rng, classNames: options.classNames, source });
      ctx.log(describeDataset(PLUGIN_NAME, d));
      return d;
    });
  },
});
