import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { IdxFormatError, parseIdx, readIdxFile, readIdxPair } from './idx.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const subset = join(root, 'examples/fashion-mnist/data');
const tmp = mkdtempSync(join(tmpdir(), 'proxyless-idx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha256 = (a: ArrayBufferView): string => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
const sum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
};

/** An IDX file's bytes: header for `type`/`shape`, then `data` big-endian. */
function idxBytes(type: number, shape: number[], write: (view: DataView, offset: number) => void, dataBytes: number): Uint8Array {
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + dataBytes);
  const view = new DataView(out.buffer);
  out[2] = type;
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  write(view, header);
  return out;
}

describe('IDX reader', () => {
  it('parses the committed Fashion-MNIST subset with known checksums', async () => {
    const train = await readIdxPair(join(subset, 'train-images-idx3-ubyte.gz'), join(subset, 'train-labels-idx1-ubyte.gz'), { numClasses: 10 });
    expect(train.shape).toEqual([4000, 28, 28, 1]);
    expect(train.images).toBeInstanceOf(Uint8Array);
    expect(train.labels.length).toBe(4000);
    expect(sum(train.images)).toBe(229322796);
    expect(sha256(train.images)).toBe('a7a5caf0ea9138a0808c7eded0cf75e4e9bfc406bcc2287e02001f26a77b48ee');
    expect(sha256(new Uint8Array(train.labels))).toBe('fad16c75b1fba7c6f5bd49ce22d784c5878d8c6065bcae46cbd04a2846a7844f');
    expect([...train.labels.subarray(0, 10)]).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(train.images[14 * 28 + 14]).toBe(217);
    const counts = new Array<number>(10).fill(0);
    for (const y of train.labels) counts[y]!++;
    expect(counts).toEqual(new Array(10).fill(400));

    const test = await readIdxPair(join(subset, 't10k-images-idx3-ubyte.gz'), join(subset, 't10k-labels-idx1-ubyte.gz'), { numClasses: 10 });
    expect(test.shape).toEqual([1000, 28, 28, 1]);
    expect(sum(test.images)).toBe(56973981);
    expect(sha256(test.images)).toBe('3d7f6d64869a3f2d1afe64ae33ffb9b20670a91b31e3bbf0657e3999ec7b35cf');
    expect(sha256(new Uint8Array(test.labels))).toBe('6b25654537ff83dd6c40fe0a122c7778d8219b2a88ff02c36dbdd21152fdb075');
    expect(Math.min(...test.labels)).toBe(0);
    expect(Math.max(...test.labels)).toBe(9);
  });

  it('parses gzip and raw files alike (detected by magic, not name)', async () => {
    const gz = readFileSync(join(subset, 't10k-labels-idx1-ubyte.gz'));
    const rawPath = join(tmp, 'labels.gz'); // raw bytes under a .gz name
    writeFileSync(rawPath, gunzipSync(gz));
    const gzPath = join(tmp, 'labels-compressed.idx'); // gzip under a plain name
    writeFileSync(gzPath, gz);
    const a = await readIdxFile(rawPath);
    const b = await readIdxFile(gzPath);
    expect(a.dtype).toBe('uint8');
    expect(a.shape).toEqual([1000]);
    expect(b.shape).toEqual(a.shape);
    expect([...b.data]).toEqual([...a.data]);
  });

  it('names the file, the expected and the actual byte count of a truncated file', async () => {
    const bytes = gunzipSync(readFileSync(join(subset, 't10k-images-idx3-ubyte.gz')));
    const path = join(tmp, 'truncated-images');
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    const err = await readIdxFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdxFormatError);
    const msg = (err as Error).message;
    expect(msg).toContain(path);
    expect(msg).toContain('truncated');
    expect(msg).toContain('784000'); // expected data bytes
    expect(msg).toContain('783900'); // actual
    // the same through gzip
    writeFileSync(path + '.gz', gzipSync(bytes.subarray(0, bytes.length - 1)));
    await expect(readIdxFile(path + '.gz')).rejects.toThrow(/truncated.*784000.*783999/);
  });

  it('names the file, the bytes found and the expected magic of a non-IDX file', async () => {
    const path = join(tmp, 'not-idx.bin');
    writeFileSync(path, Buffer.from('PK\x03\x04 definitely not an IDX file'));
    const err = await readIdxFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdxFormatError);
    const msg = (err as Error).message;
    expect(msg).toContain(path);
    expect(msg).toContain('0x50 0x4b 0x03 0x04');
    expect(msg).toMatch(/expected 00 00 <type: 0x08/);
    // an unknown type byte
    expect(() => parseIdx(new Uint8Array([0, 0, 0x0a, 1, 0, 0, 0, 0]), 'odd.idx')).toThrow(/odd\.idx: not an IDX file: magic bytes are 0x00 0x00 0x0a 0x01/);
    // a header shorter than its dimensions
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'short.idx')).toThrow(/short\.idx: truncated header/);
    await expect(readIdxFile(join(tmp, 'missing.idx'))).rejects.toThrow(/missing\.idx: file not found/);
  });

  it('rejects trailing bytes', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3]), 'long.idx')).toThrow(/long\.idx: has trailing bytes.*need 2 .*there are 3/);
  });

  it('inflates gzip only up to the size its header declares (a gzip bomb stops there), and refuses an absurd header before inflating', () => {
    // header: uint8, 1 dimension of 10 elements; then 64 MiB of zeros (a 64 KiB gzip file)
    const header = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 10]);
    const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 * 1024 * 1024)]));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    let err: unknown;
    try {
      parseIdx(bomb, 'bomb.gz');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IdxFormatError);
    expect((err as Error).message).toBe('bomb.gz: decompresses to more than the 18 bytes its header declares; expected exactly 18 (the file is damaged or not what it claims)');
    expect((err as IdxFormatError).exitCode).toBe(2);
    // a header declaring 100000 × 100000 × 1000 bytes: refused from the first bytes
    const absurd = gzipSync(new Uint8Array([0, 0, 8, 3, 0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 0, 0, 0x03, 0xe8]));
    expect(() => parseIdx(absurd, 'absurd.gz')).toThrow('absurd.gz: its header declares 10000000000016 bytes; expected at most 2147483648 data bytes');
    // the same as raw bytes: refused before any allocation
    expect(() => parseIdx(gunzipSync(absurd), 'absurd.idx')).toThrow('absurd.idx: declared dimensions [100000, 100000, 1000] are too large: 10000000000000 data bytes; expected at most 2147483648');
    // a well-formed gzip file still parses
    expect(parseIdx(gzipSync(Buffer.concat([header, Buffer.alloc(10, 7)])), 'ok.gz').data).toEqual(new Uint8Array(10).fill(7));
  });

  it('decodes the big-endian multi-byte types', () => {
    const i16 = parseIdx(idxBytes(0x0b, [3], (v, o) => [-2, 300, 7].forEach((x, i) => v.setInt16(o + 2 * i, x, false)), 6));
    expect(i16.dtype).toBe('int16');
    expect([...i16.data]).toEqual([-2, 300, 7]);
    const i32 = parseIdx(idxBytes(0x0c, [2], (v, o) => [-70000, 123456789].forEach((x, i) => v.setInt32(o + 4 * i, x, false)), 8));
    expect([...i32.data]).toEqual([-70000, 123456789]);
    const f32 = parseIdx(idxBytes(0x0d, [1, 2], (v, o) => [0.5, -1.25].forEach((x, i) => v.setFloat32(o + 4 * i, x, false)), 8));
    expect(f32.dtype).toBe('float32');
    expect(f32.shape).toEqual([1, 2]);
    expect([...f32.data]).toEqual([0.5, -1.25]);
    const f64 = parseIdx(idxBytes(0x0e, [1], (v, o) => v.setFloat64(o, Math.PI, false), 8));
    expect(f64.data[0]).toBe(Math.PI);
    const i8 = parseIdx(idxBytes(0x09, [2], (v, o) => [-3, 4].forEach((x, i) => v.setInt8(o + i, x)), 2));
    expect([...i8.data]).toEqual([-3, 4]);
  });

  it('checks that an images/labels pair matches', async () => {
    const images = join(tmp, 'imgs.idx');
    writeFileSync(images, idxBytes(0x08, [2, 2, 2], () => {}, 8));
    const threeLabels = join(tmp, 'three-labels.idx');
    writeFileSync(threeLabels, idxBytes(0x08, [3], () => {}, 3));
    await expect(readIdxPair(images, threeLabels)).rejects.toThrow(/three-labels\.idx: has 3 labels but .*imgs\.idx has 2 images/);
    const badLabels = join(tmp, 'bad-labels.idx');
    writeFileSync(badLabels, idxBytes(0x08, [2], (v, o) => v.setUint8(o + 1, 10), 2));
    await expect(readIdxPair(images, badLabels, { numClasses: 10 })).rejects.toThrow(/bad-labels\.idx: label 10 at index 1 is out of range \[0, 10\)/);
    const ok = await readIdxPair(images, badLabels);
    expect(ok.shape).toEqual([2, 2, 2, 1]);
  });
});
