// The demo page: plain @tensorflow/tfjs (bundled by build.mjs, no CDN) loads the exported LayersModel
// in ../model/, classifies the Fashion-MNIST test images in ../data/ one at a time on the page's
// backend (?backend=wasm|webgl|cpu, default wasm), and shows each prediction with its latency.
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const SIZE = 28 * 28;

const $ = (id) => document.getElementById(id);
const status = (text) => ($('status').textContent = text);

function thumbnail(pixels) {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 28;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < SIZE; i++) {
    const v = 255 - pixels[i];
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const backend = new URLSearchParams(location.search).get('backend') ?? 'wasm';
  setWasmPaths(new URL('./dist/', location.href).href);
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} is not available in this browser`);
  await tf.ready();
  status(`loading the model on ${tf.getBackend()}…`);
  const model = await tf.loadLayersModel('./model/model.json');
  const [buffer, labels] = await Promise.all([
    fetch('./data/test-images.u8').then((r) => r.arrayBuffer()),
    fetch('./data/test-labels.json').then((r) => r.json()),
  ]);
  const images = new Uint8Array(buffer);
  // The training pipeline's input: pixels / 255 (the fashion-mnist data plugin's default `zero-one`).
  const input = (i) => tf.tidy(() => tf.tensor4d(images.subarray(i * SIZE, (i + 1) * SIZE), [1, 28, 28, 1], 'int32').toFloat().div(255));
  // Warm-up: shader compilation, weight upload, operator creation.
  for (let i = 0; i < 3; i++) {
    const x = input(0);
    const y = model.predict(x);
    await y.data();
    tf.dispose([x, y]);
  }
  const predictions = [];
  const latencies = [];
  const grid = $('grid');
  for (let i = 0; i < labels.length; i++) {
    const x = input(i);
    const t0 = performance.now();
    const y = model.predict(x);
    const probs = await y.data(); // read-back: the prediction is computed (async backends included)
    const ms = performance.now() - t0;
    tf.dispose([x, y]);
    let best = 0;
    for (let k = 1; k < probs.length; k++) if (probs[k] > probs[best]) best = k;
    predictions.push(best);
    latencies.push(ms);
    const cell = document.createElement('figure');
    cell.className = best === labels[i] ? 'ok' : 'wrong';
    cell.append(thumbnail(images.subarray(i * SIZE, (i + 1) * SIZE)));
    const caption = document.createElement('figcaption');
    caption.textContent = `${CLASSES[best]}${best === labels[i] ? '' : ` (is ${CLASSES[labels[i]]})`} · ${ms.toFixed(2)} ms`;
    cell.append(caption);
    grid.append(cell);
  }
  const correct = predictions.filter((p, i) => p === labels[i]).length;
  const accuracy = correct / labels.length;
  status(`${tf.getBackend()}: ${correct}/${labels.length} correct (${(100 * accuracy).toFixed(1)}%), median ${median(latencies).toFixed(2)} ms per image (batch 1, read-back included)`);
  model.dispose();
  window.demoResult = { backend: tf.getBackend(), accuracy, correct, total: labels.length, predictions, latencies, medianMs: median(latencies), tensorsLeft: tf.memory().numTensors };
}

main().catch((err) => {
  status(`error: ${err.message}`);
  console.error(err);
  window.demoResult = { error: String(err.stack ?? err) };
});
