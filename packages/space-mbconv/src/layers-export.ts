import * as tf from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';
import { checkExportedLayersModel, importTfjsLayers, saveLayersModelDir, type LayersModelLike, type ExportedModel, type ExportModelOptions, type Network } from '@proxyless/core';
import type { ConvBn, MBConv } from './modules.js';
import { MBConvNetwork } from './network.js';

type Tfl = typeof import('@tensorflow/tfjs-layers');
/** @tensorflow/tfjs-layers (an optional peer: a clear error with the install line when it is absent). */
const loadTfjsLayers = (): Promise<Tfl> => importTfjsLayers(() => import('@tensorflow/tfjs-layers'), '@proxyless/space-mbconv');


const layerName = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '__');

/**
 * The compact network as a TF.js `LayersModel` (functional: Conv2D/DepthwiseConv2D without bias,
 * BatchNormalization, ReLU(max 6), Add for shortcuts, GlobalAveragePooling2D, Dropout, Dense) with
 * the network's current weights. `same` padding everywhere, as the network's ops, so logits match.
 */
export async function toLayersModel(network: Network): Promise<LayersModelLike> {
  if (!(network instanceof MBConvNetwork)) throw new Error('toLayersModel: expects a network built by the mbconv space');
  if (!network.compact) throw new Error('toLayersModel: expects a compact network (build one with space.buildCompact(architecture), optionally inheritWeights from the supernet)');
  const tfl: Tfl = await loadTfjsLayers();
  const g = network.geometry;
  const weights: [{ setWeights(w: tf.Tensor[]): void }, tf.Tensor[]][] = [];
  const bnMomentum = 1 - g.bn.momentum;

  const bn = (name: string, b: ConvBn['bn'], x: SymbolicTensor): SymbolicTensor => {
    const layer = tfl.layers.batchNormalization({ name: layerName(name), axis: -1, momentum: bnMomentum, epsilon: b.eps });
    weights.push([layer, [b.gamma, b.beta, b.movingMean, b.movingVariance]]);
    return layer.apply(x) as SymbolicTensor;
  };
  const relu6 = (name: string, x: SymbolicTensor): SymbolicTensor => tfl.layers.reLU({ name: layerName(name), maxValue: 6 }).apply(x) as SymbolicTensor;
  const conv = (name: string, w: tf.Variable, stride: number, x: SymbolicTensor): SymbolicTensor => {
    const [k, , , out] = w.shape as number[];
    const layer = tfl.layers.conv2d({ name: layerName(name), filters: out!, kernelSize: k!, strides: stride, padding: 'same', useBias: false });
    weights.push([layer, [w]]);
    return layer.apply(x) as SymbolicTensor;
  };
  const convBn = (m: ConvBn, x: SymbolicTensor): SymbolicTensor => {
    const y = bn(m.bn.name, m.bn, conv(m.conv.name, m.conv.w, m.conv.stride, x));
    return m.act ? relu6(`${m.name}/relu6`, y) : y;
  };
  const mbconv = (m: MBConv, x: SymbolicTensor): SymbolicTensor => {
    let h = x;
    if (m.expandConv && m.expandBn) h = relu6(`${m.name}/expand/relu6`, bn(m.expandBn.name, m.expandBn, conv(m.expandConv.name, m.expandConv.w, 1, h)));
    const dwLayer = tfl.layers.depthwiseConv2d({
      name: layerName(m.depthwise.name),
      kernelSize: m.depthwise.kernel,
      strides: m.depthwise.stride,
      padding: 'same',
      depthMultiplier: 1,
      useBias: false,
    });
    weights.push([dwLayer, [m.depthwise.w]]);
    h = relu6(`${m.name}/depthwise/relu6`, bn(m.depthwiseBn.name, m.depthwiseBn, dwLayer.apply(h) as SymbolicTensor));
    return bn(m.projectBn.name, m.projectBn, conv(m.project.name, m.project.w, 1, h));
  };

  const [h, w, c] = g.input.shape;
  const input = tfl.input({ shape: [h, w, c], name: 'input' });
  let x = mbconv(network.firstBlock, convBn(network.firstConv, input));
  for (const b of network.blocks) {
    if (!b.body) continue;
    const y = mbconv(b.body as MBConv, x);
    x = b.residual ? (tfl.layers.add({ name: layerName(`${b.label}/add`) }).apply([x, y]) as SymbolicTensor) : y;
  }
  x = convBn(network.featureMix, x);
  x = tfl.layers.globalAveragePooling2d({ name: 'global_avg_pool' }).apply(x) as SymbolicTensor;
  if (network.classifier.dropout > 0) x = tfl.layers.dropout({ name: 'dropout', rate: network.classifier.dropout }).apply(x) as SymbolicTensor;
  const dense = tfl.layers.dense({ name: layerName(network.classifier.name), units: g.classifier.outFeatures, useBias: true });
  weights.push([dense, [network.classifier.dense.w, network.classifier.dense.b!]]);
  const logits = dense.apply(x) as SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: logits, name: 'proxyless_mbconv' });
  for (const [layer, ws] of weights) layer.setWeights(ws);
  return model;
}

/**
 * Saves a compact network as a TF.js LayersModel directory: `model.json` (topology + weights
 * manifest) and `weights.bin`. In a browser, `tf.loadLayersModel('<url>/model.json')` loads it; in
 * Node (without tfjs-node's `file://`), pass `layersModelDirHandler(dir)`.
 */
export async function exportLayersModel(network: Network, dir: string): Promise<{ dir: string; files: string[]; bytes: number }> {
  return saveLayersModelDir(await toLayersModel(network), dir, '@proxyless/space-mbconv');
}



/**
 * `MBConvSpace.exportModel`: saves the compact network as a LayersModel directory and, given
 * `check` inputs, loads it back and compares its argmax with the network's (inference mode); fewer
 * agreeing than `minAgreement` (default 0.99) is an error naming the fraction.
 */
export async function exportCheckedLayersModel(network: Network, dir: string, options: ExportModelOptions = {}): Promise<ExportedModel> {
  const exported = await exportLayersModel(network, dir);
  return checkExportedLayersModel(network, exported, options, async (handler) => (await loadTfjsLayers()).loadLayersModel(handler));
}

// Kept as exports of this package for its users (they live in core now).
export { LAYERS_MODEL_FORMAT, LayersModelFiles, layersModelDirHandler } from '@proxyless/core';
