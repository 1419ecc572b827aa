import * as tf from '@tensorflow/tfjs-core';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { InputError } from '../config/config-error.js';
import { writeFileAtomic } from './atomic.js';

/** Magic and version of the checkpoint container. */
const MAGIC = 'PXLSCKPT';
const VERSION = 1;

interface TensorEntry {
  name: string;
  dtype: 'float32' | 'int32';
  shape: number[];
  offset: number;
  length: number;
}

/**
 * A checkpoint: JSON state plus named tensors, in one file
 * `[8-byte magic][u32 version][u32 header length][header JSON][raw little-endian data]`, written
 * atomically (temp file + rename).
 */
export interface CheckpointData {
  readonly json: unknown;
  readonly tensors: Readonly<Record<string, tf.Tensor>>;
}

export function saveCheckpoint(path: string, data: CheckpointData): void {
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(data.tensors)) {
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw new Error(`checkpoint: tensor ${name} has unsupported dtype ${t.dtype}`);
    const values = t.dataSync() as Float32Array | Int32Array;
    const bytes = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    entries.push({ name, dtype: t.dtype, shape: t.shape, offset, length: bytes.byteLength });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const header = Buffer.from(JSON.stringify({ json: data.json, tensors: entries }), 'utf8');
  const prefix = Buffer.alloc(16);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(VERSION, 8);
  prefix.writeUInt32LE(header.byteLength, 12);
  writeFileAtomic(path, [prefix, header, ...chunks]);
}

/**
 * Reads a checkpoint's header only — JSON state and the tensors' names, dtypes and shapes, each
 * checked against the file's size — without reading the tensor data (no backend, no large
 * allocation): what a caller compares against a network before building it.
 */
export function readCheckpointHeader(path: string): { json: unknown; tensors: { name: string; dtype: string; shape: number[] }[]; bytes: number } {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const prefix = Buffer.alloc(16);
    readSync(fd, prefix, 0, Math.min(16, size), 0);
    if (size < 16 || prefix.toString('ascii', 0, 8) !== MAGIC) throw new InputError(`${path}: not a proxyless checkpoint (expected magic "${MAGIC}")`);
    const headerLength = prefix.readUInt32LE(12);
    if (16 + headerLength > size) throw new InputError(`${path}: truncated checkpoint header`);
    const buf = Buffer.alloc(16 + headerLength);
    prefix.copy(buf);
    readSync(fd, buf, 16, headerLength, 16);
    const { json, tensors, base } = readHeader(buf, path, size);
    void base;
    return { json, tensors: tensors.map(({ name, dtype, shape }) => ({ name, dtype, shape })), bytes: size };
  } finally {
    closeSync(fd);
  }
}

/** Reads a checkpoint's JSON part only (no tensors: needs no backend). */
export function readCheckpointJson(path: string): unknown {
  return readCheckpointHeader(path).json;
}

function readHeader(buf: Buffer, path: string, fileBytes = buf.byteLength): { json: unknown; tensors: TensorEntry[]; base: number } {
  if (buf.byteLength < 16 || buf.toString('ascii', 0, 8) !== MAGIC) {
    throw new InputError(`${path}: not a proxyless checkpoint (expected magic "${MAGIC}")`);
  }
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new InputError(`${path}: checkpoint version ${version}, this proxyless reads version ${VERSION}`);
  const headerLength = buf.readUInt32LE(12);
  if (16 + headerLength > buf.byteLength) throw new InputError(`${path}: truncated checkpoint header`);
  let header: { json: unknown; tensors: unknown };
  try {
    header = JSON.parse(buf.toString('utf8', 16, 16 + headerLength)) as { json: unknown; tensors: unknown };
  } catch (err) {
    throw new InputError(`${path}: the checkpoint header is not valid JSON (${(err as Error).message}); expected the header a proxyless search wrote — the file is damaged`);
  }
  if (!header || typeof header !== 'object' || !Array.isArray(header.tensors)) {
    throw new InputError(`${path}: checkpoint header field "tensors": got ${JSON.stringify((header as { tensors?: unknown } | null)?.tensors) ?? 'nothing'}; expected a list of tensor entries`);
  }
  const base = 16 + headerLength;
  const tensors = header.tensors.map((e, i) => checkEntry(e, i, path, fileBytes - base));
  return { json: header.json, tensors, base };
}

