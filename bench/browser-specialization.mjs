// The paper's hardware specialization (its Table 4) on this machine, with the browser as two of the
// targets: search the MBConv `small` space of examples/fashion-mnist/quick.yaml with BinaryConnect for
// three targets — Node wasm (`cpu`), browser wasm, browser WebGL — under the same budget rule, retrain
// the three derived networks with the same budget, then measure every network on every target
// (interleaved rounds, medians) and report the 3×3 table, the accuracies and the per-op latency ratios.
//
//   node bench/browser-specialization.mjs --out=runs/specialization            # full (long: 3 searches + 3 trainings)
//   node bench/browser-specialization.mjs --out=/tmp/spec --smoke=true          # minutes: plumbing only
// Options: --rho (budget rule T = fastest + rho·(uniform − fastest) of each target's own table, default 1:
// E[lat] under uniform p), --trainEpochs, --rounds, --searchEpochs, --smoke. Resumable by step: a table,
// search or training whose output exists is reused.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, composeRuntime, readConfigFile, time } from '@proxyless/core';
import { LookupTableLatencyProvider, readLatencyConfig, readLatencyTable, spaceOps } from '@proxyless/latency';
import { BrowserRuntime } from '@proxyless/latency-browser';
import { fmt, parseArgs } from './common.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/cli/dist/bin.js');
const a = parseArgs(process.argv.slice(2), { out: 'runs/specialization', rho: 1, trainEpochs: 6, searchEpochs: 3, rounds: 7, smoke: false });
const out = resolve(a.out);
mkdirSync(out, { recursive: true });
const quickPath = join(root, 'examples/fashion-mnist/quick.yaml');
const quick = readConfigFile(quickPath).raw;
const spaceOptions = quick.space.options;
const TARGETS = [
  { id: 'node-wasm', label: 'Node wasm (cpu)', build: ['--backend', '@proxyless/backend-wasm'] },
  { id: 'browser-wasm', label: 'browser wasm', build: ['--target', 'browser', '--backend', 'wasm'] },
  { id: 'browser-webgl', label: 'browser WebGL', build: ['--target', 'browser', '--backend', 'webgl'] },
];
const timing = a.smoke ? ['--warmup', '1', '--min-runs', '3', '--min-duration-ms', '5'] : ['--warmup', '5', '--min-runs', '20', '--min-duration-ms', '200'];

function cli(args, what) {
  console.error(`\n$ proxyless ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})`);
}

// 1. One latency table per target (same keys, official format).
const data = { ...quick.data, options: { ...quick.data.options, fallbackDir: join(root, 'examples/fashion-mnist/data') } };
const spaceConfig = join(out, 'space.json');
writeFileSync(spaceConfig, JSON.stringify({ seed: 1, backend: quick.backend, data, space: quick.space }, null, 2));
for (const t of TARGETS) {
  const table = join(out, `table-${t.id}.yaml`);
  cli(['latency', 'build', spaceConfig, '--out', table, ...t.build, ...timing], `latency build ${t.id}`);
}

// 2. The same budget rule on every target, from its own table.
tf.enableProdMode();
// quick.yaml's backend (@proxyless/backend-wasm): the Node-wasm target is measured in this process.
const runtime = await composeRuntime(readLatencyConfig(spaceConfig));
if (tf.getBackend() !== 'wasm') throw new Error(`expected the wasm backend in this process, got ${tf.getBackend()}`);
const space = runtime.space;
const described = space.describe();
const allOps = spaceOps(space, new Rng('bench-ops'));
const fixed = allOps.slice(described.flatMap((m) => m.candidates).length);
const tables = Object.fromEntries(TARGETS.map((t) => [t.id, new LookupTableLatencyProvider(readLatencyTable(join(out, `table-${t.id}.yaml`)), t.id)]));
const budgets = {};
for (const t of TARGETS) {
  const p = tables[t.id];
  const fix = fixed.reduce((s, o) => s + p.latency(o.features), 0);
  const per = described.map((m) => m.candidates.map((c) => p.latency(c.features)));
  const fastest = fix + per.reduce((s, c) => s + Math.min(...c), 0);
  const slowest = fix + per.reduce((s, c) => s + Math.max(...c), 0);
  const uniform = fix + per.reduce((s, c) => s + c.reduce((x, y) => x + y, 0) / c.length, 0);
  budgets[t.id] = { fastest, slowest, uniform, T: fastest + a.rho * (uniform - fastest) };
  console.error(`${t.id}: fastest ${fmt(fastest)} ms, uniform ${fmt(uniform)} ms, slowest ${fmt(slowest)} ms → T = ${fmt(budgets[t.id].T)} ms`);
}

