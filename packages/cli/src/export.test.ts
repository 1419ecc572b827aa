// `proxyless export`: a trained model saved through the space's optional exportModel, in process.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { subsetDir, tempDir } from '../../../test/helpers.js';
import { runCli } from './cli.js';

function sink() {
  let text = '';
  return { write: (s: string) => void (text += s), get text() { return text; } };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(['node', 'proxyless', ...args], { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const data = { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 64, test: 24 }, validation: 0 } };

function architectureFile(space: unknown, architecture: Record<string, string>): string {
  const dir = tempDir();
  const file = join(dir, 'architecture.json');
  writeFileSync(file, JSON.stringify({ space, data, backend: { use: '@proxyless/backend-wasm' }, seed: 1, architecture }));
  return file;
}

describe('proxyless export', () => {
  it("writes the mbconv space's checked TF.js LayersModel of a trained model", async () => {
    const options = { firstConv: { width: 8 }, firstBlock: { width: 8 }, stages: [{ width: 16, blocks: 2, stride: 2 }], featureMix: 32 };
    const file = architectureFile({ use: '@proxyless/space-mbconv', options }, { s1_b0: '5x5_MBConv6', s1_b1: '3x3_MBConv3' });
    const model = join(file, '..', 'model');
    const t = await cli(['train', file, '--epochs', '1', '--max-batches-per-epoch', '1', '--batch-size', '16', '--out', model, '--quiet']);
    expect(t.stderr).toBe('');
    expect(t.code).toBe(0);
    const r = await cli(['export', model, '--check', '16', '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o).toMatchObject({ command: 'export', format: 'tfjs-layers-model', files: ['model.json', 'weights.bin'], agreement: 1, checked: 16 });
    expect(existsSync(join(model, 'exported', 'model.json'))).toBe(true);
    const human = await cli(['export', model, '--out', join(model, 'web'), '--quiet']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^exported tfjs-layers-model to .*web \(model\.json, weights\.bin, \d+ bytes\)\nsame prediction as the trained network on 100\.0% of 24 examples\n$/);
    // the run directory (here the folder of architecture.json, where `train` put model/) with --format
    const run = join(file, '..');
    const viaRun = await cli(['export', run, '--format', 'tfjs-layers', '--check', '8', '--out', join(run, 'from-run'), '--json']);
    expect(viaRun.code).toBe(0);
    expect(JSON.parse(viaRun.stdout)).toMatchObject({ command: 'export', modelDir: model, format: 'tfjs-layers-model', agreement: 1, checked: 8 });
    expect(existsSync(join(run, 'from-run', 'model.json'))).toBe(true);
    const badFormat = await cli(['export', run, '--format', 'onnx']);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('export: --format: got "onnx"; expected tfjs-layers');
  });

  it('points at `proxyless train` for a run directory without a trained model', async () => {
    const file = architectureFile({ use: '@proxyless/space-mbconv', options: {} }, {});
    const r = await cli(['export', join(file, '..')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no trained model`);
    expect(r.stderr).toContain(`proxyless train ${file}`);
  });

  it('says so, with exit code 2, when the space offers no export', async () => {
    const space = { use: '@proxyless/test-utils', options: { stem: 4, blocks: [{ width: 4, stride: 2 }], kernels: [3] } };
    const file = architectureFile(space, { b0: '3x3_conv' });
    const model = join(file, '..', 'model');
    expect((await cli(['train', file, '--epochs', '1', '--max-batches-per-epoch', '1', '--out', model, '--quiet'])).code).toBe(0);
    const r = await cli(['export', model]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('export: the tiny space has no model export (its space plugin offers no exportModel)');
    const bad = await cli(['export', model, '--check', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--check: got "-1"; expected an integer ≥ 0');
  });
});
