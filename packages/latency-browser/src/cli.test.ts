// The browser target from the command line, as a user runs it: child processes on the built CLI
// (packages/cli/dist/bin.js) that drive a real headless Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { architectureFeatures, networkLatencyFromTable } from '@proxyless/latency';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { describe, expect, it } from 'vitest';
import { chromiumPath, reportSkip, smallSpaceOptions } from './test-support.js';

reportSkip('browser-chromium');
tf.enableProdMode();
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(repoRoot, 'packages/cli/dist/bin.js');
const cli = (args: readonly string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 600_000 });
const fast = ['--warmup', '1', '--min-runs', '3', '--min-duration-ms', '2', '--max-spread', '10'];
const spaceYaml = `space: { use: "@proxyless/space-mbconv", options: ${JSON.stringify(smallSpaceOptions)} }`;

describe.skipIf(!chromiumPath || !existsSync(bin))('proxyless latency build --target browser', () => {
  it('measures the space inside Chromium (webgl) into a table, resumably, and rejects a backend the page does not offer', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxyless-browser-cli-'));
    const config = join(dir, 'space.yaml');
    writeFileSync(config, `seed: 3\ninput: { shape: [28, 28, 1], numClasses: 10 }\n${spaceYaml}\n`);
    const table = join(dir, 'browser-webgl.yaml');
    const first = cli(['latency', 'build', config, '--out', table, '--target', 'browser', '--backend', 'webgl', '--limit', '2', ...fast]);
    expect(first.status, first.stderr).toBe(0);
    const total = Number(/(\d+) distinct ops in mbconv/.exec(first.stderr)![1]);
    expect(first.stdout).toContain(`2 entries measured, 0 kept, ${total - 2} left`);
    expect(first.stdout).toContain(`to continue: proxyless latency build ${config} --out ${table} --target browser --backend webgl`);
    expect(first.stderr).toMatch(/measuring in Chromium \S+ \(headless\) · TensorFlow\.js webgl on .*SwiftShader/);
    const second = cli(['latency', 'build', config, '--out', table, '--target', 'browser', '--backend', 'webgl', ...fast, '--json']);
    expect(second.status, second.stderr).toBe(0);
    const r2 = JSON.parse(second.stdout) as { kept: number; remaining: number; total: number };
    expect(r2).toMatchObject({ kept: 2, remaining: 0, total });
    expect(readFileSync(table, 'utf8').match(/^\S.*:$/gm)!.length).toBe(total);
    expect(JSON.parse(readFileSync(`${table}.device.json`, 'utf8'))).toMatchObject({ backend: 'browser-webgl', details: { browser: 'Chromium' } });
    const bad = cli(['latency', 'build', config, '--out', table, '--target', 'browser', '--backend', '@proxyless/backend-wasm']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--backend: got "@proxyless/backend-wasm"; expected wasm, webgl or webgpu with --target browser');
  });

  it('a short search whose config names the browser target runs end to end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxyless-browser-search-'));
    const config = join(dir, 'search.yaml');
    writeFileSync(
      config,
      [
        'seed: 5',
        'backend: { use: "@proxyless/backend-wasm" }',
        `data: { use: fashion-mnist, options: { dir: ${JSON.stringify(join(repoRoot, 'examples/fashion-mnist/data'))}, limit: { train: 128, test: 32 }, validation: 32 } }`,
        spaceYaml,
        'latency: { use: "@proxyless/latency-browser", options: { backend: wasm, table: browser-wasm.yaml, warmup: 1, minRuns: 3, minDurationMs: 2, calibrate: 3 } }',
        'strategy: { use: "@proxyless/strategy-binaryconnect", options: { latencyLoss: normalized, lambda: 0.1, budget: 1 } }',
        'trainer: { use: search, options: { epochs: 2, warmupEpochs: 1, batchSize: 32, archUpdateEvery: 2 } }',
        '',
      ].join('\n'),
    );
    const run = join(dir, 'runs', 'browser');
    const r = cli(['search', config, '--out', run]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/browser latency \(wasm\): \d+ distinct ops, 0 in .*browser-wasm\.yaml, \d+ to measure in Chromium/);
    const arch = JSON.parse(readFileSync(join(run, 'architecture.json'), 'utf8')) as { latency: number; latencyUnit: string; architecture: Record<string, string> };
    expect(Object.keys(arch.architecture).sort()).toEqual(['s1_b0', 's1_b1']);
    // The derived architecture's latency is the browser table's sum over its layers, calibrated on 3
    // networks timed whole in the page (the fit as the log prints it, rounded).
    const fit = /latency calibration on 3 networks: measured ≈ (\S+)·Σops \+ (\S+)·layers \+ (\S+) ms/.exec(r.stderr);
    expect(fit, r.stderr).not.toBeNull();
    const [scale, perLayer, offset] = fit!.slice(1).map(Number) as [number, number, number];
    await tf.setBackend('cpu');
    const layers = architectureFeatures(MBConvSpace.from(smallSpaceOptions, { shape: [28, 28, 1], numClasses: 10 }), arch.architecture);
    const table = networkLatencyFromTable(join(dir, 'browser-wasm.yaml'), layers);
    const nonZero = layers.filter((l) => l.type !== 'zero').length;
    expect(arch.latency).toBeCloseTo(scale * table.totalMs + perLayer * nonZero + offset, 2);
    expect(arch.latencyUnit).toBe('ms');
    expect(JSON.parse(readFileSync(join(dir, 'browser-wasm.yaml.device.json'), 'utf8'))).toMatchObject({ backend: 'browser-wasm' });
  });

  it('latency predict --target browser fits a predictor on networks timed in the page', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxyless-browser-predict-'));
    const config = join(dir, 'space.yaml');
    writeFileSync(config, `seed: 3\ninput: { shape: [28, 28, 1], numClasses: 10 }\n${spaceYaml}\n`);
    const table = join(dir, 'browser-wasm.yaml');
    const built = cli(['latency', 'build', config, '--out', table, '--target', 'browser', '--backend', 'wasm', ...fast]);
    expect(built.status, built.stderr).toBe(0);
    const out = join(dir, 'pred');
    const r = cli(['latency', 'predict', config, '--table', table, '--target', 'browser', '--backend', 'wasm', '--fit', '6', '--test', '3', '--out', out, '--warmup', '1', '--min-runs', '3', '--min-duration-ms', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/measuring in Chromium \S+ \(headless\) · TensorFlow\.js wasm/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { measured: number };
    expect(report.measured).toBe(9);
    expect(JSON.parse(readFileSync(join(out, 'predictor.json'), 'utf8'))).toMatchObject({ target: 'browser-wasm' });
    const samples = readFileSync(join(out, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { measuredMs: number });
    expect(samples.every((x) => x.measuredMs > 0)).toBe(true);
  });
});
