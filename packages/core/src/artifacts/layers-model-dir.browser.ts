import type * as tf from '@tensorflow/tfjs-core';
import type { ExportedModel, ExportModelOptions, Network } from '../spaces/search-space.js';

// The browser build's face of `layers-model-dir.ts`: the same names, without the file system.
// Exporting a model writes a directory, which a page cannot; a space's `exportModel` is Node-only.

export { LayersModelFiles, LAYERS_MODEL_FORMAT, type SavableLayersModel, type LoadedLayersModel, type LayersModelLike } from './layers-model-format.js';
import type { LoadedLayersModel, SavableLayersModel } from './layers-model-format.js';

function nodeOnly(name: string): Error {
  return new Error(`proxyless: ${name} writes or reads a model directory on disk and is not available in the browser build of @proxyless/core; export models from Node (proxyless export)`);
}

export async function saveLayersModelDir(_model: SavableLayersModel, _dir: string, _convertedBy: string): Promise<{ dir: string; files: string[]; bytes: number }> {
  throw nodeOnly('saveLayersModelDir');
}

export async function checkExportedLayersModel(
  _network: Network,
  _exported: { dir: string; files: readonly string[]; bytes: number },
  _options: ExportModelOptions,
  _load: (handler: tf.io.IOHandler) => Promise<LoadedLayersModel>,
): Promise<ExportedModel> {
  throw nodeOnly('checkExportedLayersModel');
}

export function layersModelDirHandler(_dir: string): tf.io.IOHandler {
  throw nodeOnly('layersModelDirHandler');
}

export async function importTfjsLayers<T>(_load: () => Promise<T>, neededBy: string): Promise<T> {
  throw nodeOnly(`${neededBy}: importTfjsLayers (LayersModel export)`);
}
