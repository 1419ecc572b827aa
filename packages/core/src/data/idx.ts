import { readFile } from 'node:fs/promises';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';

/**
 * Reader for the IDX format of MNIST-style data sets (http://yann.lecun.com/exdb/mnist/):
 * a 4-byte magic `00 00 <type> <ndim>`, `ndim` big-endian uint32 dimensions, then the elements
 * in row-major order, big-endian. Files may be gzip-compressed; compression is detected from the
 * gzip magic bytes `1f 8b`, never from the file name.
 */

/** IDX element types by type byte. */
export const IdxTypes = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
} as const;

export type IdxDtype = (typeof IdxTypes)[keyof typeof IdxTypes]['dtype'];

/** The typed array each IDX dtype parses to (native byte order). */
export interface IdxDataByDtype {
  uint8: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}

export type IdxData = IdxDataByDtype[IdxDtype];

/** A parsed IDX file. */
export interface IdxArray<D extends IdxDtype = IdxDtype> {
  readonly dtype: D;
  readonly shape: number[];
  readonly data: IdxDataByDtype[D];
}

/** A malformed, truncated or mismatched IDX file; `file` names it. */
export class IdxFormatError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'IdxFormatError';
  }
  /** Bad input: the CLI's exit code 2. */
  get exitCode(): number {
    return 2;
  }
}

const hex = (b: number | undefined): string => (b === undefined ? '(none)' : `0x${b.toString(16).padStart(2, '0')}`);

/** Whether the bytes start with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses the bytes of an IDX file (raw or gzip). `file` is used in error messages only.
 * Validates the magic, the declared dimensions and that the data length is exactly the product
 * of the dimensions times the element size.
 */
export function parseIdx(input: Uint8Array, file = '<buffer>'): IdxArray {
  let bytes = input;
  if (isGzip(bytes)) bytes = gunzipBounded(bytes, file);
  const expectedMagic = `00 00 <type: ${Object.keys(IdxTypes)
    .map((t) => hex(Number(t)))
    .join('|')}> <number of dimensions ≥ 1>`;
  if (bytes.length < 4) {
    throw new IdxFormatError(file, `too short for an IDX header: ${bytes.length} byte(s), expected at least 4 (magic ${expectedMagic})`);
  }
  const typeByte = bytes[2]!;
  const ndim = bytes[3]!;
  const type = (IdxTypes as Record<number, { dtype: IdxDtype; bytes: number }>)[typeByte];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndim === 0) {
    const found = [bytes[0], bytes[1], bytes[2], bytes[3]].map(hex).join(' ');
    throw new IdxFormatError(file, `not an IDX file: magic bytes are ${found}, expected ${expectedMagic}`);
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      file,
      `truncated header: ${ndim} dimension(s) declared need ${headerBytes} header bytes, but the file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  if (!Number.isSafeInteger(count * type.bytes) || count * type.bytes > MAX_IDX_DATA_BYTES) {
    throw new IdxFormatError(file, `declared dimensions [${shape.join(', ')}] are too large: ${count * type.bytes} data bytes; expected at most ${MAX_IDX_DATA_BYTES}`);
  }
  const expected = count * type.bytes;
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    const what = actual < expected ? 'truncated' : 'has trailing bytes';
    throw new IdxFormatError(
      file,
      `${what}: dimensions [${shape.join(', ')}] of ${type.dtype} (${type.bytes} byte(s) each) need ${expected} data bytes after the ${headerBytes}-byte header, but there are ${actual}`,
    );
  }
  return { dtype: type.dtype, shape, data: decode(type.dtype, view, headerBytes, count) };
}

/** The largest IDX payload read (2 GiB; the full Fashion-MNIST training images are 47 MB). */
export const MAX_IDX_DATA_BYTES = 2 ** 31;

/** The IDX header (magic, dimensions) of raw bytes: the bytes it declares in all, or undefined when the header is not whole or not IDX. */
function declaredIdxBytes(bytes: Uint8Array): number | undefined {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) return undefined;
  const type = (IdxTypes as Record<number, { bytes: number }>)[bytes[2]!];
  const ndim = bytes[3]!;
  if (!type || ndim === 0 || bytes.length < 4 + 4 * ndim) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = type.bytes;
  for (let i = 0; i < ndim; i++) count *= view.getUint32(4 + 4 * i, false);
  return 4 + 4 * ndim + count;
}

/**
 * Inflates a gzip-compressed IDX file with a limit derived from its header: the header is read from
 * the first bytes alone, and the whole file may not inflate to more than the header declares (a
 * "zip bomb" stops at that size instead of filling memory). A header that declares more than
 * `MAX_IDX_DATA_BYTES` is refused before anything large is inflated.
 */
function gunzipBounded(bytes: Uint8Array, file: string): Uint8Array {
  let head: Uint8Array;
  try {
    // 2 KiB of input inflate to at most ~2 MiB (deflate's ratio is below 1:1032) and hold any IDX header (≤ 1,028 bytes)
    head = gunzipSync(bytes.subarray(0, 2048), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: 1 << 22 });
  } catch (err) {
    throw new IdxFormatError(file, `looks gzip-compressed (starts with 1f 8b) but does not decompress: ${(err as Error).message}`);
  }
  const declared = declaredIdxBytes(head);
  // not IDX (or a header longer than the first inflated bytes): inflate a bounded amount, the parser names the problem
  const limit = declared === undefined ? Math.max(head.length, 1024) : declared;
  if (limit - 1028 > MAX_IDX_DATA_BYTES) {
    throw new IdxFormatError(file, `its header declares ${limit} bytes; expected at most ${MAX_IDX_DATA_BYTES} data bytes`);
  }
  try {
    return gunzipSync(bytes, { maxOutputLength: limit + 1 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new IdxFormatError(file, `decompresses to more than the ${limit} bytes its header declares; expected exactly ${limit} (the file is damaged or not what it claims)`);
    }
    throw new IdxFormatError(file, `looks gzip-compressed (starts with 1f 8b) but does not decompress: ${(err as Error).message}`);
  }
}

function decode(dtype: IdxDtype, view: DataView, offset: number, count: number): IdxData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(view.buffer, view.byteOffset + offset, count);
    case 'int8':
      return new Int8Array(view.buffer, view.byteOffset + offset, count);
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Reads and parses one IDX file (raw or gzip). */
export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IdxFormatError(path, code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`);
  }
  return parseIdx(bytes, path);
}

