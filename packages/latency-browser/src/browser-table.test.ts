import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distinctOps, readLatencyTable, spaceOps } from '@proxyless/latency';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserLatencyTable, deviceFileOf } from './browser-table.js';
import { chromiumPath, reportSkip, smallInput, smallPageSpace, smallSpaceOptions } from './test-support.js';

reportSkip('browser-chromium');
const quick = { warmup: 1, minRuns: 3, minDurationMs: 0, maxSpread: 10 };

beforeAll(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

describe.skipIf(!chromiumPath)('buildBrowserLatencyTable', () => {
  it('writes the same keys as the other providers, records the browser, resumes, and refuses to mix browsers or backends', async () => {
    const space = MBConvSpace.from(smallSpaceOptions, smallInput);
    const ops = spaceOps(space);
    const keys = [...distinctOps(ops).keys()].sort();
    const file = join(mkdtempSync(join(tmpdir(), 'proxyless-browser-table-')), 'browser-wasm.yaml');

    const first = await buildBrowserLatencyTable({ file, ops, space: smallPageSpace, backend: 'wasm', limit: 2, ...quick });
    expect(first.measured.length).toBe(2);
    expect(first.remaining).toBe(keys.length - 2);
    expect(first.device?.backend).toBe('browser-wasm');
    const device = JSON.parse(readFileSync(deviceFileOf(file), 'utf8')) as { backend: string; device: string; details: Record<string, unknown> };
    expect(device.backend).toBe('browser-wasm');
    expect(device.details['browser']).toBe('Chromium');
    expect(readFileSync(file, 'utf8')).toMatch(/^(Conv|expanded_conv)-input:\S+:\n {2}count: \d+\n {2}mean: [\d.e-]+\n {2}var: [\d.e-]+\n/);

    // Another backend on the same file: refused before anything is added.
    await expect(buildBrowserLatencyTable({ file, ops, space: smallPageSpace, backend: 'webgl', limit: 1, ...quick })).rejects.toThrow(/was measured on browser-wasm .* this run measures on browser-webgl .*Use another table file/);
    expect(readLatencyTable(file).size).toBe(2);

    const second = await buildBrowserLatencyTable({ file, ops, space: smallPageSpace, backend: 'wasm', ...quick });
    expect(second.kept).toBe(2);
    expect(second.remaining).toBe(0);
    const table = readLatencyTable(file);
    expect([...table.keys()].sort()).toEqual(keys);
    for (const k of keys) expect(table.get(k)!.mean).toBeGreaterThan(0);

    // Complete: nothing to measure, no browser started.
    const third = await buildBrowserLatencyTable({ file, ops, space: smallPageSpace, backend: 'webgl', ...quick });
    expect(third.measured.length).toBe(0);
    expect(third.device).toBeUndefined();
    expect(existsSync(deviceFileOf(file))).toBe(true);
  });
});
