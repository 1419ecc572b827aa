// Node's evaluation of the same model on the same images, with the same plain @tensorflow/tfjs (its
// cpu backend): the reference the page must match. `node node-eval.mjs` prints accuracy.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Loads model/ (model.json + its weight files) from disk. */
export async function loadModel(dir = join(here, 'model')) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
}

/** Predictions and accuracy on data/ (pixels / 255, as in training and in the page). */
export async function evaluateInNode() {
  tf.enableProdMode(); // no "running in Node.js" banner
  await tf.setBackend('cpu');
  const images = new Uint8Array(readFileSync(join(here, 'data/test-images.u8')));
  const labels = JSON.parse(readFileSync(join(here, 'data/test-labels.json'), 'utf8'));
  const model = await loadModel();
  const predictions = tf.tidy(() => {
    const x = tf.tensor4d(images, [labels.length, 28, 28, 1], 'int32').toFloat().div(255);
    return Array.from(model.predict(x).argMax(-1).dataSync());
  });
  model.dispose();
  const correct = predictions.filter((p, i) => p === labels[i]).length;
  return { predictions, correct, total: labels.length, accuracy: correct / labels.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await evaluateInNode();
  console.log(`Node (@tensorflow/tfjs ${tf.version.tfjs}, cpu): ${r.correct}/${r.total} correct (${(100 * r.accuracy).toFixed(1)}%)`);
}
