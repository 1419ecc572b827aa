import { z } from 'zod';
import { definePlugin, type PluginContext } from '../di/plugin.js';
import { augmentationFromOption } from './augment.js';
import { buildDataset } from './build-dataset.js';
import { CIFAR10_CLASS_NAMES, findCifar10Files, readCifar10Files } from './cifar10.js';
import { commonDataOptionsShape } from './data-options.js';
import type { DataProvider } from './dataset.js';
import { describeDataset, onceProvider, resolveConfigPath, validationRng } from './idx-data-plugin.js';

const PLUGIN_NAME = 'cifar10';

export const cifar10DataOptions = z
  .object({
    /** The `cifar-10-batches-bin` folder (relative to the config's folder). */
    dir: z.string().min(1),
    ...commonDataOptionsShape,
  })
  .strict();
export type Cifar10DataOptions = z.output<typeof cifar10DataOptions>;

/**
 * CIFAR-10 (Krizhevsky 2009) from its binary distribution: 32×32×3, 10 classes; every
 * `data_batch_<k>.bin` of `dir` is training data, `test_batch.bin` the test split. The paper's
 * training pipeline is `augment: [random-crop, horizontal-flip, cutout]` with per-channel
 * standardization.
 */
export const cifar10DataPlugin = definePlugin({
  kind: 'data',
  name: PLUGIN_NAME,
  description: 'CIFAR-10 from the binary distribution (dir: cifar-10-batches-bin with data_batch_*.bin and test_batch.bin)',
  options: cifar10DataOptions,
  create(options: Cifar10DataOptions, ctx: PluginContext): DataProvider {
    const rng = validationRng(options, ctx);
    return onceProvider(async () => {
      const dir = resolveConfigPath(ctx.configDir, options.dir);
      const files = findCifar10Files(dir);
      const [train, test] = await Promise.all([readCifar10Files(files.train), files.test ? readCifar10Files([files.test]) : undefined]);
      const d = buildDataset({
        train,
        test,
        validation: options.validation,
        rng,
        normalize: options.normalize,
        augment: options.augment.map(augmentationFromOption),
        limit: options.limit,
        classNames: CIFAR10_CLASS_NAMES,
        source: `cifar10 ${dir}: ${[...files.train, ...(files.test ? [files.test] : [])].map((f) => f.slice(dir.length + 1)).join(', ')}`,
      });
      ctx.log(describeDataset(PLUGIN_NAME, d));
      return d;
    });
  },
});
