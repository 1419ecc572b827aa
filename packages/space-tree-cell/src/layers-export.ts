import * as tf from '@tensorflow/tfjs-core';
import type { SymbolicTensor } from '@tensorflow/tfjs-layers';
import { checkExportedLayersModel, importTfjsLayers, saveLayersModelDir, type LayersModelLike, type BatchNorm, type ExportedModel, type ExportModelOptions, type Network } from '@proxyless/core';
import { GroupedRootConv, Identity, Pool, PreActConv, SepConv, type ResidualTreeBlock } from './modules.js';
import { PyramidTreeNetwork } from './network.js';

type Tfl = typeof import('@tensorflow/tfjs-layers');
/** @tensorflow/tfjs-layers (an optional peer: a clear error with the install line when it is absent). */
const loadTfjsLayers = (): Promise<Tfl> => importTfjsLayers(() => import('@tensorflow/tfjs-layers'), '@proxyless/space-tree-cell');


const layerName = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '__');

/**
 * The root conv's two groups and the channel shuffle as two plain kernels, one per half that the
 * split node cuts: shuffled channel n = 2j + g is group g's output j, and its kernel column is that
 * group's, zero on the other group's input channels. Every product with a zero is exactly zero, so
 * the two convs compute what split → group convs → shuffle → split does, bit for bit up to
 * summation order.
 */
export function rootHalfKernels(root: GroupedRootConv): [Float32Array, Float32Array, number[]] {
  const [k, , half, w] = root.groups[0].w.shape as [number, number, number, number];
  const g0 = root.groups[0].w.dataSync();
  const g1 = root.groups[1].w.dataSync();
  const inC = 2 * half;
  const out = [new Float32Array(k * k * inC * w), new Float32Array(k * k * inC * w)];
  for (let n = 0; n < 2 * w; n++) {
    const g = n % 2;
    const j = (n - g) / 2;
    const src = g === 0 ? g0 : g1;
    const dst = out[n < w ? 0 : 1]!;
    const col = n % w;
    for (let p = 0; p < k * k; p++) {
      for (let i = 0; i < half; i++) dst[(p * inC + g * half + i) * w + col] = src[(p * half + i) * w + j]!;
    }
  }
  return [out[0]!, out[1]!, [k, k, inC, w]];
}

/** A dilation-d k×k depthwise kernel as the equivalent ((k−1)d+1)² kernel with zeros between the taps (tfjs-layers' DepthwiseConv2D ignores dilation). */
export function dilateDepthwiseKernel(w: tf.Tensor, d: number): tf.Tensor4D {
  const [k, , c] = w.shape as [number, number, number, number];
  if (d === 1) return tf.clone(w) as tf.Tensor4D;
  const K = (k - 1) * d + 1;
  const src = w.dataSync();
  const out = new Float32Array(K * K * c);
  for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) for (let ch = 0; ch < c; ch++) out[((y * d) * K + x * d) * c + ch] = src[(y * k + x) * c + ch]!;
  return tf.tensor4d(out, [K, K, c, 1]);
}

/**
 * A compact tree-cell network as a TF.js `LayersModel` of standard layers only (Conv2D,
 * DepthwiseConv2D, BatchNormalization, ReLU, pooling, Add, GlobalAveragePooling2D, Dense), with the
 * network's weights: the grouped root conv + shuffle + split become two Conv2D (see
 * `rootHalfKernels`), a dilated depthwise conv a wider kernel with zero taps, the shortcut's zero
 * channels a fixed 1×1 Conv2D [I | 0], the stride-2 root conv ZeroPadding2D + `valid` Conv2D (the
 * authors' symmetric padding), and a DropPath rate's inference scaling is folded into the final BN.
 */
