// Ctrl-C during a real search: a checkpoint, exit 130, and `--resume` finishes the run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallConfig, tempDir, writeConfig } from '../../../test/helpers.js';
import { runCliProcess, spawnCli } from '../test/run-cli.js';

describe('proxyless search and SIGINT', () => {
  it('stops with a checkpoint on SIGINT (exit 130) and finishes with --resume', async () => {
    const dir = tempDir('proxyless-cli-int-');
    const runDir = join(dir, 'run');
    const config = writeConfig(dir, smallConfig());
    const search = spawnCli(['search', config, '--out', runDir], { cwd: dir });
    // not a TTY: plain progress lines, about every 10% of an epoch
    await search.waitForStderr(/epoch 1\/2 warmup\s+batch 2\/8/);
    search.child.kill('SIGINT');
    const r = await search.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`run directory: ${runDir}`);
    expect(r.stderr).toMatch(/^epoch 1\/2 warmup {2}batch 1\/8 +\d+% {2}loss \d\.\d{4} {2}acc \d\.\d{3} {2}lr [\d.e-]+ {2}ETA \S+ {2}run ETA \S+$/m);
    expect(r.stderr).toContain(`interrupted; checkpoint saved — resume with: proxyless search --resume ${runDir}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(runDir, 'checkpoint.ckpt'))).toBe(true);
    expect(existsSync(join(runDir, 'result.json'))).toBe(false);

    const resumed = await runCliProcess(['search', '--resume', runDir], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming at epoch 1\/2, batch \d\/8/);
    expect(resumed.stderr).toMatch(/^epoch 2\/2 search done \| train loss .* \| val acc .* \| arch b0:\S+ b1:\S+ \| [\d.]+s$/m);
    expect(resumed.stdout).toContain('architecture:');
    expect(resumed.stdout).toMatch(/^ {2}b0\s+\S+\s+p=\d\.\d\d$/m);
    expect(resumed.stdout).toContain('validation accuracy:');
    expect(resumed.stdout).toContain(`run directory: ${runDir}`);
    expect(existsSync(join(runDir, 'result.json'))).toBe(true);
    // the resumed run dropped the metrics written after the checkpoint: 16 weight steps in all
    const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'step');
    expect(steps.map((s) => s.step)).toEqual([...Array(16).keys()]);
  });

  it('handles SIGTERM (docker stop, systemd, Kubernetes) like Ctrl-C: checkpoint, how to resume, exit 143', async () => {
    const dir = tempDir('proxyless-cli-term-');
    const runDir = join(dir, 'run');
    const config = writeConfig(dir, smallConfig());
    const search = spawnCli(['search', config, '--out', runDir], { cwd: dir });
    await search.waitForStderr(/epoch 1\/2 warmup\s+batch 2\/8/);
    search.child.kill('SIGTERM');
    const r = await search.done;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain(`interrupted (SIGTERM); checkpoint saved — resume with: proxyless search --resume ${runDir}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(runDir, 'checkpoint.ckpt'))).toBe(true);
    expect(existsSync(join(runDir, '.proxyless.lock')), 'the lock is released').toBe(false);
    const resumed = await runCliProcess(['search', '--resume', runDir], { cwd: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(join(runDir, 'result.json'))).toBe(true);
  });
});
