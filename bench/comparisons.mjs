// The paper's comparisons (ProxylessNAS, Cai et al. 2019), on Fashion-MNIST and this machine, through
// the library API: four searches on the `small` MBConv preset (wasm backend), every derived network and
// a MobileNetV2-style baseline (every block 3×3 MBConv6) at several width multipliers retrained from
// scratch with one budget, evaluated on one test subset, timed whole at batch 1 on wasm.
//
//   1. searched (BinaryConnect, measured `cpu` latency loss, target T) vs the baseline curve over widths
//   2. with vs without the latency loss
//   3. gradient (BinaryConnect) vs REINFORCE
//   4. hardware specialization: searched for `cpu` (measured) and for `flops`, each cross-evaluated on both
//
// Usage: npx tsc -b && node bench/comparisons.mjs [--trainLimit=2500] [--testLimit=2000] [--validation=400]
//        [--searchEpochs=2] [--warmupEpochs=1] [--retrainEpochs=3] [--batchSize=64] [--widths=0.25,0.5,0.75,1]
//        [--latencyLoss=normalized] [--lambda=0.2] [--hardBudget=true] [--archLr=0.1] [--archUpdateEvery=2] [--reinforceLr=0.1] [--reinforceSamples=4]
//        [--targetScale=1] [--lr=0.2] [--searchLr=0.2] [--seed=1] [--latencyRounds=5] [--only=cpu,nolat,reinforce,flops]
//        [--out=.tmp/comparisons]
//        node bench/comparisons.mjs --remeasure=<out> [--latencyRounds=5]   # re-time the networks of a finished run
// Writes <out>/results.json, <out>/results.md (the tables), <out>/runs/<search>/ (the run directories;
// runs/bc-cpu/ also gets comparisons.json, latency.json and report.html with the accuracy-vs-latency
// scatter) and <out>/configs/*.json (the exact search configs).
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// The defaults are a quick scale (≈ 15 min on 2 cores; too short for the supernet to learn: docs/RESULTS.md
// run A); run B there (≈ 28 min) passes its flags explicitly. The α learning rates are far above the paper's
// (0.006 / 0.01) because a search here has tens of architecture steps, not tens of thousands.
import '@proxyless/backend-wasm';
import {
  MeasuredLatencyProvider,
  Rng,
  composeSearch,
  describeDevice,
  evaluateNetwork,
  fashionMnistDataPlugin,
  trainNetwork,
} from '@proxyless/core';
import { MBConvSpace } from '@proxyless/space-mbconv';
import { FlopsLatencyProvider } from '@proxyless/latency';
import { writeReport } from '@proxyless/report';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------- flags
const DEFAULTS = {
  trainLimit: 2500,
  testLimit: 2000,
  validation: 400,
  searchEpochs: 2,
  warmupEpochs: 1,
  retrainEpochs: 3,
  retrainBatches: 0,
  searchBatches: 0,
  sharedWarmup: 'true',
  batchSize: 64,
  widths: '0.25,0.5,0.75,1',
  latencyLoss: 'normalized',
  lambda: 0.2,
  hardBudget: 'true',
  archLr: 0.1,
  archUpdateEvery: 2,
  reinforceLr: 0.1,
  reinforceSamples: 4,
  reinforceW: -0.07,
  targetScale: 1,
  lr: 0.2,
  searchLr: 0.2,
  seed: 1,
  latencyRounds: 5,
  only: 'cpu,nolat,reinforce,flops',
  out: '.tmp/comparisons',
  dataDir: '',
  remeasure: '',
};
const USAGE = `usage: node bench/comparisons.mjs ${Object.entries(DEFAULTS).map(([k, v]) => `[--${k}=${v}]`).join(' ')}`;
const SEARCHES = ['cpu', 'nolat', 'reinforce', 'flops'];

