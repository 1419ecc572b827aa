#!/usr/bin/env node
// Writes the small, deterministic Fashion-MNIST subset committed in ../data/ (gzip IDX, the four
// original file names): the first 400 training images of each class and the first 100 test
// images of each class, kept in file order. Plain Node, no dependencies.
//
//   node examples/fashion-mnist/scripts/make-subset.mjs [sourceDir] [outDir]
//
// sourceDir defaults to /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist),
// outDir to examples/fashion-mnist/data next to this script.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(process.argv[2] ?? '/usr/share/datasets/fashion-mnist');
const outDir = resolve(process.argv[3] ?? join(here, '..', 'data'));

const splits = [
  { images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz', perClass: 400 },
  { images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz', perClass: 100 },
];
const NUM_CLASSES = 10;

/** Parses a uint8 IDX file (raw or gzip): { shape, data, header }. */
function readIdx(path) {
  let bytes = readFileSync(path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) {
    throw new Error(`${path}: expected a uint8 IDX file (magic 00 00 08 ..), found ${[...bytes.subarray(0, 4)].map((b) => b.toString(16)).join(' ')}`);
  }
  const ndim = bytes[3];
  const shape = [];
  for (let i = 0; i < ndim; i++) shape.push(bytes.readUInt32BE(4 + 4 * i));
  const data = bytes.subarray(4 + 4 * ndim);
  const expected = shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw new Error(`${path}: expected ${expected} data bytes, found ${data.length}`);
  return { shape, data };
}

/** Serializes a uint8 IDX file and gzips it (level 9; Node's gzip header has mtime 0, so output is reproducible). */
function writeIdx(path, shape, data) {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const gz = gzipSync(Buffer.concat([header, data]), { level: 9 });
  writeFileSync(path, gz);
  return gz.length;
}

mkdirSync(outDir, { recursive: true });
for (const s of splits) {
  const images = readIdx(join(sourceDir, s.images));
  const labels = readIdx(join(sourceDir, s.labels));
  const [n, h, w] = images.shape;
  if (labels.shape[0] !== n) throw new Error(`${s.labels}: ${labels.shape[0]} labels for ${n} images`);
  const taken = new Array(NUM_CLASSES).fill(0);
  const keep = [];
  for (let i = 0; i < n && keep.length < s.perClass * NUM_CLASSES; i++) {
    const y = labels.data[i];
    if (y >= NUM_CLASSES) throw new Error(`${s.labels}: label ${y} at ${i} out of range`);
    if (taken[y] < s.perClass) {
      taken[y]++;
      keep.push(i);
    }
  }
  if (keep.length !== s.perClass * NUM_CLASSES) throw new Error(`${s.images}: fewer than ${s.perClass} images of some class`);
  const size = h * w;
  const outImages = Buffer.alloc(keep.length * size);
  const outLabels = Buffer.alloc(keep.length);
  keep.forEach((src, dst) => {
    images.data.copy(outImages, dst * size, src * size, (src + 1) * size);
    outLabels[dst] = labels.data[src];
  });
  const bi = writeIdx(join(outDir, s.images), [keep.length, h, w], outImages);
  const bl = writeIdx(join(outDir, s.labels), [keep.length], outLabels);
  console.log(`${s.images}: ${keep.length} of ${n} images (${s.perClass} per class, last source index ${keep.at(-1)}) → ${bi} bytes; ${s.labels} → ${bl} bytes`);
}
