// Search throughput with data-parallel workers (trainer.options.workers): the supernet weight step of
// examples/fashion-mnist/full.yaml (its space, batch 64, warm-up steps: one uniformly drawn path per
// mixed op) and, with --arch, BinaryConnect arch steps (two-path mode, validation batch 128), run by
// the real search (composeSearch + SearchTrainer) on the wasm backend with N = 1 and N = 2 workers,
// alternating N in one process (--rounds) so that a drift in the machine's load hits both alike.
// Images/s counts weight-step examples over the wall time between the `afterWeightStep` of the first
// counted step and that of the last (arch steps included when --arch is given).
// Usage: npx tsc -b && node bench/search-workers.mjs [--workers=1,2] [--steps=24] [--warmup=4] [--rounds=2] [--arch=false] [--batch=64]
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeSearch } from '@proxyless/core';
import { fullExampleSpaceOptions, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), { workers: '1,2', steps: 24, warmup: 4, rounds: 2, arch: false, batch: 64 });
const data = fileURLToPath(new URL('../examples/fashion-mnist/data', import.meta.url));
const counts = String(args.workers).split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'proxyless-bench-'));

function config(workers) {
  const batches = args.warmup + args.steps;
  return {
    seed: 1,
    backend: { use: '@proxyless/backend-wasm' },
    data: { use: 'fashion-mnist', options: { dir: data, validation: 256, limit: { train: args.batch * batches + 256, test: 64 } } },
    space: { use: '@proxyless/space-mbconv', options: fullExampleSpaceOptions() },
    strategy: { use: '@proxyless/strategy-binaryconnect', options: { mode: 'two' } },
    trainer: {
      use: 'search',
      options: {
        epochs: 1, warmupEpochs: args.arch ? 0 : 1, batchSize: args.batch, lr: 0.05, archUpdateEvery: 3, validationBatchSize: 128,
        maxBatchesPerEpoch: batches, checkpointEvery: 0, evaluateEachEpoch: false, workers,
      },
    },
  };
}

async function once(workers) {
  const file = join(dir, `w${workers}.json`);
  writeFileSync(file, JSON.stringify(config(workers)));
  const times = [];
  const timing = { name: 'bench', apply: (s) => s.hooks.afterWeightStep.tap('bench', () => times.push(performance.now())) };
  const { session } = await composeSearch({ config: file, noRunDir: true, plugins: [timing], log: () => {} });
  await session.run();
  const counted = times.slice(args.warmup);
  const seconds = (counted.at(-1) - counted[0]) / 1000;
  return ((counted.length - 1) * args.batch) / seconds;
}

const results = Object.fromEntries(counts.map((n) => [n, []]));
for (const n of counts) await once(n); // not counted: the first search of a process compiles and warms up more than its warm-up steps cover
for (let r = 0; r < args.rounds; r++) for (const n of counts) results[n].push(await once(n));
const { loadavg, cpus } = await import('node:os');
console.log(`search ${args.arch ? 'weight + arch (BinaryConnect two, every 3 steps)' : 'weight'} steps, full.yaml space, batch ${args.batch}, wasm; ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const n of counts) console.log(`workers ${n}: ${results[n].map((v) => v.toFixed(0)).join(', ')} img/s (best ${Math.max(...results[n]).toFixed(0)})`);
if (counts.length === 2) console.log(`speed-up (best/best): ×${(Math.max(...results[counts[1]]) / Math.max(...results[counts[0]])).toFixed(2)}`);
