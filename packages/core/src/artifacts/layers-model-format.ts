import type * as tf from '@tensorflow/tfjs-core';

// The LayersModel directory format and what proxyless needs of a tfjs-layers model: shared by the Node
// code that writes and checks model directories (layers-model-dir.ts) and its browser face.

/** Files of an exported LayersModel directory. */
export const LayersModelFiles = Object.freeze({ model: 'model.json', weights: 'weights.bin' });
/** The format name `exportModel` reports for it. */
export const LAYERS_MODEL_FORMAT = 'tfjs-layers-model';

/** What saving needs of a tfjs-layers `LayersModel`. */
export interface SavableLayersModel {
  save(handler: tf.io.IOHandler): Promise<unknown>;
  dispose(): void;
}

/** What the export check needs of a loaded `LayersModel`. */
export interface LoadedLayersModel {
  predict(x: tf.Tensor): tf.Tensor | tf.Tensor[];
  dispose(): void;
}

/**
 * A tfjs-layers `LayersModel` as the spaces' `toLayersModel` return it: typed by what proxyless uses of
 * it, so that their types do not need the optional @tensorflow/tfjs-layers (cast to `LayersModel` for more).
 */
export type LayersModelLike = SavableLayersModel & LoadedLayersModel;
