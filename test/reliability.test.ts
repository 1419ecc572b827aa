// Nothing lost, nothing overwritten, bad input refused early (issue 19): each example of the issue
// against the real `proxyless` executable, real files and real signals. See docs/reliability.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliProcess, spawnCli, writeLatencySpaceConfig, type CliRun } from '../packages/cli/test/run-cli.js';
import { assertNothingHalfWritten, smallConfig, subsetDir, tempDir, writeConfig } from './helpers.js';

/** The single `proxyless:` error line of stderr (and no stack trace). */
function errorLine(r: CliRun): string {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('proxyless:'));
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

const files = (d: string): Record<string, string> => Object.fromEntries(readdirSync(d).map((n) => [n, readFileSync(join(d, n), 'latin1')]));
const steps = (runDir: string) =>
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; step?: number })
    .filter((l) => l.type === 'step');

describe('one writer per run directory', () => {
  it('two searches started together on one --out: one runs, the other fails at once naming the holder; then the run is refused, resumed as finished, replaced with --force', async () => {
    const dir = tempDir('proxyless-two-');
    const config = writeConfig(dir, smallConfig());
    const runDir = join(dir, 'runs', 'x');
    const [a, b] = await Promise.all([runCliProcess(['search', config, '--out', runDir], { cwd: dir }), runCliProcess(['search', config, '--out', runDir], { cwd: dir })]);
    const [ok, refused] = a.code === 0 ? [a, b] : [b, a];
    expect(ok.code, ok.stderr).toBe(0);
    // the loser meets the lock (exit 1) or, when the winner was already done, the finished run (bad input: exit 2)
    expect(refused.code, refused.stderr).toBe(/is in use by/.test(refused.stderr) ? 1 : 2);
    expect(errorLine(refused)).toMatch(
      new RegExp(`^proxyless: (${runDir} is in use by proxyless search \\(pid \\d+ on ${hostname()}, since \\S+\\): one writer per run directory|run directory ${runDir} already holds a finished run;)`),
    );
    // one run's records, not two interleaved: 2 epochs × 8 batches
    expect(steps(runDir).map((s) => s.step)).toEqual([...Array(16).keys()]);
    await assertNothingHalfWritten(runDir);
    expect(existsSync(join(runDir, '.proxyless.lock'))).toBe(false);
    const before = files(runDir);

    // a new search on the existing run is refused and changes nothing
    const again = await runCliProcess(['search', config, '--out', runDir], { cwd: dir });
    expect(errorLine(again)).toBe(`proxyless: run directory ${runDir} already holds a finished run; choose another --out (or output.name), or pass --force to replace it`);
    // resuming the finished run says so, exits 0 and changes nothing (result.json keeps validationAccuracy)
    const resumed = await runCliProcess(['search', '--resume', runDir], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toBe(`${runDir} is already finished; nothing resumed, nothing changed\n`);
    expect(files(runDir)).toEqual(before);
    expect(JSON.parse(before['result.json']!)).toHaveProperty('validationAccuracy');

    // --force replaces it
    const forced = await runCliProcess(['search', config, '--out', runDir, '--force'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(steps(runDir)).toHaveLength(16);
  }, 120_000);

  it('an unfinished run: a new search says how to resume it; derive and report fail at once while another process holds it', async () => {
    const dir = tempDir('proxyless-held-');
    const config = writeConfig(dir, smallConfig());
    const runDir = join(dir, 'run');
    const search = spawnCli(['search', config, '--out', runDir], { cwd: dir });
    await search.waitForStderr(/epoch 1\/2 warmup\s+batch 4\/8/);
    search.child.kill('SIGINT');
    expect((await search.done).code).toBe(130);

    const again = await runCliProcess(['search', config, '--out', runDir], { cwd: dir });
    expect(errorLine(again)).toBe(
      `proxyless: run directory ${runDir} already holds a started run; continue it with: proxyless search --resume ${runDir}; choose another --out (or output.name), or pass --force to replace it`,
    );

    // another live process holds the directory (its lock file names it)
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(runDir, '.proxyless.lock'), JSON.stringify({ pid: holder.pid, host: hostname(), command: 'proxyless search --resume', since: '2026-01-01T00:00:00.000Z' }));
      const before = files(runDir);
      const expected = `${runDir} is in use by proxyless search --resume (pid ${holder.pid} on ${hostname()}, since 2026-01-01T00:00:00.000Z): one writer per run directory — wait for it to end or stop it`;
      for (const args of [['derive', runDir], ['report', runDir], ['search', '--resume', runDir]]) {
        const t0 = Date.now();
        const r = await runCliProcess(args, { cwd: dir });
        expect(errorLine(r), args.join(' ')).toMatch(new RegExp(`^proxyless: (report: )?${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
        expect(Date.now() - t0, 'fails at once').toBeLessThan(15_000);
      }
      expect(files(runDir)).toEqual(before);
    } finally {
      holder.kill('SIGKILL');
    }
    // the holder is gone: its lock is stale and the resume takes it over
    await new Promise((r) => holder.once('exit', r));
    const resumed = await runCliProcess(['search', '--resume', runDir], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(steps(runDir).map((s) => s.step)).toEqual([...Array(16).keys()]);
  }, 120_000);

  it('output.name "../../elsewhere" is refused by the config check (exit 2), nothing written outside output.dir', async () => {
    const dir = tempDir('proxyless-name-');
    const config = writeConfig(dir, smallConfig({ output: { dir: join(dir, 'runs'), name: '../../elsewhere' } }));
    const r = await runCliProcess(['search', config], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${config}: invalid config`);
    expect(r.stderr).toContain('  - output.name: got "../../elsewhere"; expected a single folder name (no "/", "\\", "." or ".."): the run directory is created inside output.dir');
    expect(readdirSync(dir)).toEqual(['search.json']);
  });
});

describe('signals: SIGTERM is handled like Ctrl-C', () => {
  it('train (2 data-parallel workers): SIGTERM stops it with a message and exit 143, keeping only the last epoch\'s checkpoint', async () => {
    const dir = tempDir('proxyless-term-train-');
    const file = writeConfig(
      dir,
      {
        seed: 3,
        backend: { use: '@proxyless/backend-wasm' },
        data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 448, test: 128 }, validation: 64 } },
        space: { use: '@proxyless/test-utils', options: { stem: 4, blocks: [{ width: 8, stride: 2 }, { width: 8, stride: 1 }], kernels: [3, 5] } },
        architecture: { b0: '3x3_conv', b1: '5x5_conv' },
      },
      'architecture.json',
    );
    const train = spawnCli(['train', file, '--epochs', '200', '--batch-size', '16', '--workers', '2', '--out', join(dir, 'model')], { cwd: dir });
    await train.waitForStderr(/epoch +2\/200/);
    train.child.kill('SIGTERM');
    const r = await train.done;
    expect(r.code, r.stderr).toBe(143);
    const checkpoint = join(dir, 'model', 'train-checkpoint.ckpt');
    expect(r.stderr).toContain(`proxyless: interrupted (SIGTERM) (${checkpoint} holds the last finished epoch: run the same command with --resume to continue)`);
    expect(existsSync(checkpoint)).toBe(true);
    expect(existsSync(join(dir, 'model', 'weights.ckpt')), 'no model directory before the end').toBe(false);
  }, 60_000);

  it('latency build: SIGTERM stops after the op being measured, keeps every entry and exits 143', async () => {
    const dir = tempDir('proxyless-term-latency-');
    const config = writeLatencySpaceConfig(dir);
    const table = join(dir, 'table.json');
    const build = spawnCli(['latency', 'build', config, '--out', table, '--warmup', '1', '--min-runs', '3', '--min-duration-ms', '300'], { cwd: dir });
    await build.waitForStderr(/ms ±/);
    build.child.kill('SIGTERM');
    const r = await build.done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('proxyless: interrupted (SIGTERM) — stopping after the op being measured');
    expect(r.stdout).toContain(`to continue: proxyless latency build ${config} --out ${table}`);
    const saved = JSON.parse(readFileSync(table, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(saved).length).toBeGreaterThan(0);
  }, 60_000);
});

describe('refused early, before expensive work', () => {
  it('validation: 0 fails before the first step, naming the config file and field (exit 2), and leaves no run directory', async () => {
    const dir = tempDir('proxyless-val0-');
    const config = writeConfig(dir, smallConfig({ data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 320, test: 64 }, validation: 0 } } }));
    const runDir = join(dir, 'run');
    const t0 = Date.now();
    const r = await runCliProcess(['search', config, '--out', runDir], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`proxyless: ${config}: invalid config\n  - data.options.validation: got 0; expected held-out examples (validation > 0)`);
    expect(r.stderr).not.toMatch(/epoch 1\/2/); // no step ran
    expect(existsSync(runDir)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it('a validation count larger than the data: the same, no run directory', async () => {
    const dir = tempDir('proxyless-val-big-');
    const config = writeConfig(dir, smallConfig({ data: { use: 'fashion-mnist', options: { dir: subsetDir, limit: { train: 320, test: 64 }, validation: 5000 } } }));
    const runDir = join(dir, 'run');
    const r = await runCliProcess(['search', config, '--out', runDir], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`proxyless: ${config}: invalid config\n  - data.options.validation: got 5000; expected fewer than 320 (it holds out 5000 of the 320 training images; at least one must stay for training)`);
    expect(existsSync(runDir)).toBe(false);
  });
});

describe('a checkpoint that does not fit its run', () => {
  it("a strategy tensor of the wrong shape: refused before restoring, naming the file and the tensor (exit 2), not a tfjs shape message later", async () => {
    const { loadCheckpoint, saveCheckpoint } = await import('@proxyless/core');
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    tf.enableProdMode();
    const dir = tempDir('proxyless-ckpt-shape-');
    const config = writeConfig(dir, smallConfig({ strategy: { use: '@proxyless/strategy-binaryconnect', options: { lr: 0.05 } } }));
    const runDir = join(dir, 'run');
    const search = spawnCli(['search', config, '--out', runDir], { cwd: dir });
    await search.waitForStderr(/epoch 2\/2 search\s+batch 5\/8/);
    search.child.kill('SIGINT');
    expect((await search.done).code).toBe(130);
    const file = join(runDir, 'checkpoint.ckpt');
    const ckpt = loadCheckpoint(file);
    const key = Object.keys(ckpt.tensors).find((k) => k.startsWith('strategy/') && k.endsWith('/b0'));
    expect(key, Object.keys(ckpt.tensors).join(', ')).toBeDefined();
    const shape = ckpt.tensors[key!]!.shape;
    saveCheckpoint(file, { json: ckpt.json, tensors: { ...ckpt.tensors, [key!]: tf.zeros([shape[0]! + 1]) } });
    tf.dispose(Object.values(ckpt.tensors));
    const r = await runCliProcess(['search', '--resume', runDir], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(errorLine(r)).toBe(`proxyless: ${file}: tensor ${key}.shape: got [${shape[0]! + 1}]; expected [${shape}] (the shape of b0/alpha) — the checkpoint does not belong to this run's config`);
  }, 60_000);
});

describe('nothing lost on stdout', () => {
  it('a slow reader of a pipe gets the whole output (the CLI exits only after flushing it)', { timeout: 60_000 }, async () => {
    const { spawnSync } = await import('node:child_process');
    const { binPath } = await import('../packages/cli/test/run-cli.js');
    const bytes = readFileSync(join(subsetDir, '../../../packages/cli/schema/search-config.schema.json')).length;
    expect(bytes).toBeGreaterThan(65_536); // more than a pipe buffer holds
    // the reader starts a second late: the pipe fills and the rest waits in the CLI (before the fix, often cut at 65536)
    for (let i = 0; i < 3; i++) {
      const r = spawnSync('sh', ['-c', `"${process.execPath}" "${binPath}" schema | (sleep 1; wc -c)`], { encoding: 'utf8' });
      expect(Number(r.stdout.trim()), r.stderr).toBe(bytes);
    }
  });
});

describe('one error format', () => {
  it('a directory given as the config, or --out a file: the path and what was expected, no EISDIR', async () => {
    const dir = tempDir('proxyless-eisdir-');
    const folder = join(dir, 'configs');
    mkdirSync(folder);
    const r = await runCliProcess(['search', folder], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`proxyless: ${folder}: invalid config\n  - (root): got a folder; expected an existing JSON or YAML config file\n`);
    const v = await runCliProcess(['validate', folder], { cwd: dir });
    expect(v.code).toBe(2);
    expect(v.stderr).not.toContain('EISDIR');

    const config = writeConfig(dir, smallConfig());
    const o = await runCliProcess(['search', config, '--out', config], { cwd: dir });
    expect(errorLine(o)).toBe(`proxyless: run directory ${config} is a file; expected a folder to create (or an empty one)`);
    expect(o.code).toBe(2);
    const rep = await runCliProcess(['report', dir, '--out', folder], { cwd: dir });
    expect(errorLine(rep)).toBe(`proxyless: report: --out ${folder} is a folder; expected the path of the HTML file to write (e.g. ${join(folder, 'report.html')})`);
    const ins = await runCliProcess(['inspect', folder], { cwd: dir });
    expect(errorLine(ins)).toBe(`proxyless: inspect: ${folder} is a folder; expected a net config (JSON) or an architecture.json`);
    const sch = await runCliProcess(['schema', '--out', folder], { cwd: dir });
    expect(errorLine(sch)).toBe(`proxyless: schema: --out ${folder} is a folder; expected the path of the JSON file to write (e.g. ${join(folder, 'search-config.schema.json')})`);
    // train: --out checked before training, not after it
    const tr = await runCliProcess(['train', config, '--out', config], { cwd: dir });
    expect(errorLine(tr)).toBe(`proxyless: train: --out ${config} is a file; expected a model directory to write`);
    expect(tr.stderr).not.toContain('training:');
    for (const r of [ins, sch, tr]) expect(r.code).toBe(2);
  });
});
