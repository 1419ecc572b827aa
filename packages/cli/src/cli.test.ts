// End-to-end tests of the real `proxyless` executable (child processes on the built dist/bin.js).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertNothingHalfWritten, smallConfig, tempDir, writeConfig } from '../../../test/helpers.js';
import { assertBuilt, runCliProcess, spawnCli } from '../test/run-cli.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

beforeAll(() => assertBuilt());

describe('proxyless --help / --version', () => {
  it('lists every command and the global options', async () => {
    const r = await runCliProcess(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['search', 'derive', 'train', 'eval', 'latency']) expect(r.stdout).toMatch(new RegExp(`^  ${cmd}\\b`, 'm'));
    expect(r.stdout).toContain('--json');
    expect(r.stdout).toContain('--quiet');
    expect(r.stdout).toContain('Examples:');
  });

  it('explains every option of a command, global options included', async () => {
    const train = await runCliProcess(['train', '--help']);
    expect(train.code).toBe(0);
    for (const flag of ['--epochs', '--batch-size', '--lr ', '--weight-decay', '--label-smoothing', '--max-batches-per-epoch', '--out', '--json', '--quiet']) {
      expect(train.stdout).toContain(flag);
    }
    const search = await runCliProcess(['search', '--help']);
    for (const flag of ['--out', '--resume', 'Examples:']) expect(search.stdout).toContain(flag);
  });

  it('prints the package version', async () => {
    const r = await runCliProcess(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe('proxyless errors', () => {
  it('reports a bad option value of a config with file, field path, value and expectation (exit 2)', async () => {
    const dir = tempDir();
    const base = smallConfig();
    const trainer = base['trainer'] as { use: string; options: Record<string, unknown> };
    const config = writeConfig(dir, { ...base, trainer: { ...trainer, options: { ...trainer.options, lr: -1 } } });
    const r = await runCliProcess(['search', config, '--out', join(dir, 'run')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^proxyless: /);
    expect(r.stderr).toContain(config);
    expect(r.stderr).toContain('trainer.options.lr');
    expect(r.stderr).toContain('got -1');
    expect(r.stderr).toMatch(/expected .*>0/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(dir, 'run', 'checkpoint.ckpt'))).toBe(false);
  });

  it('reports a strategy package that cannot be resolved (exit 2)', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, smallConfig({ strategy: { use: 'proxyless-strategy-does-not-exist' } }), 'search.yaml');
    const r = await runCliProcess(['search', config], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(config);
    expect(r.stderr).toContain('strategy.use');
    expect(r.stderr).toContain('"proxyless-strategy-does-not-exist"');
    expect(r.stderr).toContain('could not be resolved');
  });

  it('reports a missing config file and a missing argument (exit 2)', async () => {
    const missing = await runCliProcess(['search', '/nonexistent/search.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/search.yaml');
    const none = await runCliProcess(['search']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^proxyless: search: give a config file, or --resume/);
    const unknown = await runCliProcess(['serch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^proxyless: unknown command 'serch'/);
  });
});

describe('proxyless search → derive → train → eval', () => {
  const dir = tempDir('proxyless-cli-');
  const runDir = join(dir, 'run');
  let architecture: Record<string, string>;

  it('search runs end to end and --json prints one object with the architecture', async () => {
    const config = writeConfig(dir, smallConfig());
    const r = await runCliProcess(['search', config, '--out', runDir, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // --json: no progress and no logs (nor the tfjs Node.js banner)
    expect(r.stderr).not.toContain('epoch');
    expect(r.stderr).not.toContain('looks like you are running TensorFlow.js');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    expect(out.command).toBe('search');
    expect(out.status).toBe('done');
    expect(out.runDir).toBe(runDir);
    expect(Object.keys(out.architecture).sort()).toEqual(['b0', 'b1']);
    expect(out.epochs).toBe(2);
    expect(out.steps).toBe(16);
    expect(typeof out.validationAccuracy).toBe('number');
    for (const f of ['config.json', 'checkpoint.ckpt', 'metrics.jsonl', 'architecture.json', 'result.json']) {
      expect(existsSync(join(runDir, f)), f).toBe(true);
    }
    architecture = out.architecture;
    expect(JSON.parse(readFileSync(join(runDir, 'architecture.json'), 'utf8')).architecture).toEqual(architecture);
  });

  it('derive prints one line per label and writes architecture.json', async () => {
    const r = await runCliProcess(['derive', runDir]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^b[01]\s+\S+\s+p=[01]\.\d\d$/);
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2))).toEqual(Object.entries(architecture));
    expect(r.stderr).toContain(join(runDir, 'architecture.json'));
  });

  it('train rejects a bad flag value naming the flag (exit 2)', async () => {
    const r = await runCliProcess(['train', join(runDir, 'architecture.json'), '--lr', '-1', '--epochs', 'two']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--lr: got -1');
    expect(r.stderr).toContain('--epochs: got "two"; expected a number');
  });

  let testAccuracy: number;
  it('train trains the derived architecture for one epoch and saves a model directory', async () => {
    const r = await runCliProcess(['train', join(runDir, 'architecture.json'), '--epochs', '1', '--batch-size', '32', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.command).toBe('train');
    expect(out.modelDir).toBe(join(runDir, 'model'));
    expect(out.architecture).toEqual(architecture);
    expect(out.train.epochs).toBe(1);
    expect(out.test.count).toBe(64);
    for (const f of ['weights.ckpt', 'architecture.json', 'metrics.json']) expect(existsSync(join(runDir, 'model', f)), f).toBe(true);
    testAccuracy = out.test.accuracy;
  });

  it('train --resume continues a killed training from its last epoch and ends where an uninterrupted one does', async () => {
    const arch = join(runDir, 'architecture.json');
    const flags = ['--epochs', '12', '--batch-size', '16', '--lr', '0.1', '--workers', '2']; // data-parallel: the workers resume too
    const whole = await runCliProcess(['train', arch, ...flags, '--out', join(dir, 'whole'), '--json']);
    expect(whole.code, whole.stderr).toBe(0);
    expect(existsSync(join(dir, 'whole', 'train-checkpoint.ckpt')), 'removed at the end').toBe(false);

    const cut = join(dir, 'cut');
    const run = spawnCli(['train', arch, ...flags, '--out', cut]);
    await run.waitForStderr(/epoch +2\/12 done/);
    run.child.kill('SIGTERM');
    const killed = await run.done;
    expect(killed.code, killed.stderr).toBe(143);
    expect(killed.stderr).toContain(`${join(cut, 'train-checkpoint.ckpt')} holds the last finished epoch: run the same command with --resume to continue`);
    expect(existsSync(join(cut, 'weights.ckpt'))).toBe(false);
    await assertNothingHalfWritten(cut);

    // another training's checkpoint is refused, naming what differs
    const other = await runCliProcess(['train', arch, '--epochs', '12', '--batch-size', '16', '--lr', '0.2', '--workers', '2', '--out', cut, '--resume']);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain('option lr is 0.1 there and 0.2 here');

    const resumed = await runCliProcess(['train', arch, ...flags, '--out', cut, '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const a = JSON.parse(whole.stdout);
    const b = JSON.parse(resumed.stdout);
    expect(b.resumedAfterEpoch).toBeGreaterThanOrEqual(2);
    expect(b.train.epoch).toBe(11);
    // the same data order, randomness, weights, velocities and batch-norm statistics: the same result
    expect(b.test).toEqual(a.test);
    expect(b.train.validationLoss).toBe(a.train.validationLoss);
    expect(existsSync(join(cut, 'train-checkpoint.ckpt'))).toBe(false);

    // resuming it again: it finished, so nothing is trained and nothing in the model directory changes
    const weights = readFileSync(join(cut, 'weights.ckpt'));
    const metrics = readFileSync(join(cut, 'metrics.json'), 'utf8');
    const again = await runCliProcess(['train', arch, ...flags, '--out', cut, '--resume', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ command: 'train', status: 'finished', modelDir: cut, test: a.test });
    expect(readFileSync(join(cut, 'weights.ckpt')).equals(weights)).toBe(true);
    expect(readFileSync(join(cut, 'metrics.json'), 'utf8')).toBe(metrics);
    // … unless the command asks for another training: refused, naming what differs
    const otherDone = await runCliProcess(['train', arch, ...flags, '--label-smoothing', '0', '--out', cut, '--resume']);
    expect(otherDone.code).toBe(2);
    expect(otherDone.stderr).toContain('option labelSmoothing is 0.1 there and 0 here');
  });

  it('eval reports loss, accuracy and count of the saved model', async () => {
    const r = await runCliProcess(['eval', join(runDir, 'model'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ command: 'eval', split: 'test', count: 64 });
    expect(out.accuracy).toBeCloseTo(testAccuracy, 6);
    expect(out.loss).toBeGreaterThan(0);
    const human = await runCliProcess(['eval', join(runDir, 'model'), '--split', 'validation', '--quiet']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^validation: loss \d+\.\d{4}  accuracy \d\.\d{4}  count 64$/m);
    expect(human.stderr).toBe('');
  });
});