/** Numeric typed arrays that pixel data may come in. */
export type PixelArray = IdxData;

/** Labelled images in memory: NHWC row-major pixels plus one int32 label per image. */
export interface LabelledImages {
  /** N·H·W·C pixel values, row-major NHWC (for MNIST-style files, uint8 in 0–255). */
  readonly images: PixelArray;
  /** [N, H, W, C]; IDX files of N×H×W images get C = 1. */
  readonly shape: readonly [number, number, number, number];
  readonly labels: Int32Array;
}

export interface ReadIdxPairOptions {
  /** When given, every label must be in [0, numClasses). */
  readonly numClasses?: number;
}

/**
 * Reads an images file (N×H×W or N×H×W×C) and a labels file (N, integer type) and checks that
 * the counts match and that the labels are non-negative (and below `numClasses` when given).
 */
export async function readIdxPair(imagesPath: string, labelsPath: string, opts: ReadIdxPairOptions = {}): Promise<LabelledImages> {
  // both read at once; a failure is reported in argument order (the images file first), not by which read failed first
  const [images, labels] = await Promise.allSettled([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  if (images.status === 'rejected') throw images.reason;
  if (labels.status === 'rejected') throw labels.reason;
  return pairIdx(images.value, labels.value, { ...opts, imagesFile: imagesPath, labelsFile: labelsPath });
}

/** The checks of `readIdxPair` on already parsed arrays. */
export function pairIdx(
  images: IdxArray,
  labels: IdxArray,
  opts: ReadIdxPairOptions & { imagesFile?: string; labelsFile?: string } = {},
): LabelledImages {
  const imagesFile = opts.imagesFile ?? '<images>';
  const labelsFile = opts.labelsFile ?? '<labels>';
  if (images.shape.length !== 3 && images.shape.length !== 4) {
    throw new IdxFormatError(imagesFile, `expected images of shape N×H×W or N×H×W×C, got [${images.shape.join(', ')}]`);
  }
  if (labels.shape.length !== 1) {
    throw new IdxFormatError(labelsFile, `expected labels of shape [N], got [${labels.shape.join(', ')}]`);
  }
  if (labels.dtype === 'float32' || labels.dtype === 'float64') {
    throw new IdxFormatError(labelsFile, `labels must have an integer type, got ${labels.dtype}`);
  }
  const [n, h, w, c = 1] = images.shape as [number, number, number, number?];
  if (labels.shape[0] !== n) {
    throw new IdxFormatError(labelsFile, `has ${labels.shape[0]} labels but ${imagesFile} has ${n} images`);
  }
  const out = new Int32Array(n);
  const numClasses = opts.numClasses;
  for (let i = 0; i < n; i++) {
    const v = labels.data[i]!;
    if (v < 0 || (numClasses !== undefined && v >= numClasses)) {
      const range = numClasses !== undefined ? `[0, ${numClasses})` : '[0, ∞)';
      throw new IdxFormatError(labelsFile, `label ${v} at index ${i} is out of range ${range}`);
    }
    out[i] = v;
  }
  return { images: images.data, shape: [n, h, w, c], labels: out };
}