function fail(message) {
  console.error(`comparisons: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseFlags(argv) {
  const out = { ...DEFAULTS };
  for (const a of argv) {
    if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    const m = /^--([A-Za-z]+)=(.*)$/.exec(a);
    if (!m) fail(`unexpected argument "${a}" (flags are --name=value)`);
    const [, k, v] = m;
    if (!(k in DEFAULTS)) fail(`unknown flag --${k} (known: ${Object.keys(DEFAULTS).join(', ')})`);
    if (typeof DEFAULTS[k] === 'number') {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) fail(`--${k}=${v}: expected a number`);
      out[k] = n;
    } else out[k] = v;
  }
  const int = (k, min) => {
    if (!Number.isInteger(out[k]) || out[k] < min) fail(`--${k}=${out[k]}: expected a whole number ≥ ${min}`);
  };
  int('trainLimit', 2);
  int('testLimit', 1);
  int('searchEpochs', 1);
  int('warmupEpochs', 0);
  int('retrainEpochs', 1);
  int('retrainBatches', 0);
  int('searchBatches', 0);
  if (!['true', 'false'].includes(out.sharedWarmup)) fail(`--sharedWarmup=${out.sharedWarmup}: expected true or false`);
  int('batchSize', 1);
  int('archUpdateEvery', 1);
  int('reinforceSamples', 1);
  int('seed', 0);
  int('latencyRounds', 1);
  if (!(out.validation > 0) || (out.validation >= 1 && !Number.isInteger(out.validation)))
    fail(`--validation=${out.validation}: expected a fraction in (0, 1) or a whole number of images`);
  const held = out.validation < 1 ? Math.round(out.validation * out.trainLimit) : out.validation;
  if (held >= out.trainLimit) fail(`--validation=${out.validation} holds out ${held} of --trainLimit=${out.trainLimit} images: nothing left to train on`);
  if (held < out.batchSize && held < 32) fail(`--validation=${out.validation} holds out only ${held} images (architecture steps need a validation batch)`);
  if (out.warmupEpochs >= out.searchEpochs)
    fail(`--warmupEpochs=${out.warmupEpochs} must be below --searchEpochs=${out.searchEpochs} (no architecture step would run)`);
  for (const k of ['archLr', 'reinforceLr', 'lr', 'searchLr', 'targetScale']) if (!(out[k] > 0)) fail(`--${k}=${out[k]}: expected a positive number`);
  if (out.reinforceW > 0) fail(`--reinforceW=${out.reinforceW}: expected ≤ 0 (paper: −0.07)`);
  if (!['normalized', 'multiplicative'].includes(out.latencyLoss)) fail(`--latencyLoss=${out.latencyLoss}: expected normalized or multiplicative`);
  if (!['true', 'false'].includes(out.hardBudget)) fail(`--hardBudget=${out.hardBudget}: expected true or false`);
  if (!(out.lambda > 0)) fail(`--lambda=${out.lambda}: expected a positive number`);
  out.widthList = out.widths.split(',').map((s) => Number(s));
  if (out.widthList.length < 1 || out.widthList.some((w) => !(w > 0) || w > 4)) fail(`--widths=${out.widths}: expected comma-separated multipliers in (0, 4], e.g. 0.5,0.75,1`);
  if (!out.widthList.includes(1)) fail(`--widths=${out.widths}: must include 1 (the latency target is the baseline at width 1 × --targetScale)`);
  out.onlyList = out.only.split(',').filter(Boolean);
  for (const s of out.onlyList) if (!SEARCHES.includes(s)) fail(`--only: unknown search "${s}" (known: ${SEARCHES.join(', ')})`);
  if (out.onlyList.length === 0) fail('--only: name at least one search');
  if (out.dataDir && !existsSync(out.dataDir)) fail(`--dataDir=${out.dataDir}: no such folder`);
  out.outDir = resolve(out.out);
  if (out.remeasure) {
    // Re-time the networks of an earlier run (e.g. once the machine is quiet): everything else is kept.
    const file = join(resolve(out.remeasure), 'results.json');
    if (!existsSync(file)) fail(`--remeasure=${out.remeasure}: no results.json there (a folder written by this script)`);
    const prior = JSON.parse(readFileSync(file, 'utf8'));
    const keep = { latencyRounds: out.latencyRounds, remeasure: out.remeasure };
    const again = parseFlags(Object.entries({ ...prior.args, ...keep, remeasure: '' }).map(([k, v]) => `--${k}=${v}`));
    return { ...again, ...keep, outDir: resolve(out.remeasure), prior };
  }
  return out;
}

const args = parseFlags(process.argv.slice(2));
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)}s`;
const log = (m) => console.error(`[${elapsed()}] ${m}`);
mkdirSync(join(args.outDir, 'configs'), { recursive: true });
mkdirSync(join(args.outDir, 'runs'), { recursive: true });

// ---------------------------------------------------------------------------------- backend and data
await tf.setBackend('wasm');
await tf.ready();
const device = describeDevice();
log(`backend ${tf.getBackend()} on ${device.device ?? JSON.stringify(device)}`);

const dataOptions = {
  ...(args.dataDir ? { dir: resolve(args.dataDir) } : { fallbackDir: join(root, 'examples/fashion-mnist/data') }),
  validation: args.validation,
  splitSeed: args.seed,
  limit: { train: args.trainLimit, test: args.testLimit },
};
const dataRef = { use: 'fashion-mnist', options: dataOptions };
const dataset = await fashionMnistDataPlugin
  .create(fashionMnistDataPlugin.options.parse(dataOptions), { rng: new Rng(args.seed).fork('data'), configDir: root, log })
  .load();
if (!dataset.test) fail('the Fashion-MNIST folder has no test files (t10k-*)');
log(`data: ${dataset.train.size} train / ${dataset.validation.size} validation / ${dataset.test.size} test (${dataset.source})`);

// --------------------------------------------------------------------------------------- networks
const spaceOptions = (width) => ({ preset: 'small', ...(width === 1 ? {} : { width }) });
const spaceAt = (width) => MBConvSpace.from(spaceOptions(width), dataset.input);
const space1 = spaceAt(1);
const baselineArch = Object.fromEntries(space1.labels.map((l) => [l, '3x3_MBConv6']));

const flopsProvider = new FlopsLatencyProvider();
/** MFLOPs (MACs / 10⁶) of an architecture: the `flops` target of @proxyless/latency, summed over the network. */
function flopsOf(space, arch) {
  let sum = space.fixedOps().reduce((s, op) => s + flopsProvider.latency(op.features), 0);
  for (const m of space.describe()) {
    const name = arch[m.label];
    const c = m.candidates.find((x) => x.name === name);
    if (!c) throw new Error(`architecture: ${m.label} = ${name} is not a candidate (${m.candidates.map((x) => x.name).join(', ')})`);
    if (c.features.type !== 'zero') sum += flopsProvider.latency(c.features);
  }
  return sum;
}

const measurer = new MeasuredLatencyProvider({ target: 'cpu', batchSize: 1, warmup: 5, minRuns: 20, minDurationMs: 300 });
/** Median forward time at batch 1 (inference mode) on wasm of a freshly built network, in ms. */
async function measureArch(space, arch) {
  const net = space.buildCompact(arch, new Rng(`${args.seed}:measure`));
  try {
    return await measurer.measureNetwork(net, space.input);
  } finally {
    for (const v of net.variables()) v.variable.dispose();
  }
}

const dispose = (net) => {
  for (const v of net.variables()) v.variable.dispose();
};

/** Retrains a network from scratch with the common budget and evaluates it on the test subset. */
const trained = new Map();
async function retrain(name, width, arch) {
  const key = JSON.stringify([width, arch]);
  if (trained.has(key)) {
    log(`${name}: same architecture as ${trained.get(key).name}; reusing its retraining`);
    return { ...trained.get(key), name, sameAs: trained.get(key).name };
  }
  const space = spaceAt(width);
  const net = space.buildCompact(arch, new Rng(`${args.seed}:retrain-init`));
  const params = net.variables().filter((v) => v.trainable).reduce((s, v) => s + v.variable.size, 0);
  const t = Date.now();
  const last = await trainNetwork(
    net,
    dataset,
    { epochs: args.retrainEpochs, ...(args.retrainBatches ? { maxBatchesPerEpoch: args.retrainBatches } : {}), batchSize: args.batchSize, lr: args.lr, lrSchedule: 'cosine', momentum: 0.9, nesterov: true, weightDecay: 4e-5, labelSmoothing: 0.1 },
    { seed: args.seed, onEpoch: (e) => log(`${name}: retrain epoch ${e.epoch + 1}/${e.epochs} train acc ${(e.trainAccuracy * 100).toFixed(1)}% val acc ${(e.validationAccuracy * 100).toFixed(1)}% (${e.seconds.toFixed(0)} s)`) },
  );
  const test = evaluateNetwork(net, dataset.test, 256);
  dispose(net);
  const r = { name, width, params, retrainSeconds: (Date.now() - t) / 1000, validationAccuracy: last.validationAccuracy, testAccuracy: test.accuracy, testCount: test.count };
  log(`${name}: test accuracy ${(test.accuracy * 100).toFixed(2)}% on ${test.count} images (${r.retrainSeconds.toFixed(0)} s)`);
  trained.set(key, r);
  return r;
}

// ------------------------------------------------------------------------------------------ targets
// The search's latency model is the sum of per-op measurements (the `measured` provider's table), so T
// for the cpu search is the baseline ×1.0 in that same model; the reported latencies are whole
// networks timed at the end. The op table is measured here once and cached for every search.
const latencyCache = join(args.outDir, 'latency-cache.json');
const opTiming = { warmup: 5, minRuns: 20, minDurationMs: 200 };
const opTable = new MeasuredLatencyProvider({ target: 'cpu', batchSize: 1, cacheFile: latencyCache, ...opTiming });
/** Per-op table sum of an architecture (ms): the latency the cpu search optimizes. */
async function tableMsOf(space, arch) {
  const ops = [...space.fixedOps(), ...space.describe().map((m) => m.candidates.find((c) => c.name === arch[m.label]))];
  await opTable.prepare(ops);
  return ops.reduce((s, op) => s + opTable.latency(op.features), 0);
}
await opTable.prepare([...space1.fixedOps(), ...space1.describe().flatMap((m) => m.candidates)]);
log(`op latency table: ${opTable.table.size ?? ''} entries measured or read from ${latencyCache}`);
const prior = args.prior;
await measureArch(space1, baselineArch); // warm-up of whole-network timing (first runs pay JIT and allocation)
const baseline1Ms = prior ? prior.targets.baseline1Ms : await measureArch(space1, baselineArch);
const baseline1TableMs = prior ? prior.targets.baseline1TableMs : await tableMsOf(space1, baselineArch);
const targetMs = +(baseline1TableMs * args.targetScale).toFixed(3);
const baseline1Mflops = flopsOf(space1, baselineArch);
const targetMflops = +(baseline1Mflops * args.targetScale).toFixed(3);
if (!prior) log(`baseline ×1.0: ${baseline1Ms.toFixed(3)} ms measured whole, ${baseline1TableMs.toFixed(3)} ms op-table sum, ${baseline1Mflops.toFixed(2)} MFLOPs → targets T = ${targetMs} ms (cpu, table), ${targetMflops} MFLOPs (flops)`);

// ----------------------------------------------------------------------------------------- searches
const cpuLatency = { use: '@proxyless/backend-wasm', name: 'measured', options: { target: 'cpu', cacheFile: latencyCache, ...opTiming } };
const flopsLatency = { use: '@proxyless/latency', name: 'flops' };
// With --sharedWarmup (default) the weight-only warm-up runs once (as in the paper, whose searches start
// from one warmed-up supernet) and every search starts from its weights with warmupEpochs 0.
const shared = args.sharedWarmup === 'true' && args.warmupEpochs > 0;
const trainer = {
  options: {
    epochs: shared ? args.searchEpochs - args.warmupEpochs : args.searchEpochs,
    warmupEpochs: shared ? 0 : args.warmupEpochs,
    ...(args.searchBatches ? { maxBatchesPerEpoch: args.searchBatches } : {}),
    batchSize: args.batchSize,
    lr: args.searchLr,
    archUpdateEvery: args.archUpdateEvery,
    checkpointEvery: 0,
  },
};
const bc = (options) => ({ use: '@proxyless/strategy-binaryconnect', options: { lr: args.archLr, ...options } });
// The latency-aware BinaryConnect searches: `normalized` CE + λ·(E[lat] − T)/T by default (the paper's
// `multiplicative` log form degenerates in ms near 1: log E[lat] → 0 drives the loss to 0), plus T as a
// hard budget (dual ascent, derive the most probable architecture within T) unless --hardBudget=false.
const latencyAware = (target) =>
  bc({ target, latencyLoss: args.latencyLoss, ...(args.latencyLoss === 'normalized' ? { lambda: args.lambda } : {}), ...(args.hardBudget === 'true' ? { hardBudget: true } : {}) });
const searchDefs = {
  cpu: { label: 'Proxyless-G, cpu latency loss', strategy: latencyAware(targetMs), latency: cpuLatency },
  nolat: { label: 'Proxyless-G, no latency loss', strategy: bc({ latencyLoss: 'none' }), latency: cpuLatency },
  reinforce: {
    label: 'Proxyless-R, cpu latency reward',
    strategy: {
      use: '@proxyless/strategy-reinforce',
      options: { samples: args.reinforceSamples, lr: args.reinforceLr, reward: { use: 'latency', target: targetMs, w: args.reinforceW, latencySource: 'table' } },
    },
    latency: cpuLatency,
  },
  flops: { label: 'Proxyless-G, flops loss', strategy: latencyAware(targetMflops), latency: flopsLatency },
};

const searchConfig = (strategy, latency) => ({
  seed: args.seed,
  backend: { use: '@proxyless/backend-wasm' },
  data: dataRef,
  space: { use: '@proxyless/space-mbconv', options: spaceOptions(1) },
  strategy,
  ...(latency ? { latency } : {}),
  trainer,
});
let warm; // name → tensor of the warmed-up supernet
let warmupSeconds;
if (!prior && shared) {
  const config = { ...searchConfig(bc({ latencyLoss: 'none' })), trainer: { options: { ...trainer.options, epochs: args.warmupEpochs, warmupEpochs: args.warmupEpochs, maxBatchesPerEpoch: undefined } } };
  const configFile = join(args.outDir, 'configs', 'warmup.json');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  log(`shared warm-up: ${args.warmupEpochs} weight-only epoch(s), ${configFile}`);
  const t = Date.now();
  const { session } = await composeSearch({ config: configFile, runDir: join(args.outDir, 'runs', 'warmup'), log: (m) => (/^(backend:|fashion-mnist:)/.test(m) ? undefined : log(`  warmup: ${m}`)) });
  await session.run();
  warm = new Map(session.network.variables().map((v) => [v.name, v.variable.clone()]));
  dispose(session.network);
  warmupSeconds = (Date.now() - t) / 1000;
  log(`shared warm-up done (${warmupSeconds.toFixed(0)} s)`);
}

const searches = prior ? prior.searches : {};
for (const key of SEARCHES) {
  if (prior || !args.onlyList.includes(key)) continue;
  const def = searchDefs[key];
  const name = key === 'reinforce' ? 'reinforce-cpu' : `bc-${key}`;
  const config = searchConfig(def.strategy, def.latency);
  const configFile = join(args.outDir, 'configs', `${name}.json`);
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const runDir = join(args.outDir, 'runs', name);
  log(`search ${name} (${def.label}): ${configFile}`);
  const t = Date.now();
  const { session } = await composeSearch({ config: configFile, runDir, log: (m) => (/^(measured latency \d|backend:|fashion-mnist:)/.test(m) ? undefined : log(`  ${name}: ${m}`)) });
  if (warm) {
    for (const v of session.network.variables()) {
      const t = warm.get(v.name);
      if (!t || t.shape.join('x') !== v.variable.shape.join('x')) throw new Error(`shared warm-up: no matching weights for ${v.name}`);
      v.variable.assign(t);
    }
  }
  const result = await session.run();
  const searchSeconds = (Date.now() - t) / 1000;
  dispose(session.network);
  log(`search ${name}: ${JSON.stringify(result.architecture)} (${searchSeconds.toFixed(0)} s)`);
  searches[key] = { key, name, label: def.label, runDir, configFile, searchSeconds, architecture: result.architecture, expectedLatency: result.latency, latencyUnit: result.latencyUnit, searchValidationAccuracy: result.validationAccuracy };
}

// ----------------------------------------------------------------------------------------- retrain
const rows = prior ? prior.networks : [];
if (!prior) for (const s of Object.values(searches)) rows.push({ kind: 'searched', search: s.key, ...(await retrain(s.name, 1, s.architecture)), architecture: s.architecture });
if (!prior) for (const w of args.widthList) rows.push({ kind: 'baseline', ...(await retrain(`MBv2 ×${w}`, w, baselineArch)), architecture: baselineArch });

// -------------------------------------------------------------------------------- latency (measured)
// Every network is timed `latencyRounds` times, interleaved, and the median of the rounds is kept, so
// a burst of load on the shared machine does not land on one network only.
const samples = rows.map(() => []);
for (let round = 0; round < args.latencyRounds; round++) {
  for (const [i, r] of rows.entries()) samples[i].push(await measureArch(spaceAt(r.width), r.architecture));
  log(`latency round ${round + 1}/${args.latencyRounds}: ${rows.map((r, i) => `${r.name} ${samples[i].at(-1).toFixed(2)}`).join(', ')} ms`);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const [i, r] of rows.entries()) {
  if (prior) r.previousLatencyMs ??= r.latencyMs;
  r.latencyMs = median(samples[i]);
  r.latencySamplesMs = samples[i];
  r.mflops = flopsOf(spaceAt(r.width), r.architecture);
  r.tableMs = await tableMsOf(spaceAt(r.width), r.architecture);
  r.blocks = space1.labels.map((l) => r.architecture[l]);
}

// ------------------------------------------------------------------------------------------ output
const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
const base = rows.filter((r) => r.kind === 'baseline').sort((a, b) => a.latencyMs - b.latencyMs);
/** Baseline accuracy interpolated (linearly in latency) at a latency; undefined outside the curve. */
function baselineAt(ms) {
  for (let i = 0; i + 1 < base.length; i++) {
    const [a, b] = [base[i], base[i + 1]];
    if (ms >= a.latencyMs && ms <= b.latencyMs) return a.testAccuracy + ((ms - a.latencyMs) / (b.latencyMs - a.latencyMs || 1)) * (b.testAccuracy - a.testAccuracy);
  }
  return undefined;
}
const pct = (x) => (x === undefined ? '—' : `${(x * 100).toFixed(2)}%`);
const pp = (x) => (x === undefined ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp`);
const ms = (x) => `${x.toFixed(2)} ms`;
const short = (c) => (c === 'zero' ? 'skip' : c.replace(/^(\d)x\d_MBConv(\d)$/, 'k$1e$2'));
const archText = (r) => r.blocks.map(short).join(' ');
const searchedRow = (key) => (searches[key] ? byName[searches[key].name] : undefined);

const md = [];
const header = '| network | test acc. | cpu latency, measured (wasm, batch 1) | cpu op-table sum | MFLOPs | params | blocks |\n|---|---|---|---|---|---|---|';
const line = (r, name = r.name) => `| ${name} | ${pct(r.testAccuracy)} | ${ms(r.latencyMs)} | ${ms(r.tableMs)} | ${r.mflops.toFixed(2)} | ${r.params.toLocaleString('en-US')} | ${archText(r)} |`;
md.push('### 1. Searched network vs the MobileNetV2-style baseline\n');
md.push(header);
if (searchedRow('cpu')) md.push(line(searchedRow('cpu'), `**searched** (BinaryConnect, cpu latency loss, T = ${targetMs} ms op-table)`));
for (const r of base) md.push(line(r, `baseline ${r.name} (all 3×3 MBConv6)`));
const sc = searchedRow('cpu');
if (sc) {
  const at = baselineAt(sc.latencyMs);
  md.push(
    `\nBaseline accuracy interpolated at the searched network's latency (${ms(sc.latencyMs)}): ${pct(at)}${at === undefined ? ' (outside the measured width range)' : ''}; searched − baseline: **${pp(at === undefined ? undefined : sc.testAccuracy - at)}**.`,
  );
  const b1 = byName['MBv2 ×1'];
  if (b1) md.push(`Against the baseline at width 1: accuracy ${pp(sc.testAccuracy - b1.testAccuracy)}, latency ×${(sc.latencyMs / b1.latencyMs).toFixed(2)}.`);
}
const pair = (title, a, aName, b, bName) => {
  if (!a || !b) return;
  md.push(`\n### ${title}\n`);
  md.push(header);
  md.push(line(a, aName));
  md.push(line(b, bName));
  md.push(`\nDifference (first − second): accuracy ${pp(a.testAccuracy - b.testAccuracy)}, latency ×${(a.latencyMs / b.latencyMs).toFixed(2)}, MFLOPs ×${(a.mflops / b.mflops).toFixed(2)}.`);
};
pair('2. With vs without the latency loss', searchedRow('cpu'), `with (${args.latencyLoss}${args.hardBudget === 'true' ? ' + hard budget' : ''}, T = ${targetMs} ms op-table)`, searchedRow('nolat'), 'without (CE only)');
pair('3. Gradient (BinaryConnect) vs REINFORCE', searchedRow('cpu'), 'Proxyless-G (BinaryConnect)', searchedRow('reinforce'), `Proxyless-R (REINFORCE, M = ${args.reinforceSamples}, w = ${args.reinforceW})`);
const rc = searchedRow('cpu');
const rf = searchedRow('flops');
if (rc && rf) {
  md.push('\n### 4. Hardware specialization: searched for each target, evaluated on each\n');
  md.push('| searched for ↓ / evaluated on → | cpu (wasm, measured, ms) | flops (MFLOPs) | test acc. |\n|---|---|---|---|');
  md.push(`| cpu (T = ${targetMs} ms op-table) | **${rc.latencyMs.toFixed(2)}** | ${rc.mflops.toFixed(2)} | ${pct(rc.testAccuracy)} |`);
  md.push(`| flops (T = ${targetMflops} MFLOPs) | ${rf.latencyMs.toFixed(2)} | **${rf.mflops.toFixed(2)}** | ${pct(rf.testAccuracy)} |`);
  md.push(`\nblocks — cpu: ${archText(rc)}; flops: ${archText(rf)}`);
  md.push(`On cpu the ${rc.latencyMs <= rf.latencyMs ? 'cpu' : 'flops'}-searched network is faster (×${(rf.latencyMs / rc.latencyMs).toFixed(2)} flops/cpu); on flops the ${rf.mflops <= rc.mflops ? 'flops' : 'cpu'}-searched network is cheaper (×${(rc.mflops / rf.mflops).toFixed(2)} cpu/flops). Specialization shows when each network wins on its own target.`);
}
md.push(`\n${warmupSeconds !== undefined ? `Shared warm-up ${warmupSeconds.toFixed(0)} s; search` : 'Search'} times: ${Object.values(searches).map((s) => `${s.name} ${s.searchSeconds.toFixed(0)} s`).join(', ')}; retraining: ${rows.filter((r) => !r.sameAs).map((r) => `${r.name} ${r.retrainSeconds.toFixed(0)} s`).join(', ')}; total ${prior ? `${prior.seconds.toFixed(0)}s` : elapsed()}${prior ? `; latencies re-timed ${new Date().toISOString()}` : ''}.`);
const markdown = md.join('\n') + '\n';

const results = {
  command: prior ? prior.command : `node bench/comparisons.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  ...(prior ? { remeasured: { command: `node bench/comparisons.mjs ${process.argv.slice(2).join(' ')}`, date: new Date().toISOString(), previous: prior.networks.map((r) => ({ name: r.name, latencyMs: r.previousLatencyMs ?? r.latencyMs })), firstRunDate: prior.date } } : {}),
  args: Object.fromEntries(Object.keys(DEFAULTS).filter((k) => k !== 'remeasure').map((k) => [k, prior ? prior.args[k] : args[k]])),
  device,
  date: new Date().toISOString(),
  seconds: prior ? prior.seconds : (Date.now() - t0) / 1000,
  data: { train: dataset.train.size, validation: dataset.validation.size, test: dataset.test.size, source: dataset.source },
  targets: { cpuTableMs: targetMs, flopsMflops: targetMflops, baseline1Ms, baseline1TableMs, baseline1Mflops },
  ...(warmupSeconds !== undefined ? { warmupSeconds } : prior?.warmupSeconds !== undefined ? { warmupSeconds: prior.warmupSeconds } : {}),
  searches,
  networks: rows,
};
writeFileSync(join(args.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(args.outDir, 'results.md'), markdown);

// comparisons.json (report format: accuracy-vs-latency scatter) and latency.json into the searched run.
const comparisons = [];
for (const r of rows) {
  const s = r.search ? searches[r.search] : undefined;
  const kind = r.kind === 'baseline' ? 'baseline' : r.search === 'cpu' ? 'searched' : r.search === 'flops' ? 'other target' : 'ablation';
  const common = { accuracy: r.testAccuracy, kind, ...(r.kind === 'baseline' ? { series: 'MobileNetV2 (all 3×3 MBConv6)' } : {}) };
  const name = s ? s.label : `${r.name} (all 3×3 MBConv6)`;
  comparisons.push({ name, latency: +r.latencyMs.toFixed(3), latencyUnit: 'ms', ...common, note: `${r.mflops.toFixed(2)} MFLOPs; ${archText(r)}` });
  comparisons.push({ name, latency: +r.mflops.toFixed(3), latencyUnit: 'MFLOPs', ...common, ...(r.kind === 'baseline' ? { series: 'MobileNetV2 (all 3×3 MBConv6)' } : {}) });
}
for (const s of Object.values(searches)) {
  writeFileSync(join(s.runDir, 'comparisons.json'), `${JSON.stringify(comparisons, null, 2)}\n`);
  const r = byName[s.name];
  writeFileSync(
    join(s.runDir, 'latency.json'),
    `${JSON.stringify({ measured_latency_ms: +r.latencyMs.toFixed(3), target: 'cpu (wasm, this machine)', note: `median of ${args.latencyRounds} rounds of a median of ≥ 20 runs, batch 1`, measurements: [{ target: 'flops', latency: +r.mflops.toFixed(3), unit: 'MFLOPs' }] }, null, 2)}\n`,
  );
  try {
    writeReport(s.runDir);
  } catch (err) {
    log(`report of ${s.runDir} failed: ${err.message}`);
  }
}
console.log(markdown);
log(`wrote ${join(args.outDir, 'results.json')}, results.md, and comparisons.json + report.html in each run of ${join(args.outDir, 'runs')}`);
