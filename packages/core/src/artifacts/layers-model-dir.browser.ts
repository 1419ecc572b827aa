import type * as tf from '@tensorflow/tfjs-core';
import type { ExportedModel, ExportModelOptions, Network } from '../spaces/search-space.js';

// The browser build's face of `layers-model-dir.ts`: the same names, without the file system.
// Exporting a model writes a directory, which a page cannot; a space's `exportModel` is Node-only.

/** Files of an exported LayersModel directory. */
export const LayersModelFiles = Object.freeze({ model: 'model.json', weights: 'weights.bin' });
/** The format name `exportModel` reports for it. */
export const LAYERS_MODEL_FORMAT = 'tfjs-layers-model';

export interface SavableLayersModel {
  save(handler: tf.io.IOHandler): Promise<unknown>;
  dispose(): void;
}
export interface LoadedLayersModel {
  predict(x: tf.Tensor): tf.Tensor | tf.Tensor[];
  dispose(): void;
}

/** As in Node: what the spaces' `toLayersModel` return. */
export type LayersModelLike = SavableLayersModel & LoadedLayersModel;

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
