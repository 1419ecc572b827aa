import { InputError } from '../config/config-error.js';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabelledImages } from './idx.js';

/**
 * Reader for the CIFAR-10 binary distribution (`cifar-10-batches-bin`,
 * https://www.cs.toronto.edu/~kriz/cifar.html): each file is a run of 3073-byte records, one label
 * byte (0–9) then 3072 pixel bytes — the 1024 red values of the 32×32 image row-major, then the 1024
 * green, then the 1024 blue. Training files are `data_batch_1.bin` … `data_batch_5.bin` (10,000
 * images each), the test file `test_batch.bin`.
 */
export const CIFAR10 = Object.freeze({ height: 32, width: 32, channels: 3, recordBytes: 3073, numClasses: 10 });

export const CIFAR10_CLASS_NAMES = Object.freeze(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const);

/** A malformed CIFAR-10 file; `file` names it. */
export class Cifar10FormatError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'Cifar10FormatError';
  }
  /** Bad input: the CLI's exit code 2. */
  get exitCode(): number {
    return 2;
  }
}

/** Parses the bytes of one or more binary batch files (concatenated in order) into NHWC uint8 images. */
export function parseCifar10(files: readonly { name: string; bytes: Uint8Array }[]): LabelledImages {
  const { recordBytes, height, width, channels, numClasses } = CIFAR10;
  const plane = height * width;
  let n = 0;
  for (const f of files) {
    if (f.bytes.length === 0 || f.bytes.length % recordBytes !== 0) {
      throw new Cifar10FormatError(f.name, `${f.bytes.length} bytes is not a whole number of ${recordBytes}-byte records (1 label byte + 32×32×3 pixels)`);
    }
    n += f.bytes.length / recordBytes;
  }
  const images = new Uint8Array(n * plane * channels);
  const labels = new Int32Array(n);
  let i = 0;
  for (const f of files) {
    const count = f.bytes.length / recordBytes;
    for (let r = 0; r < count; r++, i++) {
      const base = r * recordBytes;
      const label = f.bytes[base]!;
      if (label >= numClasses) throw new Cifar10FormatError(f.name, `record ${r} has label ${label}; expected 0–${numClasses - 1}`);
      labels[i] = label;
      const dst = i * plane * channels;
      for (let p = 0; p < plane; p++) {
        for (let c = 0; c < channels; c++) images[dst + p * channels + c] = f.bytes[base + 1 + c * plane + p]!;
      }
    }
  }
  return { images, shape: [n, height, width, channels], labels };
}

async function readAll(paths: readonly string[]): Promise<{ name: string; bytes: Uint8Array }[]> {
  // read at once; a failure is reported for the first file in the order given, not by which read failed first
  const settled = await Promise.allSettled(
    paths.map(async (p) => {
      try {
        return { name: p, bytes: new Uint8Array(await readFile(p)) };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Cifar10FormatError(p, code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`);
      }
    }),
  );
  return settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}

/** Reads batch files into one set of labelled images, in the order given. */
export async function readCifar10Files(paths: readonly string[]): Promise<LabelledImages> {
  return parseCifar10(await readAll(paths));
}

/** The binary files of a `cifar-10-batches-bin` folder: `data_batch_<k>.bin` in order of k, and `test_batch.bin` when present. */
export function findCifar10Files(dir: string): { train: string[]; test?: string } {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new InputError(`cifar10: dir ${dir} cannot be read (expected the cifar-10-batches-bin folder: data_batch_1.bin … data_batch_5.bin, test_batch.bin)`);
  }
  const train = names
    .map((n) => /^data_batch_(\d+)\.bin$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => join(dir, m[0]));
  if (train.length === 0) throw new InputError(`cifar10: dir ${dir} has no data_batch_<k>.bin file (expected the cifar-10-batches-bin folder of https://www.cs.toronto.edu/~kriz/cifar.html)`);
  return { train, ...(names.includes('test_batch.bin') ? { test: join(dir, 'test_batch.bin') } : {}) };
}
