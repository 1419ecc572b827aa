import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExportedModel, ExportModelOptions, Network } from '@proxyless/core';
import type { ConvBn, MBConv } from './modules.js';
import { MBConvNetwork } from './network.js';

type Tfl = typeof import('@tensorflow/tfjs-layers');

/** Files of an exported LayersModel directory. */
export const LayersModelFiles = Object.freeze({ model: 'model.json', weights: 'weights.bin' });

const layerName = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '__');

/**
 * The compact network as a TF.js `LayersModel` (functional: Conv2D/DepthwiseConv2D without bias,
 * BatchNormalization, ReLU(max 6), Add for shortcuts, GlobalAveragePooling2D, Dropout, Dense) with
 * the network's current weights. `same` padding everywhere, as the network's ops, so logits match.
 */
export async function toLayersModel(network: Network): Promise<LayersModel> {
  if (!(network instanceof MBConvNetwork)) throw new Error('toLayersModel: expects a network built by the mbconv space');
  if (!network.compact) throw new Error('toLayersModel: expects a compact network (build one with space.buildCompact(architecture), optionally inheritWeights from the supernet)');
  const tfl: Tfl = await import('@tensorflow/tfjs-layers');
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
  const model = await toLayersModel(network);
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(artifacts.weightData).slice();
        bytes = data.byteLength;
        const modelJson = {
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: '@proxyless/space-mbconv',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [LayersModelFiles.weights], weights: artifacts.weightSpecs ?? [] }],
        };
        writeFileSync(join(dir, LayersModelFiles.weights), Buffer.from(data));
        writeFileSync(join(dir, LayersModelFiles.model), JSON.stringify(modelJson));
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
        const buffers = manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
        const joined = Buffer.concat(buffers);
        return [specs, joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength)];
      });
    },
  };
}

/** The format name `exportModel` reports. */
export const LAYERS_MODEL_FORMAT = 'tfjs-layers-model';

/**
 * `MBConvSpace.exportModel`: saves the compact network as a LayersModel directory and, given
 * `check` inputs, loads it back and compares its argmax with the network's (inference mode); fewer
 * agreeing than `minAgreement` (default 0.99) is an error naming the fraction.
 */
export async function exportCheckedLayersModel(network: Network, dir: string, options: ExportModelOptions = {}): Promise<ExportedModel> {
  const exported = await exportLayersModel(network, dir);
  const out: ExportedModel = { ...exported, format: LAYERS_MODEL_FORMAT };
  const check = options.check;
  if (!check) return out;
  const tfl: Tfl = await import('@tensorflow/tfjs-layers');
  const model = await tfl.loadLayersModel(layersModelDirHandler(dir));
  try {
    const agreement = tf.tidy(() => {
      const a = tf.argMax(network.apply(check, { training: false }), -1);
      const b = tf.argMax(model.predict(check) as tf.Tensor, -1);
      return tf.mean(tf.cast(tf.equal(a, b), 'float32')).dataSync()[0]!;
    });
    const min = options.minAgreement ?? 0.99;
    if (!(agreement >= min)) {
      throw new Error(`exportModel: the exported LayersModel in ${dir} gives the network's prediction on ${(agreement * 100).toFixed(1)}% of ${check.shape[0]} check inputs; expected at least ${(min * 100).toFixed(1)}%`);
    }
    return { ...out, agreement };
  } finally {
    model.dispose();
  }
}
