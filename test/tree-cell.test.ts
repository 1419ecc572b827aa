// The tree-cell space end to end through real CLI processes on the wasm backend: a search with each
// strategy on a Fashion-MNIST subset (the configs of examples/tree-cell/, made smaller), derive,
// retrain, export (checked against the trained network; plain @tensorflow/tfjs reloads it with the
// same logits), inspect; `latency build` measures every
// op of the space; `inspect` reads the released Proxyless-G PyramidTreeNet.
import { composeNetwork, loadModelWeights, ModelFiles, RunFiles } from '@proxyless/core';
import { layersModelDirHandler } from '@proxyless/space-tree-cell';
import * as tfjs from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../packages/cli/test/run-cli.js';
import { repoRoot, subsetDir, tempDir, writeConfig } from './helpers.js';

/** An example config of examples/tree-cell/, shrunk to seconds: 192 images (128 train, 64 validation), 2 epochs of 4 batches. */
function exampleConfig(file: string): Record<string, unknown> {
  const cfg = parse(readFileSync(join(repoRoot, 'examples/tree-cell', file), 'utf8')) as Record<string, any>;
  cfg.data.options = { dir: subsetDir, validation: 64, limit: { train: 192, test: 64 } };
  cfg.trainer.options = { ...cfg.trainer.options, epochs: 2, warmupEpochs: 1, batchSize: 32, checkpointEvery: 4 };
  delete cfg.output;
  return cfg;
}

