// `proxyless inspect`: net configs (read by @proxyless/space-mbconv) and architecture files, in
// process and once through the built executable.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { subsetDir, tempDir } from '../../../test/helpers.js';
import { runCliProcess } from '../test/run-cli.js';
import { runCli } from './cli.js';

const fixtures = fileURLToPath(new URL('../../space-mbconv/test-fixtures/', import.meta.url));

function sink() {
  let text = '';
  return { write: (s: string) => void (text += s), get text() { return text; } };
}

async function inspect(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await runCli(['node', 'proxyless', 'inspect', ...args], { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}


/** `<dir>/architecture.json` of the mbconv space with `options`, on the committed Fashion-MNIST subset. */
function writeMbconvArchitecture(dir: string, options: Record<string, unknown>, architecture: Record<string, string>): string {
  const file = join(dir, 'architecture.json');
  const data = { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 64, test: 16 }, validation: 0 } };
  writeFileSync(file, JSON.stringify({ space: { use: '@proxyless/space-mbconv', options }, data, seed: 1, architecture }));
  return file;
}
describe('proxyless inspect', () => {
  it('prints a released net config stage by stage with parameters and MACs', async () => {
    const r = await inspect([join(fixtures, 'proxyless_mobile.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('proxyless_mobile.json: input 224×224×3, 1000 classes');
    expect(r.stdout).toMatch(/^stage 1: 32 channels, 4 blocks, stride 2$/m);
    expect(r.stdout).toMatch(/^ {2}s1_b0\s+56×56×32\s+5x5_MBConv3\s+2\s+-/m);
    expect(r.stdout).toMatch(/^ {2}s1_b2\s+56×56×32\s+zero \(skipped\)\s+1\s+identity/m);
    expect(r.stdout).toMatch(/^params: 4,080,512 {3}MACs: \d+\.\dM per image {3}blocks: 19 of 21 \(2 skipped\)$/m);
    expect(r.stdout).toMatch(/^stage 6  320 s1\s+\| MB6 7×7 \|$/m);
  });

  it('--json prints one object with params and macs', async () => {
    const r = await inspect([join(fixtures, 'proxyless_gpu.json'), '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.command).toBe('inspect');
    expect(o.kind).toBe('net-config');
    expect(o.params).toBe(7_119_848); // PyTorch count of the released GPU model
    expect(o.macs).toBeGreaterThan(400e6);
    expect(o.layers).toHaveLength(25);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('--resolution sets the input size of a net config', async () => {
    const r = await inspect([join(fixtures, 'proxyless_mobile.json'), '--resolution', '160', '--json']);
    const o = JSON.parse(r.stdout);
    expect(o.input.shape).toEqual([160, 160, 3]);
    expect(o.layers[0].output).toEqual([80, 80, 32]);
  });

  it('inspects an architecture.json through its space plugin and data', async () => {
    const dir = tempDir();
    const options = { firstConv: { width: 8 }, firstBlock: { width: 8 }, stages: [{ width: 16, blocks: 2, stride: 2 }], featureMix: 32 };
    const file = writeMbconvArchitecture(dir, options, { s1_b0: '5x5_MBConv6', s1_b1: 'zero' });
    const r = await inspect([file, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o.kind).toBe('architecture');
    expect(o.space).toBe('mbconv');
    expect(o.input).toEqual({ shape: [28, 28, 1], numClasses: 10 });
    expect(o.blocks).toEqual({ total: 2, skipped: 1 });
    expect(o.params).toBeGreaterThan(0);
    expect(o.macs).toBeGreaterThan(0);
    const text = await inspect([file]);
    expect(text.stdout).toMatch(/s1_b1\s+14×14×16\s+zero \(skipped\)/);
  });

  it('fails with exit code 2 on a file that is neither', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const r = await inspect([bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^proxyless: inspect: .*bad\.json is not JSON/);
    const cfg = JSON.parse(readFileSync(join(fixtures, 'proxyless_cpu.json'), 'utf8'));
    cfg.blocks[2].mobile_inverted_conv.in_channels = 7;
    writeFileSync(bad, JSON.stringify(cfg));
    const r2 = await inspect([bad]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/blocks\[2\] takes 7 channels/);
  });

  it('a net config with an even kernel or absurd sizes: field, value and expectation, no raw zod dump (exit 2)', async () => {
    const dir = tempDir();
    const even = join(dir, 'even.json');
    const cfg = JSON.parse(readFileSync(join(fixtures, 'proxyless_mobile.json'), 'utf8'));
    cfg.blocks[1].mobile_inverted_conv.kernel_size = 4;
    writeFileSync(even, JSON.stringify(cfg));
    const r = await inspect([even]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `proxyless: inspect: ${even}: not a ProxylessNASNets net config: blocks.1.mobile_inverted_conv.kernel_size: got 4; expected an odd kernel size (1, 3, 5, 7, …): "same" padding needs one\n`,
    );
    const huge = join(dir, 'huge.json');
    const big = JSON.parse(readFileSync(join(fixtures, 'proxyless_mobile.json'), 'utf8'));
    big.classifier.out_features = 1e9;
    writeFileSync(huge, JSON.stringify(big));
    const h = await inspect([huge]);
    expect(h.code).toBe(2);
    expect(h.stderr).toBe(`proxyless: inspect: ${huge}: not a ProxylessNASNets net config: classifier.out_features: got 1000000000; expected at most 100000 classes\n`);
  });

  it('a crafted architecture.json is refused from its sizes before the network is built (inspect, eval)', async () => {
    const dir = tempDir();
    // 20,000-wide stages: about 10^10 parameters, which building would try to allocate
    const options = { firstConv: { width: 8 }, firstBlock: { width: 8 }, stages: [{ width: 20000, blocks: 2, stride: 2 }], featureMix: 20000 };
    const file = writeMbconvArchitecture(dir, options, { s1_b0: '7x7_MBConv6', s1_b1: '7x7_MBConv6' });
    const t0 = Date.now();
    const r = await inspect([file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`proxyless: ${file}: invalid config\n  - space.options: got options that describe a network of `);
    expect(r.stderr).toMatch(/a network of \d{10} parameters; expected a network of at most 100000000 parameters/);
    const e = await runCli(['node', 'proxyless', 'eval', dir], { stdout: sink(), stderr: sink(), env: {} });
    expect(e).toBe(2);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('eval: weights that do not belong to the architecture are named from the headers, before the network is built', async () => {
    const dir = tempDir();
    const file = join(dir, 'architecture.json');
    const options = { firstConv: { width: 8 }, firstBlock: { width: 8 }, stages: [{ width: 16, blocks: 2, stride: 2 }], featureMix: 32 };
    const record = {
      space: { use: '@proxyless/space-mbconv', options },
      data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 64, test: 16 }, validation: 16 } },
      backend: { use: 'cpu' },
      seed: 1,
      architecture: { s1_b0: '3x3_MBConv3', s1_b1: 'zero' },
    };
    writeFileSync(file, JSON.stringify(record));
    const model = join(dir, 'model');
    const quiet = { stdout: sink(), stderr: sink(), env: {} };
    expect(await runCli(['node', 'proxyless', 'train', file, '--epochs', '1', '--max-batches-per-epoch', '1', '--batch-size', '16', '--out', model, '--quiet'], quiet)).toBe(0);
    // the model directory's architecture.json swapped for a bigger one: its weights no longer fit
    writeFileSync(join(model, 'architecture.json'), JSON.stringify({ ...record, architecture: { s1_b0: '7x7_MBConv6', s1_b1: '7x7_MBConv6' } }));
    const stderr = sink();
    const code = await runCli(['node', 'proxyless', 'eval', model], { stdout: sink(), stderr, env: {} });
    expect(code).toBe(2);
    expect(stderr.text).toMatch(
      new RegExp(`^proxyless: ${join(model, 'weights.ckpt')}: holds \\d+ values in \\d+ tensors, but ${join(model, 'architecture.json')} describes a network of \\d+ trainable parameters; expected the weights trained for this architecture`, 'm'),
    );
  });

  it('runs as the built executable', async () => {
    const r = await runCliProcess(['inspect', join(fixtures, 'proxyless_cpu.json'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).params).toBe(4_361_648);
  });
});

describe('proxyless inspect --latency-table', () => {
  const table = fileURLToPath(new URL('../../latency/tables/pixel1-mobile_trim.yaml', import.meta.url));

  it('adds the latency of a net config from the Pixel 1 table (text and latency_ms)', async () => {
    const { MBConvSpace, toNetConfig } = await import('@proxyless/space-mbconv');
    const space = MBConvSpace.from({ preset: 'imagenet' }, { shape: [224, 224, 3], numClasses: 1000 });
    const arch = Object.fromEntries(space.describe().map((m) => [m.label, '3x3_MBConv6']));
    const file = join(tempDir(), 'mbv2-like.json');
    writeFileSync(file, JSON.stringify(toNetConfig(space, arch)));
    const text = await inspect([file, '--latency-table', table]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^latency: 136\.47 ms/m); // every block 3×3 MBConv6: the figure in docs/BENCHMARKS.md
    const json = await inspect([file, '--latency-table', table, '--json']);
    expect(JSON.parse(json.stdout.trim().split('\n').at(-1)!).latency_ms).toBeCloseTo(136.47, 1);
  });

  it('names the missing key when a layer is not in the table (non-zero exit)', async () => {
    const r = await inspect([join(fixtures, 'proxyless_mobile.json'), '--latency-table', table]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('expanded_conv-input:112x112x16-output:56x56x32-expand:3-kernel:5-stride:2-idskip:0');
  });
});
