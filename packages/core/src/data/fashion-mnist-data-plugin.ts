import { InputError } from '../config/config-error.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { definePlugin, type PluginContext } from '../di/plugin.js';
import type { DataProvider } from './dataset.js';
import { commonDataOptionsShape, type IdxFilePair } from './data-options.js';
import { describeDataset, loadIdxDataset, onceProvider, resolveConfigPath, validationRng } from './idx-data-plugin.js';

const PLUGIN_NAME = 'fashion-mnist';

/** Where Debian's `dataset-fashion-mnist` package installs the IDX files. */
export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

export const FASHION_MNIST_CLASS_NAMES = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const);

/** The four file names of the original distribution (each may also be present uncompressed). */
export const FASHION_MNIST_FILES = Object.freeze({
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
});

export const fashionMnistDataOptions = z.object({
  /** A folder with the IDX files; when given it is the only place looked at. */
  dir: z.string().min(1).optional(),
  /** Used when neither `dir` nor the system folder is there (e.g. a committed subset). */
  fallbackDir: z.string().min(1).optional(),
  /** Internal (tests): the system folder looked at after `dir`. */
  systemDir: z.string().min(1).default(FASHION_MNIST_SYSTEM_DIR),
  ...commonDataOptionsShape,
});
export type FashionMnistDataOptions = z.output<typeof fashionMnistDataOptions>;

/** The file in `dir` named `name`, gzip name first, else without `.gz`; undefined when neither exists. */
function findFile(dir: string, name: string): string | undefined {
  for (const candidate of [name, name.replace(/\.gz$/, '')]) {
    const p = join(dir, candidate);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The IDX files of a Fashion-MNIST folder, or undefined when it lacks the training pair. */
export function findFashionMnistFiles(dir: string): { train: IdxFilePair; test?: IdxFilePair } | undefined {
  const f = FASHION_MNIST_FILES;
  const trainImages = findFile(dir, f.trainImages);
  const trainLabels = findFile(dir, f.trainLabels);
  if (!trainImages || !trainLabels) return undefined;
  const testImages = findFile(dir, f.testImages);
  const testLabels = findFile(dir, f.testLabels);
  if ((testImages === undefined) !== (testLabels === undefined)) {
    throw new InputError(
      `${PLUGIN_NAME}: ${dir} has ${testImages ? f.testImages : f.testLabels} but not ${testImages ? f.testLabels : f.testImages}; ` +
        'provide both test files or neither',
    );
  }
  return {
    train: { images: trainImages, labels: trainLabels },
    ...(testImages && testLabels ? { test: { images: testImages, labels: testLabels } } : {}),
  };
}

/** Which folder the plugin reads: `dir`, else the system folder, else `fallbackDir`. */
export function locateFashionMnist(
  options: Pick<FashionMnistDataOptions, 'dir' | 'fallbackDir' | 'systemDir'>,
  configDir: string,
): { kind: 'dir' | 'system' | 'fallback'; dir: string; train: IdxFilePair; test?: IdxFilePair } {
  const needed = `${FASHION_MNIST_FILES.trainImages} and ${FASHION_MNIST_FILES.trainLabels} (t10k-* for a test split; gzip or raw)`;
  if (options.dir !== undefined) {
    const dir = resolveConfigPath(configDir, options.dir);
    const files = findFashionMnistFiles(dir);
    if (!files) throw new InputError(`${PLUGIN_NAME}: dir ${dir} does not hold the Fashion-MNIST IDX files: expected ${needed}`);
    return { kind: 'dir', dir, ...files };
  }
  const looked: string[] = [];
  const system = options.systemDir;
  const systemFiles = findFashionMnistFiles(system);
  if (systemFiles) return { kind: 'system', dir: system, ...systemFiles };
  looked.push(`${system} (Debian package dataset-fashion-mnist)`);
  if (options.fallbackDir !== undefined) {
    const dir = resolveConfigPath(configDir, options.fallbackDir);
    const files = findFashionMnistFiles(dir);
    if (files) return { kind: 'fallback', dir, ...files };
    looked.push(`${dir} (fallbackDir)`);
  }
  throw new InputError(
    `${PLUGIN_NAME}: no Fashion-MNIST IDX files found; expected ${needed} in ${looked.join(' or ')}. ` +
      'Install them with `apt-get install dataset-fashion-mnist`, or set `dir` to a folder holding the IDX files ' +
      '(https://github.com/zalandoresearch/fashion-mnist).',
  );
}

/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017): 28×28×1 grayscale, 10 classes. Reads `dir` when
 * given, else the Debian package's folder, else `fallbackDir`.
 */
export const fashionMnistDataPlugin = definePlugin({
  kind: 'data',
  name: PLUGIN_NAME,
  description: `Fashion-MNIST from \`dir\`, else ${FASHION_MNIST_SYSTEM_DIR} (apt-get install dataset-fashion-mnist), else \`fallbackDir\`.`,
  options: fashionMnistDataOptions,
  create(options: FashionMnistDataOptions, ctx: PluginContext): DataProvider {
    const rng = validationRng(options, ctx);
    return onceProvider(async () => {
      const found = locateFashionMnist(options, ctx.configDir);
      const files = [found.train.images, found.train.labels, ...(found.test ? [found.test.images, found.test.labels] : [])];
      const source = `fashion-mnist (${found.kind} ${found.dir}): ${files.join(', ')}`;
      const d = await loadIdxDataset({
        train: found.train,
        test: found.test,
        options,
        rng,
        classNames: FASHION_MNIST_CLASS_NAMES,
        source,
      });
      ctx.log(describeDataset(PLUGIN_NAME, d));
      return d;
    });
  },
});
