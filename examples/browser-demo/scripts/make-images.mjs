// Writes data/test-images.u8 and data/test-labels.json: the first N images of the Fashion-MNIST test
// set (t10k) as committed in examples/fashion-mnist/data (a deterministic subset; provenance and
// license there). Run once; its output is committed. `node scripts/make-images.mjs [N]` (default 200).
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const n = Number(process.argv[2] ?? 200);
const src = fileURLToPath(new URL('../../fashion-mnist/data/', import.meta.url));
const out = fileURLToPath(new URL('../data/', import.meta.url));
const images = gunzipSync(readFileSync(`${src}t10k-images-idx3-ubyte.gz`));
const labels = gunzipSync(readFileSync(`${src}t10k-labels-idx1-ubyte.gz`));
if (images.readUInt32BE(0) !== 2051 || labels.readUInt32BE(0) !== 2049) throw new Error('not IDX image/label files');
const count = images.readUInt32BE(4);
if (n > count) throw new Error(`only ${count} test images`);
writeFileSync(`${out}test-images.u8`, images.subarray(16, 16 + n * 784));
writeFileSync(`${out}test-labels.json`, `${JSON.stringify([...labels.subarray(8, 8 + n)])}\n`);
console.log(`wrote ${n} images (${n * 784} bytes) and labels to ${out}`);
