// `proxyless export`: a trained model saved through the space's optional exportModel, in process.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    expect(badFormat.stderr).toContain('export: --format: got "onnx"; expected tfjs-layers or net-config');
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
    const netConfig = await cli(['export', model, '--format', 'net-config']);
    expect(netConfig.code).toBe(2);
    expect(netConfig.stderr).toContain('export: --format net-config: the tiny space (@proxyless/test-utils) writes no net config (its space plugin has no exportArchitecture); formats it exports: none');
    const bad = await cli(['export', model, '--check', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--check: got "-1"; expected an integer ≥ 0');
  });

  it("writes an mbconv architecture as a ProxylessNASNets net config that `proxyless inspect` reads back to the same architecture (no weights needed)", async () => {
    const options = { firstConv: { width: 8 }, firstBlock: { width: 8 }, stages: [{ width: 16, blocks: 2, stride: 2 }, { width: 24, blocks: 2, stride: 2 }], featureMix: 32 };
    const architecture = { s1_b0: '5x5_MBConv6', s1_b1: 'zero', s2_b0: '3x3_MBConv3', s2_b1: '7x7_MBConv6' };
    const file = architectureFile({ use: '@proxyless/space-mbconv', options }, architecture);
    const run = join(file, '..'); // a derived run directory: architecture.json, no model
    const r = await cli(['export', run, '--format', 'net-config', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ command: 'export', format: 'ProxylessNASNets', files: ['net-config.json'], readBack: 'same architecture', resolution: 28 });
    const written = join(run, 'exported', 'net-config.json');
    const cfg = JSON.parse(readFileSync(written, 'utf8')) as { name: string; first_conv: { in_channels: number }; classifier: { out_features: number }; blocks: { mobile_inverted_conv: { name: string } }[] };
    expect(cfg.name).toBe('ProxylessNASNets');
    expect(cfg.first_conv.in_channels).toBe(1);
    expect(cfg.classifier.out_features).toBe(10);
    expect(cfg.blocks.map((b) => b.mobile_inverted_conv.name)).toEqual(['MBInvertedConvLayer', 'MBInvertedConvLayer', 'ZeroLayer', 'MBInvertedConvLayer', 'MBInvertedConvLayer']);
    const back = await cli(['inspect', written, '--resolution', '28', '--json']);
    expect(back.code).toBe(0);
    const inspected = JSON.parse(back.stdout) as { kind: string; architecture: Record<string, string>; params: number };
    expect(inspected.kind).toBe('net-config');
    expect(inspected.architecture).toEqual(architecture);
    const direct = await cli(['inspect', file, '--json']);
    expect(inspected.params).toBe((JSON.parse(direct.stdout) as { params: number }).params); // the same network
    // --out folder, human output; --check belongs to the LayersModel export
    const human = await cli(['export', file.replace(/architecture\.json$/, ''), '--format', 'net-config', '--out', join(run, 'nc'), '--quiet']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^exported ProxylessNASNets net config to .*nc \(net-config\.json, \d+ bytes\)\nread back by @proxyless\/space-mbconv: the same architecture \(4 searched blocks, input 28×28×1\)/);
    expect(readFileSync(join(run, 'nc', 'net-config.json'), 'utf8')).toBe(readFileSync(written, 'utf8'));
    const check = await cli(['export', run, '--format', 'net-config', '--check', '8']);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('--check applies to --format tfjs-layers');
  });

  it('writes a tree-cell architecture as a PyramidTreeNet that `proxyless inspect` reads back to the same architecture', async () => {
    const EDGE_PATHS = ['00', '000', '001', '01', '010', '011', '10', '100', '101', '11', '110', '111']; // a cell's 12 edges
    const ops = ['3x3_DilatedDepthConv', 'Identity', '3x3_DepthConv', '5x5_DepthConv', '7x7_DepthConv', '3x3_AVGPool', '3x3_MAXPool'];
    const architecture: Record<string, string> = {};
    [1, 2, 3].forEach((stage) => EDGE_PATHS.forEach((p, i) => void (architecture[`s${stage}_b0_e${p}`] = ops[(i + stage) % ops.length]!)));
    const file = architectureFile({ use: '@proxyless/space-tree-cell', options: { blocks: 1, width: 32, stem: 8 } }, architecture);
    const r = await cli(['export', join(file, '..'), '--format', 'net-config', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'PyramidTreeNet', readBack: 'same architecture' });
    const back = await cli(['inspect', join(file, '..', 'exported', 'net-config.json'), '--json']);
    expect(back.code).toBe(0);
    expect((JSON.parse(back.stdout) as { architecture: unknown }).architecture).toEqual(architecture);
  });

  it('points at `proxyless derive` for a run directory without an architecture', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'model'));
    const r = await cli(['export', dir, '--format', 'net-config']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no architecture.json (is it a run directory? derive its architecture first: proxyless derive ${dir})`);
  });
});
