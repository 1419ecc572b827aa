import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportedModel, ExportModelOptions, Network } from '../spaces/search-space.js';
import { writeFileAtomic } from './atomic.js';
import { LAYERS_MODEL_FORMAT, LayersModelFiles, type LoadedLayersModel, type SavableLayersModel } from './layers-model-format.js';

export { LayersModelFiles, LAYERS_MODEL_FORMAT, type SavableLayersModel, type LoadedLayersModel, type LayersModelLike } from './layers-model-format.js';

// A TF.js LayersModel directory on disk (`model.json` + `weights.bin`), the format every space's
// `exportModel` writes. Core does not depend on @tensorflow/tfjs-layers: a space builds the model
// and hands it (or its loader) here.


/**
 * Loads @tensorflow/tfjs-layers, an optional peer dependency of the spaces that export a LayersModel:
 * `load` is the space's own `() => import('@tensorflow/tfjs-layers')` (so it resolves from the space's
 * package). When the package is not installed, the error says what needs it and the exact install line.
 */
export async function importTfjsLayers<T>(load: () => Promise<T>, neededBy: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    if ((e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && String(e.message).includes('@tensorflow/tfjs-layers')) {
      throw new Error(
        `${neededBy}: exporting a TF.js LayersModel needs @tensorflow/tfjs-layers@${tf.version_core}, an optional peer dependency that is not installed; ` +
          `install it next to proxyless with \`npm install @tensorflow/tfjs-layers@${tf.version_core}\``,
      );
    }
    throw err;
  }
}


/**
 * Saves `model` (and disposes it) as a LayersModel directory, each file written atomically. In a
 * browser, `tf.loadLayersModel('<url>/model.json')` loads it; in Node (without tfjs-node's
 * `file://`), pass `layersModelDirHandler(dir)`.
 */
export async function saveLayersModelDir(model: SavableLayersModel, dir: string, convertedBy: string): Promise<{ dir: string; files: string[]; bytes: number }> {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(artifacts.weightData).slice();
        bytes = data.byteLength;
        writeFileAtomic(join(dir, LayersModelFiles.weights), new Uint8Array(data));
        const modelJson = {
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [LayersModelFiles.weights], weights: artifacts.weightSpecs ?? [] }],
        };
        writeFileAtomic(join(dir, LayersModelFiles.model), JSON.stringify(modelJson));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.byteLength } };
      }),
    );
  } finally {
    model.dispose();
  }
  return { dir, files: [LayersModelFiles.model, LayersModelFiles.weights], bytes };
}

/** An IOHandler that loads an exported directory from disk: `tf.loadLayersModel(layersModelDirHandler(dir))`. */
export function layersModelDirHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, LayersModelFiles.model), 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const joined = Buffer.concat(manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
        return [specs, joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength)];
      });
    },
  };
}

/**
 * The check of a space's `exportModel`: given `options.check` inputs, loads the exported directory
 * back with `load` (e.g. tfjs-layers' `loadLayersModel`) and compares its argmax with the network's
 * (inference mode); fewer agreeing than `minAgreement` (default 0.99) is an error naming the fraction.
 */
export async function checkExportedLayersModel(
  network: Network,
  exported: { dir: string; files: readonly string[]; bytes: number },
  options: ExportModelOptions,
  load: (handler: tf.io.IOHandler) => Promise<LoadedLayersModel>,
): Promise<ExportedModel> {
  const out: ExportedModel = { ...exported, format: LAYERS_MODEL_FORMAT };
  const check = options.check;
  if (!check) return out;
  const model = await load(layersModelDirHandler(exported.dir));
  try {
    const agreement = tf.tidy(() => {
      const a = tf.argMax(network.apply(check, { training: false }), -1);
      const b = tf.argMax(model.predict(check) as tf.Tensor, -1);
      return tf.mean(tf.cast(tf.equal(a, b), 'float32')).dataSync()[0]!;
    });
    const min = options.minAgreement ?? 0.99;
    if (!(agreement >= min)) {
      throw new Error(`exportModel: the exported LayersModel in ${exported.dir} gives the network's prediction on ${(agreement * 100).toFixed(1)}% of ${check.shape[0]} check inputs; expected at least ${(min * 100).toFixed(1)}%`);
    }
    return { ...out, agreement };
  } finally {
    model.dispose();
  }
}
