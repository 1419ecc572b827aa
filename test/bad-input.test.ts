// Bad input, nothing lost: each bad input stops `proxyless search` (a real CLI process) with one clear
// error line (a config error: the file, then one line per problem), exit code 2 for bad input (1 for a failed run) and no stack
// trace, and leaves no half-written file behind (no `*.tmp-*`, every JSON parses, a checkpoint loads).
import { loadCheckpoint, RunFiles } from '@proxyless/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCliProcess, type CliRun } from '../packages/cli/test/run-cli.js';
import { assertNothingHalfWritten, smallConfig, subsetDir, tempDir, writeConfig } from './helpers.js';

tf.enableProdMode(); // no "running in Node.js" banner

const IMAGES = 'train-images-idx3-ubyte';
const LABELS = 'train-labels-idx1-ubyte.gz';

function dataConfig(dir: string): Record<string, unknown> {
  return smallConfig({ data: { use: 'fashion-mnist', options: { dir, limit: { train: 320, test: 64 }, validation: 64 } } });
}

async function search(config: Record<string, unknown>): Promise<{ r: CliRun; runDir: string }> {
  const dir = tempDir('proxyless-bad-');
  const runDir = join(dir, 'run');
  const r = await runCliProcess(['search', writeConfig(dir, config), '--out', runDir], { cwd: dir });
  return { r, runDir };
}

/** The single `proxyless:` error line of stderr (and no stack trace). */
function errorLine(r: CliRun): string {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('proxyless:'));
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

/** A folder with the subset's training labels and the given training-images file. */
function dataDir(images: { name: string; bytes: Uint8Array }): string {
  const dir = tempDir('proxyless-bad-data-');
  copyFileSync(join(subsetDir, LABELS), join(dir, LABELS));
  writeFileSync(join(dir, images.name), images.bytes);
  return dir;
}
const rawImages = (): Buffer => gunzipSync(readFileSync(join(subsetDir, `${IMAGES}.gz`)));

describe('proxyless search on bad input', () => {
  it('missing dataset files: names the folder and the files it expected', async () => {
    const empty = tempDir('proxyless-empty-');
    const { r, runDir } = await search(dataConfig(empty));
    expect(r.code).toBe(2);
    expect(errorLine(r)).toBe(
      `proxyless: fashion-mnist: dir ${empty} does not hold the Fashion-MNIST IDX files: expected train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz (t10k-* for a test split; gzip or raw)`,
    );
    await assertNothingHalfWritten(runDir);
  });

  it('a dataset file with a wrong magic number', async () => {
    const bytes = rawImages();
    bytes.write('PK\x03\x04', 0, 'latin1'); // a zip header where the IDX magic belongs
    const dir = dataDir({ name: IMAGES, bytes });
    const { r, runDir } = await search(dataConfig(dir));
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(new RegExp(`^proxyless: ${join(dir, IMAGES)}: not an IDX file: magic bytes are 0x50 0x4b 0x03 0x04, expected 00 00 `));
    await assertNothingHalfWritten(runDir);
  });

  it('a truncated dataset file (raw and gzip)', async () => {
    const raw = rawImages();
    const dir = dataDir({ name: IMAGES, bytes: raw.subarray(0, 16 + 1000) });
    const a = await search(dataConfig(dir));
    expect(a.r.code).toBe(2);
    expect(errorLine(a.r)).toBe(
      `proxyless: ${join(dir, IMAGES)}: truncated: dimensions [4000, 28, 28] of uint8 (1 byte(s) each) need 3136000 data bytes after the 16-byte header, but there are 1000`,
    );
    await assertNothingHalfWritten(a.runDir);

    const gz = readFileSync(join(subsetDir, `${IMAGES}.gz`));
    const dirGz = dataDir({ name: `${IMAGES}.gz`, bytes: gz.subarray(0, gz.length >> 1) });
    const b = await search(dataConfig(dirGz));
    expect(b.r.code).toBe(2);
    expect(errorLine(b.r)).toMatch(new RegExp(`^proxyless: ${join(dirGz, IMAGES)}\\.gz: looks gzip-compressed \\(starts with 1f 8b\\) but does not decompress: `));
    await assertNothingHalfWritten(b.runDir);
  });

  it('a config with a wrong type: the file, the field path, the value and what was expected (exit 2)', async () => {
    const cfg = smallConfig();
    (cfg.trainer as { options: Record<string, unknown> }).options.epochs = 'two';
    const { r, runDir } = await search(cfg);
    expect(r.code).toBe(2);
    const line = errorLine(r);
    expect(line).toMatch(/^proxyless: \S+search\.json: invalid config$/);
    expect(r.stderr).toContain(`${line}\n  - trainer.options.epochs: got "two"; expected `);
    expect(existsSync(runDir)).toBe(false);
  });

  it('a latency table missing keys: one error listing every missing key', async () => {
    const dir = tempDir('proxyless-table-');
    const table = join(dir, 'laptop.json');
    writeFileSync(table, JSON.stringify({ 'conv-input:1x1x1-output:1x1x1-kernel:3-stride:1': { count: 1, mean: 0.1, var: 0 } }));
    const { r, runDir } = await search(smallConfig({ latency: { use: '@proxyless/latency', name: 'table', options: { table, target: 'laptop' } } }));
    expect(r.code).toBe(2);
    const line = errorLine(r);
    expect(line).toMatch(new RegExp(`^proxyless: latency table ${table} has no entry for 6 ops of this space \\(build one for these shapes with \`proxyless latency build\`\\): `));
    expect(line).toContain('conv-input:28x28x4-output:14x14x4-kernel:5-stride:2-idskip:0');
    expect(line).toContain('Logits-input:14x14x4-output:10');
    await assertNothingHalfWritten(runDir);
  });

  it('a NaN loss: names the step that diverged and keeps the last good checkpoint', async () => {
    const { r, runDir } = await search(
      smallConfig({
        trainer: { use: 'search', options: { epochs: 3, warmupEpochs: 3, batchSize: 32, lr: 1e9, lrSchedule: 'constant', momentum: 0, checkpointEvery: 1, labelSmoothing: 0 } },
      }),
    );
    expect(r.code).toBe(1);
    const line = errorLine(r);
    const m = /^proxyless: search diverged: .+ at epoch \d+, batch \d+ \(step (\d+)\); the last good checkpoint is kept/.exec(line);
    expect(m, line).not.toBeNull();
    const step = Number(m![1]);
    expect(step).toBeGreaterThan(0);
    await assertNothingHalfWritten(runDir);
    const ckpt = loadCheckpoint(join(runDir, RunFiles.checkpoint));
    try {
      expect((ckpt.json as { saved: { step: number } }).saved.step).toBeLessThanOrEqual(step);
      for (const [name, t] of Object.entries(ckpt.tensors)) expect(Array.from(t.dataSync()).every(Number.isFinite), name).toBe(true);
    } finally {
      tf.dispose(Object.values(ckpt.tensors));
    }
    expect(existsSync(join(runDir, RunFiles.result))).toBe(false);
  });
});
