#!/usr/bin/env node
// The default example: search → derive → train the derived network from scratch → evaluate on the
// test set, all through the real `proxyless` CLI. Usage: node examples/fashion-mnist/run.mjs [quick|full]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const variant = process.argv[2] ?? 'quick';
if (!['quick', 'full'].includes(variant)) {
  console.error(`example: unknown variant "${variant}" (expected quick or full)`);
  process.exit(2);
}
const cli = join(root, 'packages/cli/dist/bin.js');
if (!existsSync(cli)) {
  console.error('example: packages/cli/dist/bin.js is missing; build first with `npm run build`');
  process.exit(1);
}
const runDir = join(root, 'runs', variant === 'quick' ? 'example' : 'example-full');
const retrainEpochs = variant === 'quick' ? '5' : '15';

function proxyless(...args) {
  console.error(`\n$ proxyless ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

rmSync(runDir, { recursive: true, force: true });
proxyless('search', join(here, `${variant}.yaml`), '--out', runDir);
proxyless('derive', runDir);
proxyless('train', join(runDir, 'architecture.json'), '--epochs', retrainEpochs, '--out', join(runDir, 'model'));
proxyless('eval', join(runDir, 'model'));

const result = JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8'));
const model = JSON.parse(readFileSync(join(runDir, 'model', 'metrics.json'), 'utf8'));
console.error(`\nexample done: architecture ${JSON.stringify(result.architecture)}`);
console.error(`artifacts in ${runDir} (config.json, metrics.jsonl, checkpoint.ckpt, architecture.json, model/)`);
if (model.test) console.error(`test accuracy of the retrained network: ${(model.test.accuracy * 100).toFixed(2)}%`);