export async function toLayersModel(network: Network): Promise<LayersModelLike> {
  if (!(network instanceof PyramidTreeNetwork)) throw new Error('toLayersModel: expects a network built by the tree-cell space');
  if (!network.compact) throw new Error('toLayersModel: expects a compact network (build one with space.buildCompact(architecture), optionally inheritWeights from the supernet)');
  const tfl: Tfl = await loadTfjsLayers();
  const weights: [{ setWeights(w: tf.Tensor[]): void }, tf.Tensor[]][] = [];
  const owned: tf.Tensor[] = [];
  const momentum = 1 - network.geometry.bn.momentum;
  const apply = (layer: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown }, x: SymbolicTensor | SymbolicTensor[]) => layer.apply(x) as SymbolicTensor;

  const bn = (b: BatchNorm, x: SymbolicTensor, scale = 1): SymbolicTensor => {
    const layer = tfl.layers.batchNormalization({ name: layerName(b.name), axis: -1, momentum, epsilon: b.eps });
    if (scale === 1) weights.push([layer, [b.gamma, b.beta, b.movingMean, b.movingVariance]]);
    else {
      const g = tf.mul(b.gamma, scale);
      const be = tf.mul(b.beta, scale);
      owned.push(g, be);
      weights.push([layer, [g, be, b.movingMean, b.movingVariance]]);
    }
    return apply(layer, x);
  };
  const relu = (name: string, x: SymbolicTensor) => apply(tfl.layers.reLU({ name: layerName(name) }), x);
  const conv = (name: string, w: tf.Tensor, stride: number, x: SymbolicTensor, symmetric = false): SymbolicTensor => {
    const [k, , , out] = w.shape as number[];
    let h = x;
    const explicit = symmetric && stride > 1 && k! > 1;
    if (explicit) h = apply(tfl.layers.zeroPadding2d({ name: layerName(`${name}/pad`), padding: Math.floor(k! / 2) }), h);
    const layer = tfl.layers.conv2d({ name: layerName(name), filters: out!, kernelSize: k!, strides: stride, padding: explicit || k === 1 ? 'valid' : 'same', useBias: false });
    weights.push([layer, [w]]);
    return apply(layer, h);
  };
  const preAct = (m: PreActConv, x: SymbolicTensor): SymbolicTensor => {
    let h = bn(m.bn, x);
    if (m.act) h = relu(`${m.name}/relu`, h);
    return conv(m.conv.name, m.conv.w, m.stride, h, true);
  };
  const edge = (m: unknown, x: SymbolicTensor): SymbolicTensor => {
    if (m instanceof SepConv) {
      const h = relu(`${m.name}/relu`, bn(m.bn, x));
      const kernel = dilateDepthwiseKernel(m.depthwise.w, m.dilation);
      owned.push(kernel);
      const dw = tfl.layers.depthwiseConv2d({ name: layerName(m.depthwise.name), kernelSize: kernel.shape[0], strides: 1, padding: 'same', depthMultiplier: 1, useBias: false });
      weights.push([dw, [kernel]]);
      return conv(m.pointwise.name, m.pointwise.w, 1, apply(dw, h));
    }
    if (m instanceof Pool) {
      const opts = { name: layerName(m.name), poolSize: m.kernel, strides: 1, padding: 'same' as const };
      return apply(m.pool === 'max' ? tfl.layers.maxPooling2d(opts) : tfl.layers.averagePooling2d(opts), x);
    }
    if (m instanceof Identity) return x;
    throw new Error('toLayersModel: an edge of the compact network is not a tree-cell candidate');
  };
  const add = (name: string, a: SymbolicTensor, b: SymbolicTensor): SymbolicTensor => {
    if (a !== b) return apply(tfl.layers.add({ name: layerName(name) }), [a, b]);
    // Two identity edges of one node: a + a. An Add layer fed the same tensor twice makes tfjs-layers'
    // executor count that tensor's recipients wrong and dispose it while a later layer still needs it,
    // so 2·a is a 1×1 depthwise conv with weight 2 (exact in floating point).
    const channels = a.shape[3]!;
    const kernel = tf.fill([1, 1, channels, 1], 2) as tf.Tensor4D;
    owned.push(kernel);
    const twice = tfl.layers.depthwiseConv2d({ name: layerName(name), kernelSize: 1, strides: 1, padding: 'valid', depthMultiplier: 1, useBias: false });
    weights.push([twice, [kernel]]);
    return apply(twice, a);
  };

  const block = (b: ResidualTreeBlock, x: SymbolicTensor): SymbolicTensor => {
    // shortcut
    let s = x;
    if (b.stride > 1) s = apply(tfl.layers.averagePooling2d({ name: layerName(`${b.name}/shortcut_pool`), poolSize: b.stride, strides: b.stride, padding: 'valid' }), s);
    if (b.padChannels > 0) {
      const ci = x.shape[3]!;
      const co = ci + b.padChannels;
      const eye = new Float32Array(ci * co);
      for (let i = 0; i < ci; i++) eye[i * co + i] = 1;
      const kernel = tf.tensor4d(eye, [1, 1, ci, co]);
      owned.push(kernel);
      const layer = tfl.layers.conv2d({ name: layerName(`${b.name}/shortcut_pad`), filters: co, kernelSize: 1, padding: 'valid', useBias: false, trainable: false });
      weights.push([layer, [kernel]]);
      s = apply(layer, s);
    }
    // residual
    const h = preAct(b.inBottle, x);
    const root = b.cell.root;
    const r = relu(`${root.name}/relu`, bn(root.bn, h));
    const [k0, k1, shape] = rootHalfKernels(root);
    const halves = [k0, k1].map((k, i) => {
      const kernel = tf.tensor4d(k, shape as [number, number, number, number]);
      owned.push(kernel);
      return conv(`${root.name}/half${i}`, kernel, root.stride, r, true);
    });
    let cellOut: SymbolicTensor | undefined;
    for (let i = 0; i < 2; i++) {
      const xi = halves[i]!;
      let sum: SymbolicTensor | undefined;
      for (let j = 0; j < 2; j++) {
        const base = i * 6 + j * 3;
        const y = edge(b.cell.edges[base], xi);
        const leaf = add(`${b.name}/leaf${i}${j}`, edge(b.cell.edges[base + 1], y), edge(b.cell.edges[base + 2], y));
        sum = sum ? add(`${b.name}/copy${i}_add${j}`, sum, leaf) : leaf;
      }
      const branch = add(`${b.name}/branch${i}_skip`, bn(b.cell.branchBns[i]!, sum!), xi);
      cellOut = cellOut ? add(`${b.name}/merge`, cellOut, branch) : branch;
    }
    const res = bn(b.finalBn, preAct(b.outBottle, cellOut!), b.cellDropRate > 0 ? 1 - b.cellDropRate : 1);
    return add(`${b.name}/add`, s, res);
  };

  const [h, w, c] = network.geometry.input.shape;
  const input = tfl.input({ shape: [h, w, c], name: 'input' });
  let x = bn(network.stem.bn, conv(network.stem.conv.name, network.stem.conv.w, 1, input));
  for (const b of network.blocks) x = block(b, x);
  x = relu('head/relu', bn(network.head.bn, x));
  x = apply(tfl.layers.globalAveragePooling2d({ name: 'global_avg_pool' }), x);
  const dense = tfl.layers.dense({ name: 'classifier', units: network.geometry.head.numClasses, useBias: true });
  weights.push([dense, [network.head.dense.w, network.head.dense.b!]]);
  const logits = apply(dense, x);
  const model = tfl.model({ inputs: input, outputs: logits, name: 'proxyless_tree_cell' });
  try {
    for (const [layer, ws] of weights) layer.setWeights(ws);
  } finally {
    tf.dispose(owned);
  }
  return model;
}

/** Saves a compact network as a TF.js LayersModel directory (`model.json` + `weights.bin`, each written atomically). */
export async function exportLayersModel(network: Network, dir: string): Promise<{ dir: string; files: string[]; bytes: number }> {
  return saveLayersModelDir(await toLayersModel(network), dir, '@proxyless/space-tree-cell');
}


/** `TreeCellSpace.exportModel`: saves the LayersModel and, given `check` inputs, fails unless it predicts the network's argmax. */
export async function exportCheckedLayersModel(network: Network, dir: string, options: ExportModelOptions = {}): Promise<ExportedModel> {
  const exported = await exportLayersModel(network, dir);
  return checkExportedLayersModel(network, exported, options, async (handler) => (await loadTfjsLayers()).loadLayersModel(handler));
}

// Kept as exports of this package for its users (they live in core now).
export { LAYERS_MODEL_FORMAT, LayersModelFiles, layersModelDirHandler } from '@proxyless/core';