async function cli(args: string[], cwd: string): Promise<string> {
  const r = await runCliProcess(args, { cwd });
  expect(r.code, `proxyless ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('tree-cell space through the CLI (wasm)', () => {
  for (const [file, strategy] of [
    ['binaryconnect.yaml', 'binaryconnect'],
    ['reinforce.yaml', 'reinforce'],
  ] as const) {
    it(`search (${strategy}) → derive → train → export → inspect`, async () => {
      const dir = tempDir(`tree-cell-${strategy}-`);
      const config = writeConfig(dir, exampleConfig(file));
      const run = join(dir, 'run');
      await cli(['search', config, '--out', run, '--quiet'], dir);
      const arch = JSON.parse(readFileSync(join(run, RunFiles.architecture), 'utf8'));
      expect(arch.space.use).toBe('@proxyless/space-tree-cell');
      expect(Object.keys(arch.architecture)).toHaveLength(3 * 12);
      for (const op of Object.values(arch.architecture)) expect(['3x3_DilatedDepthConv', 'Identity', '3x3_DepthConv', '5x5_DepthConv', '7x7_DepthConv', '3x3_AVGPool', '3x3_MAXPool']).toContain(op);
      // α moved during the search
      const p = Object.values(arch.probabilities as Record<string, number[]>);
      expect(p.some((ps) => Math.max(...ps) - Math.min(...ps) > 1e-3)).toBe(true);

      await cli(['derive', run, '--quiet'], dir);
      const model = join(dir, 'model');
      await cli(['train', join(run, RunFiles.architecture), '--epochs', '1', '--max-batches-per-epoch', '3', '--batch-size', '32', '--out', model, '--quiet'], dir);
      const exported = JSON.parse(await cli(['export', model, '--check', '32', '--json'], dir));
      expect(exported).toMatchObject({ format: 'tfjs-layers-model', files: ['model.json', 'weights.bin'], agreement: 1, checked: 32 });
      expect(existsSync(join(model, 'exported', 'model.json'))).toBe(true);
      // plain @tensorflow/tfjs loads the exported model; its logits are the trained network's (≤ 1e-4)
      const { network, dataset } = await composeNetwork({ architectureFile: join(model, ModelFiles.architecture), backend: { use: '@proxyless/backend-wasm', options: {} }, log: () => {} });
      try {
        loadModelWeights(model, network);
        const layers = await tfjs.loadLayersModel(layersModelDirHandler(join(model, 'exported')));
        const [batch] = dataset.test!.batches(32);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(network.apply(batch!.x, { training: false }), layers.predict(batch!.x) as tf.Tensor))).dataSync()[0]!);
        expect(diff).toBeLessThan(1e-4);
        layers.dispose();
        tf.dispose([batch!.x, batch!.y]);
      } finally {
        tf.dispose(network.variables().map((v) => v.variable));
      }

      const inspected = JSON.parse(await cli(['inspect', join(run, RunFiles.architecture), '--json'], dir));
      expect(inspected).toMatchObject({ kind: 'architecture', space: 'tree-cell' });
      expect(inspected.layers.map((l: { name: string }) => l.name)).toEqual(['stem', 's1_b0', 's2_b0', 's3_b0', 'head']);
      expect(inspected.params).toBeGreaterThan(1000);
    }, 300_000); // ≈ 100 s alone on 2 cores; a loaded machine needs more than the default 120 s
  }

  it('latency build measures every op of the space on wasm (edge candidates with their dilation, grouped root convs, pools, the head)', async () => {
    const dir = tempDir('tree-cell-latency-');
    const config = writeConfig(dir, exampleConfig('binaryconnect.yaml'));
    const table = join(dir, 'table.yaml');
    await cli(['latency', 'build', config, '--out', table, '--min-duration-ms', '2', '--min-runs', '2', '--warmup', '1', '--quiet'], dir);
    const keys = Object.keys(parse(readFileSync(table, 'utf8')) as Record<string, unknown>);
    expect(keys).toContain('sep_conv-input:28x28x8-output:28x28x8-kernel:3-stride:1-dilation:2');
    expect(keys).toContain('sep_conv-input:7x7x12-output:7x7x12-kernel:7-stride:1');
    expect(keys).toContain('max_pool-input:14x14x10-output:14x14x10-kernel:3-stride:1');
    expect(keys).toContain('conv-input:28x28x10-output:14x14x20-kernel:3-stride:2');
    expect(keys).toContain('Logits-input:7x7x48-output:10');
    // 3 blocks × 7 candidates (identity included) + stem + 3 fixed layers per block + 2 pooled shortcuts + head
    expect(keys).toHaveLength(21 + 1 + 9 + 2 + 1);
  });

  it('a bad space config fails before anything runs, naming the field: an unknown op, a pyramid narrower than its stem', async () => {
    const dir = tempDir('tree-cell-bad-');
    const cfg = exampleConfig('binaryconnect.yaml') as Record<string, any>;
    cfg.space.options = { blocks: 1, width: 32, stem: 16, ops: ['3x3_DepthConv', 'conv_9x9'] };
    const r = await runCliProcess(['search', writeConfig(dir, cfg)], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('space.options.ops.1: got "conv_9x9"; expected a tree-cell op (one of 3x3_DilatedDepthConv, Identity');
    cfg.space.options = { blocks: 1, width: 32, stem: 16 };
    const thin = await runCliProcess(['search', writeConfig(dir, cfg)], { cwd: dir });
    expect(thin.code).toBe(2);
    expect(thin.stderr).toContain('space.options.width: got 32; expected at least 4 × stem = 64');
  });

  it('inspect reads the released PyramidTreeNet (Proxyless-G): 5,731,530 parameters, 1,213 M MACs', async () => {
    const out = JSON.parse(await cli(['inspect', join(repoRoot, 'packages/space-tree-cell/test-fixtures/proxyless_cifar.json'), '--json'], repoRoot));
    expect(out).toMatchObject({ kind: 'net-config', space: 'tree-cell', params: 5_731_530, macs: 1_213_155_872, input: { shape: [32, 32, 3], numClasses: 10 } });
    const bad = await runCliProcess(['inspect', join(repoRoot, 'packages/space-tree-cell/test-fixtures/proxyless_cifar.json'), '--latency-table', join(repoRoot, 'packages/space-mbconv/test-fixtures/pixel1-mobile_trim.yaml')], { cwd: repoRoot });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--latency-table prices ProxylessNASNets net configs/);
  });
});