// 3. Search for each target, then retrain its network with the same budget.
const trainer = a.smoke ? { ...quick.trainer.options, epochs: 1, warmupEpochs: 0, maxBatchesPerEpoch: 4 } : { ...quick.trainer.options, epochs: a.searchEpochs };
const nets = {};
for (const t of TARGETS) {
  const latency = t.id === 'node-wasm'
    ? { use: '@proxyless/latency', name: 'table', options: { table: join(out, `table-${t.id}.yaml`), target: t.id } }
    : { use: '@proxyless/latency-browser', options: { backend: t.id.slice('browser-'.length), table: join(out, `table-${t.id}.yaml`) } };
  const config = { seed: 1, backend: quick.backend, data, space: quick.space, latency, strategy: { ...quick.strategy, options: { ...quick.strategy.options, budget: budgets[t.id].T } }, trainer: { ...quick.trainer, options: trainer } };
  const file = join(out, `search-${t.id}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  const run = join(out, `run-${t.id}`);
  if (!existsSync(join(run, 'architecture.json'))) cli(['search', file, '--out', run], `search ${t.id}`);
  const model = join(out, `model-${t.id}`);
  if (!existsSync(join(model, 'metrics.json'))) {
    cli(['train', join(run, 'architecture.json'), '--out', model, '--epochs', String(a.smoke ? 1 : a.trainEpochs), ...(a.smoke ? ['--max-batches-per-epoch', '4'] : [])], `train ${t.id}`);
  }
  const arch = JSON.parse(readFileSync(join(run, 'architecture.json'), 'utf8')).architecture;
  const metrics = JSON.parse(readFileSync(join(model, 'metrics.json'), 'utf8'));
  nets[t.id] = { architecture: arch, metrics };
}

// 4. Every network on every target, interleaved rounds (the order rotates every round), medians.
const pageSpace = { spaceImport: '@proxyless/space-mbconv', resolveDir: root, options: spaceOptions, input: { shape: [...runtime.input.shape], numClasses: runtime.input.numClasses } };
const browsers = { 'browser-wasm': await BrowserRuntime.start({ backend: 'wasm', space: pageSpace }), 'browser-webgl': await BrowserRuntime.start({ backend: 'webgl', space: pageSpace }) };
const devices = Object.fromEntries(Object.entries(browsers).map(([k, b]) => [k, b.describe()]));
const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const t = a.smoke ? { warmup: 1, minRuns: 3, minDurationMs: 5 } : { warmup: 5, minRuns: 20, minDurationMs: 300 };
async function measure(target, arch) {
  if (target !== 'node-wasm') return median(await browsers[target].measureArchitecture(arch, t));
  const net = space.buildCompact(arch, new Rng('bench-measure'));
  const x = tf.randomUniform([1, ...runtime.input.shape], -1, 1, 'float32', 1);
  try {
    return (await time({ module: net, input: x }, { ...t, readback: 'none' })).medianMs;
  } finally {
    x.dispose();
    for (const v of net.variables()) v.variable.dispose();
  }
}
const samples = {};
const ids = TARGETS.map((x) => x.id);
try {
  for (let r = 0; r < (a.smoke ? 1 : a.rounds); r++) {
    const rot = (xs) => xs.map((_, i) => xs[(i + r) % xs.length]);
    for (const target of rot(ids)) for (const net of rot(ids)) {
      ((samples[net] ??= {})[target] ??= []).push(await measure(target, nets[net].architecture));
    }
    console.error(`round ${r + 1} done`);
  }
} finally {
  for (const b of Object.values(browsers)) await b.close();
}

// 5. Report: the 3×3 table, accuracies, per-op ratios between the targets.
const table = Object.fromEntries(ids.map((net) => [net, Object.fromEntries(ids.map((target) => [target, median(samples[net][target])]))]));
const ratios = {};
const keys = readLatencyTable(join(out, 'table-node-wasm.yaml')).keys();
for (const [x, y] of [['browser-wasm', 'node-wasm'], ['browser-webgl', 'browser-wasm'], ['browser-webgl', 'node-wasm']]) {
  const tx = readLatencyTable(join(out, `table-${x}.yaml`));
  const ty = readLatencyTable(join(out, `table-${y}.yaml`));
  const rs = keys.map((k) => tx.get(k).mean / ty.get(k).mean);
  ratios[`${x}/${y}`] = { geomean: Math.exp(rs.reduce((s, v) => s + Math.log(v), 0) / rs.length), min: Math.min(...rs), max: Math.max(...rs) };
}
const lines = [
  `| searched for ↓ · measured on → | ${TARGETS.map((x) => x.label).join(' | ')} | test accuracy | architecture |`,
  `|---|${TARGETS.map(() => '---:').join('|')}|---:|---|`,
  ...ids.map((net) => {
    const best = (target) => ids.every((o) => table[net][target] <= table[o][target]);
    return `| ${TARGETS.find((x) => x.id === net).label} (T ${fmt(budgets[net].T)} ms) | ${ids.map((target) => `${best(target) ? '**' : ''}${fmt(table[net][target])} ms${best(target) ? '**' : ''}`).join(' | ')} | ${((nets[net].metrics.test?.accuracy ?? nets[net].metrics.testAccuracy ?? NaN) * 100).toFixed(2)}% | ${Object.values(nets[net].architecture).join(' ')} |`;
  }),
];
const report = { command: process.argv.slice(1).join(' '), rho: a.rho, budgets, table, samples, nets, ratios, devices, smoke: a.smoke };
writeFileSync(join(out, 'specialization.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(out, 'specialization.md'), `${lines.join('\n')}\n\nper-op latency ratios (table means): ${Object.entries(ratios).map(([k, v]) => `${k} ×${v.geomean.toFixed(2)} (${v.min.toFixed(2)}–${v.max.toFixed(2)})`).join('; ')}\n`);
console.log(lines.join('\n'));
console.log(`\nper-op ratios: ${JSON.stringify(ratios)}`);
console.log(`written: ${join(out, 'specialization.json')}, specialization.md`);