/** One tensor entry of the header, checked against itself and the bytes the file holds (nothing is allocated before). */
function checkEntry(raw: unknown, i: number, path: string, dataBytes: number): TensorEntry {
  const e = (raw ?? {}) as Partial<TensorEntry>;
  const name = typeof e.name === 'string' ? e.name : `#${i}`;
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new InputError(`${path}: checkpoint tensor ${name}: ${field}: got ${JSON.stringify(value) ?? 'nothing'}; expected ${expected}`);
  };
  if (typeof e.name !== 'string' || !e.name) bad('name', e.name, 'a tensor name');
  if (e.dtype !== 'float32' && e.dtype !== 'int32') bad('dtype', e.dtype, '"float32" or "int32"');
  if (!Array.isArray(e.shape) || e.shape.length > 8 || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) bad('shape', e.shape, 'at most 8 non-negative integer dimensions');
  const count = e.shape!.reduce((a, d) => a * d, 1);
  if (e.length !== count * 4) bad('length', e.length, `${count * 4} bytes (4 per value of shape [${e.shape}])`);
  if (typeof e.offset !== 'number' || !Number.isInteger(e.offset) || e.offset < 0 || e.offset % 4 !== 0) bad('offset', e.offset, 'a non-negative multiple of 4');
  if (e.offset! + e.length! > dataBytes) {
    throw new InputError(`${path}: truncated checkpoint (tensor ${name} needs bytes up to ${e.offset! + e.length!} of the data, the file holds ${dataBytes})`);
  }
  return e as TensorEntry;
}

/** Reads a checkpoint; every tensor is new (the caller disposes them). */
export function loadCheckpoint(path: string): CheckpointData {
  const buf = readFileSync(path);
  const { base, ...header } = readHeader(buf, path);
  const tensors: Record<string, tf.Tensor> = {};
  for (const e of header.tensors) {
    const bytes = buf.buffer.slice(buf.byteOffset + base + e.offset, buf.byteOffset + base + e.offset + e.length);
    const values = e.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
    tensors[e.name] = tf.tensor(values, e.shape, e.dtype);
  }
  return { json: header.json, tensors };
}

export function disposeCheckpoint(data: CheckpointData): void {
  tf.dispose(Object.values(data.tensors));
}

/**
 * Checks that a checkpoint holds, for every one of a network's variables, a tensor named
 * `prefix + name` of the variable's shape (`shapeOf` reads the checkpoint: its header or its loaded
 * tensors). An InputError names `where`, the variable and both shapes.
 */
export function checkNetworkTensors(
  variables: readonly { readonly name: string; readonly variable: tf.Variable }[],
  shapeOf: (key: string) => readonly number[] | undefined,
  where: string,
  prefix = '',
): void {
  for (const v of variables) {
    const shape = shapeOf(prefix + v.name);
    if (!shape) throw new InputError(`${where}: has no tensor for network variable ${v.name}; expected a checkpoint of this architecture`);
    if (shape.join('x') !== v.variable.shape.join('x')) throw new InputError(`${where}: ${v.name} has shape [${shape}]; the network expects [${v.variable.shape}]`);
  }
}

/** Assigns a network's variables from checked tensors named `prefix + name` (see `checkNetworkTensors`). */
export function assignNetworkTensors(
  variables: readonly { readonly name: string; readonly variable: tf.Variable }[],
  tensors: Readonly<Record<string, tf.Tensor>>,
  where: string,
  prefix = '',
): void {
  checkNetworkTensors(variables, (k) => tensors[k]?.shape, where, prefix);
  for (const v of variables) v.variable.assign(tensors[prefix + v.name]!);
}
