// Search quality of the full default example (examples/fashion-mnist/full.yaml), over seeds: is the
// searched network better than what it is compared with, by more than the seed-to-seed noise? A
// resumable job runner: every job writes <out>/jobs/<id>.json when it is done, and a rerun skips the
// jobs that are done, so the ≈ 8 hours of the default plan (2 cores) can run over several sessions.
// Jobs run seed-major (seed 1's jobs, then seed 2's, …), so stopping part-way leaves complete seeds.
// `--summary` then re-times every network and computes the statistics (no training).
//
// Every network is retrained from scratch with one recipe, RETRAIN_RECIPE below (the `full` variant of
// examples/fashion-mnist/run.mjs: 58,000 training images, 2,000 held out for validation, horizontal
// flips and random crops (padding 2), `proxyless train --epochs 28 --batch-size 128 --lr 0.1
// --label-smoothing 0.1 --weight-decay 0.0005 --workers auto`),
// through the real CLI in a child process, and tested on the 10,000 test images. Selection (random
// search's best of k) uses validation accuracy only. Jobs, per seed s of --seeds:
//   bc-s           the example's search (full.yaml with seed s: BinaryConnect, measured cpu latency,
//                  normalized loss + hard budget T = 0.75 ms), then the derived network retrained
//   nolat-s        the same search without the latency loss and without the budget, retrained
//   reinforce-s    the same data/space/trainer with @proxyless/strategy-reinforce, reward
//                  ACC·(LAT/T)^w at the same T, LAT measured whole (see REINFORCE below), retrained
//   reinforce-hard-s  the same with MnasNet's hard constraint: reward ACC under T, ACC·(LAT/T)^-1 over
//                  it (wUnder: 0, w: -1; --reinforceHardW), retrained
//   reinforce-within-s  no search of its own: reinforce-s's final α (its run copied), derived again with
//                  `derive: within-budget` (BinaryConnect's derive rule) and retrained, so that
//                  bc − reinforce splits into the estimator's part and the derive's. Needs reinforce-s
//   baseline-w-s   MobileNetV2-style (every block 3x3_MBConv6) on the example's space at width
//                  multiplier w (each of --widths), retrained; no search
//   random-s       random search at the cost of bc-s: architectures drawn uniformly, kept when bc-s's
//                  latency model prices them ≤ T, k of them each retrained for E_k epochs (RANDOM below);
//                  the best on validation is reported. Needs bc-s done (else skipped with a message)
//   sweep-T-s      the bc search with budget T (each of --budgets), no retraining: where the derived
//                  network lands against T, and whether the budget bound (argmax over T)
// A search whose config equals one already finished in <out> is not run again (sweep-0.75-s reuses
// bc-s's search, the same config). Search run directories and model directories go to <out>/runs/<id>/;
// every search shares the op latency table <out>/latency-cache-cpu.json (measured once).
//
// Time on 2 free cores at full scale (estimates): a search ≈ 3 min (reinforce with measured latency:
// more, it times sampled networks, ≤ ≈ 15 min), a 28-epoch retrain of a full-example-sized network
// ≈ 20 min (narrower baselines less). Per seed: bc ≈ 23 min, nolat ≈ 23, reinforce ≈ 23, five
// baselines (widths 0.25–1: the curve must reach down to T) ≈ 75, random ≈ 23 (equal cost to bc),
// four sweep searches ≈ 9 (one reused): ≈ 3 h; 3 seeds ≈ 8–9 h. That is on an Intel Xeon ×2; on an
// AMD EPYC ×2 (2026-11-30) a search took 76 s and 56-epoch retrainings 9–17 min (×0.35 to the
// searched network), ≈ ×2.2 faster.
// The summary re-times ≈ 60 networks: ≈ 5 min.
//
// Usage: npx tsc -b && node bench/search-quality.mjs [--seeds=1,2,3] [--jobs=bc,nolat,reinforce,reinforce-hard,reinforce-within,baseline,random,sweep]
//        [--widths=0.25,0.35,0.5,0.75,1] [--budgets=0.55,0.65,0.75,0.85] [--retrainEpochs=28] [--trainFlags="--weight-decay 0.0005"]
//        [--augment=horizontal-flip,random-crop:2 (the default)] [--validation=2000] [--randomK=4] [--randomEpochs=0 (rule)]
//        [--reinforceSamples=10] [--reinforceLr=0.01] [--reinforceW=-0.07] [--reinforceHardW=-1] [--reinforceLatency=table|measured] [--reinforceMeasureMs=50]
//        [--redo=<ids or kinds> (searches again; a retraining of the same network is reused)] [--dryRun] [--out=.tmp/search-quality]
//        [--records=<folder to commit>, e.g. bench/results/search-quality-e56 (see keepRecord)]
//        [--referenceMs=0.3244 (the machine the budgets are stated for; see budgetScale)]
//        quick checks only: [--searchEpochs=6] [--warmupEpochs=2] [--trainLimit=20000] [--retrainLimit=0 (all)] [--maxBatchesPerEpoch=0 (all)]
//        node bench/search-quality.mjs --summary [--out=…] [--rounds=20] [--timingMs=100] [--seeds/--jobs/--widths/--budgets: what is expected]
// (20 rounds of 100 ms windows: two such passes agreed within 1–3% where 5 × 500 ms read 3–13% high,
// docs/BENCHMARKS.md §10)
// --dryRun lists the jobs and checks every search config with `proxyless validate` (nothing trained).
// Ctrl-C: the running search writes its checkpoint and the runner stops; the job is not recorded and
// runs again next time, from scratch, except its phases that finished (a search, a retraining with
// the same record and flags are reused) and a retraining cut short, which resumes from its last
// finished epoch (`proxyless train --resume`). A failed job is recorded as <id>.failed.json; the runner
// goes on with the next job. One runner per --out folder (<out>/runner.lock).
// A study spans sessions, and <out> (under .tmp) does not survive a new checkout: --records keeps
// every finished job's record in a folder to commit, and restores what <out> lacks from it.
// Writes <out>/jobs/<id>.json (done) or <id>.failed.json (the error; the job runs again next time);
// the summary writes <out>/summary.json, summary.md, accuracy-vs-latency.svg and accuracy-vs-latency.html.
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createExpectedLatency, FASHION_MNIST_SYSTEM_DIR, fastestArchitecture, LATENCY_CALIBRATION_FILE, networkLayers, MeasuredLatencyProvider, readConfigFile, readStoredCalibration, relativeTimer, Rng, RunFiles, writeFileAtomic } from '@proxyless/core';
import { MBConvSpace, mbconvSpaceOptions } from '@proxyless/space-mbconv';
import { parseArgs } from './common.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'packages/cli/dist/bin.js');
const EXAMPLE = join(root, 'examples/fashion-mnist/full.yaml');
const EXAMPLE_DATA = join(root, 'examples/fashion-mnist/data');
const example = readConfigFile(EXAMPLE).raw;
const INPUT = { shape: [28, 28, 1], numClasses: 10 };

/**
 * The one retraining recipe of every network: the `full` variant of examples/fashion-mnist/run.mjs
 * (VARIANTS.full). Data options replace the search's (every training image but `validation`, the
 * whole test set); `train` are the `proxyless train` flags besides --epochs. --validation, --augment,
 * --retrainEpochs and --trainFlags (appended) change it for a whole study.
 */
const RETRAIN_RECIPE = Object.freeze({
  epochs: 28,
  data: { validation: 2000, augment: 'horizontal-flip,random-crop:2' }, // as --augment writes it: flips, random crops with padding 2
  train: ['--batch-size', '128', '--lr', '0.1', '--label-smoothing', '0.1', '--weight-decay', '0.0005', '--workers', 'auto'],
});

/**
 * REINFORCE (Proxyless-R): the strategy's defaults (M = 10 samples per arch step, Adam lr 0.01,
 * β1 = 0, EMA baseline 0.9) with the paper's latency reward ACC·(LAT/T)^w, w = −0.07, T the
 * example's budget. LAT is the search's latency model by default (`--reinforceLatency=table`: the op
 * table calibrated on whole networks, the model BinaryConnect's loss and derive use), so the two
 * strategies differ only in how they update α. `--reinforceLatency=measured` times every sampled
 * network whole instead (one round against the search's reference network, each distinct architecture once per search);
 * the window is then shortened from the example's 300 ms to --reinforceMeasureMs (default 50 ms)
 * because a search times up to M new networks per arch step (≈ 375 steps): ≤ ≈ 10 min of timing.
 *
 * RANDOM: equal cost to bc-s. Latency is priced with bc-s's own latency model, not timed: the op
 * table the search used (<out>/latency-cache-cpu.json) through the run's latency-calibration.json
 * (scale·op + perLayer per non-zero layer, + offset), exactly the model whose ≤ T the bc derive obeys.
 * Candidates are drawn uniformly per mixed op from Rng(`random-search:<s>`), distinct, until k fit.
 * Budget: the wall seconds of bc-s's search + retraining. Seconds per epoch: bc-s's retraining wall
 * seconds / its epochs (process start, data loading and the test pass folded in; every candidate is
 * within the same T, so its epoch costs about as much). E_k = max(1, round(budget / (k · that))).
 * The realized seconds are recorded next to the budget.
 */

// ---------------------------------------------------------------------------------------------- flags
const KINDS = ['bc', 'nolat', 'reinforce', 'reinforce-hard', 'reinforce-within', 'baseline', 'random', 'sweep'];
const DEFAULTS = {
  seeds: [1, 2, 3],
  jobs: KINDS.join(','),
  widths: [0.25, 0.35, 0.5, 0.75, 1],
  budgets: [0.55, 0.65, 0.75, 0.85],
  retrainEpochs: RETRAIN_RECIPE.epochs,
  trainFlags: '',
  augment: RETRAIN_RECIPE.data.augment,
  validation: RETRAIN_RECIPE.data.validation,
  randomK: 4,
  randomEpochs: 0,
  reinforceSamples: 10,
  reinforceLr: 0.01,
  reinforceW: -0.07,
  reinforceMeasureMs: 50,
  reinforceLatency: 'table',
  reinforceHardW: -1,
  // quick checks only (defaults: the full scale of full.yaml and run.mjs)
  searchEpochs: example.trainer.options.epochs,
  warmupEpochs: example.trainer.options.warmupEpochs,
  trainLimit: example.data.options.limit.train,
  retrainLimit: 0,
  maxBatchesPerEpoch: 0,
  redo: '',
  dryRun: false,
  out: '.tmp/search-quality',
  records: '',
  referenceMs: 0.3244,
  summary: false,
  rounds: 20,
  timingMs: 100,
};
const USAGE = `usage: node bench/search-quality.mjs ${Object.entries(DEFAULTS).map(([k, v]) => `[--${k}=${Array.isArray(v) ? v.join(',') : v}]`).join(' ')}`;
function fail(message) {
  console.error(`search-quality: ${message}\n${USAGE}`);
  process.exit(2);
}
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
let args;
try {
  args = parseArgs(process.argv.slice(2), DEFAULTS);
} catch (err) {
  fail(err.message);
}
const int = (k, min) => Number.isInteger(args[k]) && args[k] >= min || fail(`--${k}=${args[k]}: expected a whole number ≥ ${min}`);
for (const [k, min] of [['retrainEpochs', 1], ['validation', 1], ['randomK', 1], ['randomEpochs', 0], ['reinforceSamples', 1], ['searchEpochs', 1], ['warmupEpochs', 0], ['trainLimit', 2], ['retrainLimit', 0], ['maxBatchesPerEpoch', 0], ['rounds', 1]]) int(k, min);
if (args.warmupEpochs >= args.searchEpochs) fail(`--warmupEpochs=${args.warmupEpochs} must be below --searchEpochs=${args.searchEpochs} (no architecture step would run)`);
if (!(args.reinforceLr > 0) || !(args.reinforceW <= 0) || !(args.reinforceHardW <= 0) || !(args.reinforceMeasureMs >= 0) || !(args.timingMs >= 0)) fail('--reinforceLr > 0, --reinforceW ≤ 0, --reinforceHardW ≤ 0, --reinforceMeasureMs ≥ 0 and --timingMs ≥ 0 expected');
if (!['table', 'measured'].includes(args.reinforceLatency)) fail(`--reinforceLatency=${args.reinforceLatency}: expected table or measured`);
if (!(args.referenceMs > 0)) fail(`--referenceMs=${args.referenceMs}: expected a positive latency in ms`);
if (!args.seeds.length || args.seeds.some((s) => !Number.isInteger(s) || s < 0)) fail(`--seeds=${args.seeds}: expected whole numbers ≥ 0`);
if (args.widths.some((w) => !(w > 0 && w <= 8))) fail(`--widths=${args.widths}: expected multipliers in (0, 8]`);
if (args.budgets.some((t) => !(t > 0))) fail(`--budgets=${args.budgets}: expected positive latencies in ms`);
const kinds = new Set(args.jobs.split(',').map((s) => s.trim()).filter(Boolean));
for (const k of kinds) if (!KINDS.includes(k)) fail(`--jobs: unknown kind "${k}" (known: ${KINDS.join(', ')})`);
if (args.retrainLimit && args.validation >= args.retrainLimit) fail(`--validation=${args.validation} leaves nothing of --retrainLimit=${args.retrainLimit} to train on`);
if (args.validation >= args.trainLimit) fail(`--validation=${args.validation} leaves nothing of --trainLimit=${args.trainLimit} to search on`);
/** --augment: `name` or `name:value` (random-crop:<padding>, horizontal-flip:<p>, cutout:<length>). */
const augment = args.augment.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
  const [name, value] = item.split(':');
  if (!['horizontal-flip', 'random-crop', 'cutout'].includes(name)) fail(`--augment: unknown augmentation "${name}" (horizontal-flip, random-crop, cutout)`);
  if (value === undefined) return name;
  const v = Number(value);
  if (!Number.isFinite(v)) fail(`--augment: ${item}: expected a number after ":"`);
  return { name, ...(name === 'random-crop' ? { padding: v } : name === 'cutout' ? { length: v } : { p: v }) };
});
const trainFlags = args.trainFlags.split(/\s+/).filter(Boolean);
if (!existsSync(CLI)) fail(`${CLI} is missing; build first (npx tsc -b)`);
// Full scale needs the full data set: without the Debian package the data plugin falls back to the
// example's committed 4,000-image subset, and hours of retraining would measure the wrong thing.
const quick = args.retrainLimit > 0 || args.trainLimit < DEFAULTS.trainLimit || args.maxBatchesPerEpoch > 0;
if (!quick && !args.summary && !args.dryRun && !existsSync(FASHION_MNIST_SYSTEM_DIR)) {
  fail(`${FASHION_MNIST_SYSTEM_DIR} is missing: the study needs the full Fashion-MNIST (60,000 + 10,000 images), not the example's committed subset. Install it (Debian: apt-get install dataset-fashion-mnist), or pass --retrainLimit for a quick check`);
}

const out = resolve(root, args.out);
const jobsDir = join(out, 'jobs');
const runsDir = join(out, 'runs');
const LATENCY_CACHE = join(out, 'latency-cache-cpu.json');
const recordsDir = args.records ? resolve(root, args.records) : undefined;
const T0 = Date.now();
const elapsed = () => {
  const s = Math.round((Date.now() - T0) / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const log = (m) => console.error(`[${elapsed()}] ${m}`);
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));
const writeJson = (p, v) => writeFileAtomic(p, `${JSON.stringify(v, null, 2)}\n`);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const fixed = (x, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–');

// ------------------------------------------------------------------------------- spaces and latency
const SPACE_USE = example.space.use;
const spaceOptions = (width = 1) => ({ ...example.space.options, ...(width === 1 ? {} : { width }) });
const spaceOf = (options) => new MBConvSpace(mbconvSpaceOptions.parse(options), INPUT);
const inspect = (options, arch) => {
  const i = spaceOf(options).inspect(arch);
  return { params: i.params, macs: i.macs };
};

let wasm;
/** The wasm backend in this process (the op table's keys name it; the summary times on it). */
const ensureWasm = () =>
  (wasm ??= (async () => {
    const { WasmBackendImpl } = await import('@proxyless/backend-wasm');
    await new WasmBackendImpl({}).init();
  })());

/**
 * The latency model of a finished search's run directory (ms): its op table (the shared cache, read
 * with the search's latency options) through its latency-calibration.json, priced by core's
 * createExpectedLatency as the search priced architectures. Without a calibration file: the plain op sum.
 */
async function latencyModelOf(runDir) {
  const config = readJson(join(runDir, 'config.json'));
  return withOpTable(config.latency?.options, config.space.options, ({ provider, network }) => {
    const cal = readStoredCalibration(join(runDir, LATENCY_CALIBRATION_FILE), provider.target, provider.unit);
    const expected = createExpectedLatency(network, provider, cal);
    return {
      calibration: cal ? { model: cal.model, scale: cal.scale, perLayer: cal.perLayer, offset: cal.offset, mapeBefore: cal.mapeBefore, mapeAfter: cal.mapeAfter, mapeHeldOut: cal.mapeHeldOut } : undefined,
      mixed: network.mixedOps.map((m) => ({ label: m.label, candidates: m.candidates.map((c) => ({ name: c.name })) })),
      of: (arch) => expected.ofArchitecture(arch),
    };
  });
}

/**
 * `fn({ provider, space, network })` on the supernet of `spaceOptions` with its op table ready: the
 * study's shared cache, read with a search's latency options (calibration aside). The supernet's
 * variables are disposed after.
 */
async function withOpTable(latencyOptions, spaceOptions, fn) {
  await ensureWasm();
  const { calibrate: _c, ...timing } = latencyOptions ?? {};
  const provider = new MeasuredLatencyProvider({ ...timing, cacheFile: LATENCY_CACHE });
  const space = spaceOf(spaceOptions);
  const network = space.buildSupernet(new Rng('search-quality:latency-model'));
  try {
    await provider.prepare([...network.fixedOps, ...space.describe().flatMap((m) => m.candidates)]);
    return await fn({ provider, space, network });
  } finally {
    for (const v of network.variables()) v.variable.dispose();
  }
}

/**
 * This machine's reference network and its quiet latency: the network every search of the study times
 * against (the fastest by the op table) and the latency the searches pinned for it, which the op
 * table's cache remembers per machine. A machine that has none yet gets it as a search would: the
 * least of 33 timings, then remembered.
 */
let machineRef;
const machineReference = () =>
  (machineRef ??= withOpTable(example.latency.options, spaceOptions(1), async ({ provider, space, network }) => {
    const architecture = fastestArchitecture(network, provider);
    const layers = networkLayers(network, architecture);
    let latency = provider.rememberedNetworkLatency('reference', layers);
    if (latency === undefined) {
      const compact = space.buildCompact(architecture, new Rng('search-quality:reference'));
      const timings = [];
      for (let i = 0; i < 33; i++) timings.push(await provider.measureNetwork(compact, INPUT));
      for (const v of compact.variables()) v.variable.dispose();
      latency = Math.min(...timings);
      provider.rememberNetworkLatency('reference', layers, latency);
      log(`the reference network timed ${latency.toFixed(4)} ms here (least of ${timings.length}); remembered in ${LATENCY_CACHE}`);
    }
    return { architecture, latency, device: provider.describe().device };
  }));

/**
 * Budgets (full.yaml's T, --budgets) are stated in ms on the machine the study began on, whose
 * reference network timed --referenceMs (0.3244 ms, Intel Xeon ×2, docs/RESULTS.md). On another
 * machine every T is scaled by the ratio of the two reference latencies, so that each search keeps the
 * same budget relative to the hardware: T = 0.75 ms there is ≈ 2.3 reference networks everywhere.
 * (Sessions draw their machine: a faster one timed the reference at 0.218 ms, where an unscaled
 * T = 0.75 ms no longer bound and the search took the largest network.)
 */
let budgetScale;
const scaled = (T) => {
  if (budgetScale === undefined) throw new Error('internal: the budget scale is not known yet');
  return +(T * budgetScale).toFixed(4);
};
/*
 * The scale follows the machine's remembered reference latency, which only ever comes down, so T in ms
 * moves between runs (on one AMD EPYC × 0.673, then 0.659, then 0.643). That is what keeps T fixed
 * where it counts: a search prices every network as its ratio to the reference times that remembered
 * latency, so T stays the same number of reference networks. (Fixing the scale once per machine was
 * tried on 2026-11-30: the searches run later under the same T in ms then had a T 4.6% looser in
 * reference networks than the bc searches they were paired with.)
 */
async function settleBudgetScale() {
  const ref = await machineReference();
  budgetScale = ref.latency / args.referenceMs;
  log(`budgets: the reference network's quiet latency here (${ref.device}) is ${ref.latency.toFixed(4)} ms against ${args.referenceMs} ms where they are stated: every T × ${budgetScale.toFixed(3)} (T = ${T_EXAMPLE} ms → ${scaled(T_EXAMPLE)} ms)`);
}

// --------------------------------------------------------------------------------- child processes
let child;
let stopping = false;
process.on('SIGINT', () => {
  if (stopping) process.exit(130);
  stopping = true; // the child (same process group) got the Ctrl-C too: a search writes its checkpoint
  log('interrupted: stopping once the running step exits (Ctrl-C again to quit at once)');
});
process.on('SIGTERM', () => {
  stopping = true;
  child?.kill('SIGTERM');
});

/** Runs `proxyless <args>` in a child process, its stderr (and stdout unless captured) appended to `logFile`. */
function proxyless(cliArgs, logFile, { capture = false } = {}) {
  return new Promise((res, rej) => {
    const fd = openSync(logFile, 'a');
    writeSync(fd, `\n$ proxyless ${cliArgs.join(' ')}   # ${new Date().toISOString()}\n`);
    child = spawn(process.execPath, [CLI, ...cliArgs], { cwd: root, stdio: ['ignore', capture ? 'pipe' : fd, fd] });
    let stdout = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.on('error', (err) => {
      closeSync(fd);
      rej(err);
    });
    child.on('close', (code, signal) => {
      closeSync(fd);
      child = undefined;
      if (code === 0) return res(stdout);
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-8).join('\n');
      const err = new Error(`proxyless ${cliArgs[0]} exited with ${code ?? signal}; ${logFile} ends:\n${tail}`);
      err.interrupted = code === 130 || code === 143 || signal === 'SIGINT' || signal === 'SIGTERM';
      rej(err);
    });
  });
}

// ------------------------------------------------------------------------------------ configs
/** The example's data options for this study: absolute data folder, --validation, the search's --trainLimit. */
const searchData = () => ({ ...example.data, options: { ...example.data.options, fallbackDir: EXAMPLE_DATA, validation: args.validation, limit: { ...example.data.options.limit, train: args.trainLimit } } });
/** full.yaml with seed s and the study's data, shared op table and schedule; `strategy` replaced when given. */
function searchConfig(seed, { strategy, latencyOptions } = {}) {
  const { $schema: _s, output: _o, ...config } = structuredClone(example);
  if (config.strategy.options.budget !== undefined) config.strategy.options.budget = scaled(config.strategy.options.budget);
  config.seed = seed;
  config.data = searchData();
  config.latency = { ...config.latency, options: { ...config.latency.options, cacheFile: LATENCY_CACHE, ...latencyOptions } };
  config.trainer = {
    ...config.trainer,
    options: { ...config.trainer.options, epochs: args.searchEpochs, warmupEpochs: args.warmupEpochs, ...(args.maxBatchesPerEpoch ? { maxBatchesPerEpoch: args.maxBatchesPerEpoch } : {}) },
  };
  if (strategy) config.strategy = strategy;
  return config;
}
const T_EXAMPLE = example.strategy.options.budget;
const SEARCHES = {
  bc: (s) => searchConfig(s),
  nolat: (s) => {
    // no latency term and no budget: every budget-related key goes (the options would not validate with a budget but no use for it)
    const { budget: _b, lambda: _l, dualLr: _d, dualInit: _i, budgetOn: _o, derive: _r, beamWidth: _w, measureDerived: _m, ...rest } = example.strategy.options;
    return searchConfig(s, { strategy: { ...example.strategy, options: { ...rest, latencyLoss: 'none', hardBudget: false } } });
  },
  reinforce: (s) => reinforceSearch(s, { w: args.reinforceW }),
  'reinforce-hard': (s) => reinforceSearch(s, { w: args.reinforceHardW, wUnder: 0 }),
  // reinforce-s's config with the within-budget derive: not searched, its run is derived again (rederive)
  'reinforce-within': (s) => {
    const config = SEARCHES.reinforce(s);
    return { ...config, strategy: { ...config.strategy, options: { ...config.strategy.options, derive: 'within-budget' } } };
  },
  sweep: (s, T) => searchConfig(s, { strategy: { ...example.strategy, options: { ...example.strategy.options, budget: scaled(T) } } }),
};

function reinforceSearch(s, exponents) {
  return searchConfig(s, {
    strategy: {
      use: '@proxyless/strategy-reinforce',
      options: { samples: args.reinforceSamples, lr: args.reinforceLr, reward: { use: 'latency', budget: scaled(T_EXAMPLE), ...exponents, latencySource: args.reinforceLatency } },
    },
    ...(args.reinforceLatency === 'measured' ? { latencyOptions: { minDurationMs: args.reinforceMeasureMs } } : {}),
  });
}

/** Retraining data options (the recipe's), the same for every network of a study. */
const retrainData = () => {
  const options = { ...example.data.options, fallbackDir: EXAMPLE_DATA, validation: args.validation, augment };
  delete options.limit;
  if (args.retrainLimit) options.limit = { train: args.retrainLimit };
  return { ...example.data, options };
};
const trainArgs = (epochs) => ['--epochs', String(epochs), ...RETRAIN_RECIPE.train, ...(args.maxBatchesPerEpoch ? ['--max-batches-per-epoch', String(args.maxBatchesPerEpoch)] : []), ...trainFlags];
/**
 * What makes two retrainings the same (epochs aside): recorded in every job, compared by the summary.
 * The data folder is written relative to the repository (`portable`, which reads older records'
 * absolute folders the same way), so that records kept by --records compare equal from another checkout.
 */
const portable = (r) => (r?.data?.fallbackDir && r.data.fallbackDir.endsWith('examples/fashion-mnist/data') ? { ...r, data: { ...r.data, fallbackDir: 'examples/fashion-mnist/data' } } : r);
const recipe = () => portable({ data: retrainData().options, train: trainArgs(0).slice(2) });

// ------------------------------------------------------------------------------------------ phases
/** The ids of --redo: their searches run again rather than reuse a finished one. */
const redoing = new Set();
/**
 * One search through `proxyless search` into <dir>/search. A search with an identical config that
 * finished in this study (this job's earlier attempt, or another job: sweep-0.75-s and bc-s) is
 * reused with its recorded wall seconds.
 */
async function search(id, config) {
  const dir = join(runsDir, id);
  mkdirSync(dir, { recursive: true });
  // --redo of this job searches again (the code may have changed); its retraining is still reused when the search derives the same network
  for (const other of redoing.has(id) ? [] : [id, ...readdirSync(runsDir)]) {
    const doneFile = join(runsDir, other, 'search-done.json');
    if (!existsSync(doneFile)) continue;
    const done = readJson(doneFile);
    if (!same(done.config, config) || !existsSync(join(done.runDir, 'result.json'))) continue;
    log(`${id}: search: reusing the finished search of ${other} (${done.runDir})`);
    return { runDir: done.runDir, seconds: done.seconds, result: readJson(join(done.runDir, 'result.json')), ...(other === id ? {} : { reusedFrom: other }) };
  }
  const runDir = join(dir, 'search');
  rmSync(join(dir, 'search-done.json'), { force: true });
  rmSync(runDir, { recursive: true, force: true });
  const configFile = join(dir, 'search-config.json');
  writeJson(configFile, config);
  log(`${id}: search (${config.strategy.use.replace('@proxyless/strategy-', '')}, ${config.trainer.options.epochs} epoch${config.trainer.options.epochs === 1 ? '' : 's'}, log ${join(dir, 'search.log')})`);
  const t = Date.now();
  await proxyless(['search', configFile, '--out', runDir], join(dir, 'search.log'));
  const seconds = (Date.now() - t) / 1000;
  writeJson(join(dir, 'search-done.json'), { config, runDir, seconds, date: new Date().toISOString() });
  const result = readJson(join(runDir, 'result.json'));
  log(`${id}: search done in ${seconds.toFixed(0)} s: ${archText(result.architecture)}, model ${fixed(result.latency)} ms${result.measuredLatency !== undefined ? `, measured ${fixed(result.measuredLatency)} ms` : ''}`);
  return { runDir, seconds, result };
}

/**
 * A finished search's run copied to <runs>/<id>/search with strategy `options` set in its
 * config.json, then `proxyless derive`: the same final α, derived by another rule. Reused when done
 * from the same source run and options.
 */
async function rederive(id, from, options) {
  const dir = join(runsDir, id);
  const runDir = join(dir, 'search');
  const doneFile = join(dir, 'rederive-done.json');
  const searched = (result) => ({ runDir, seconds: from.seconds, result, reusedFrom: basename(dirname(from.runDir)) });
  if (existsSync(doneFile)) {
    const done = readJson(doneFile);
    if (done.from === from.runDir && same(done.options, options) && existsSync(join(runDir, RunFiles.architecture))) {
      log(`${id}: derive: reusing ${runDir}`);
      return searched(rederived(runDir));
    }
  }
  rmSync(doneFile, { force: true });
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(from.runDir, runDir, { recursive: true });
  rmSync(join(runDir, RunFiles.architecture), { force: true });
  const config = readJson(join(runDir, 'config.json'));
  writeJson(join(runDir, 'config.json'), { ...config, strategy: { ...config.strategy, options: { ...config.strategy.options, ...options } } });
  log(`${id}: derive of ${from.runDir}'s final α with ${JSON.stringify(options)} (log ${join(dir, 'derive.log')})`);
  await proxyless(['derive', runDir], join(dir, 'derive.log'));
  writeJson(doneFile, { from: from.runDir, options, date: new Date().toISOString() });
  const result = rederived(runDir);
  log(`${id}: derived ${archText(result.architecture)}, model ${fixed(result.latency)} ms`);
  return searched(result);
}
/** The search's result.json with the derive's answer (architecture.json) in place of the search's own. */
function rederived(runDir) {
  const a = readJson(join(runDir, RunFiles.architecture));
  const { measuredLatency: _m, ...result } = readJson(join(runDir, 'result.json'));
  // REINFORCE records no budget of its own: T is its latency reward's
  const T = a.latencyBudget ?? readJson(join(runDir, 'config.json')).strategy.options.reward?.budget;
  return { ...result, architecture: a.architecture, latency: a.latency, ...(T !== undefined ? { latencyBudget: T } : {}), ...(a.measuredLatency !== undefined ? { measuredLatency: a.measuredLatency } : {}) };
}

/** Retrains `architecture` (space options, seed) from scratch with the recipe into <dir>/model; reused when this exact retraining finished before. */
async function retrain(id, dir, { space, seed, architecture }, epochs) {
  mkdirSync(dir, { recursive: true });
  const record = { space: { use: SPACE_USE, options: space }, data: retrainData(), backend: example.backend, seed, architecture, $source: { file: join(dir, 'retrain-architecture.json'), dir } };
  const cliArgs = trainArgs(epochs);
  const doneFile = join(dir, 'retrain-done.json');
  if (existsSync(doneFile)) {
    const done = readJson(doneFile);
    if (same(done.record, record) && same(done.args, cliArgs)) {
      log(`${id}: retrain: reusing the finished retraining in ${done.modelDir}`);
      return done.result;
    }
  }
  rmSync(doneFile, { force: true });
  const archFile = join(dir, 'retrain-architecture.json');
  const modelDir = join(dir, 'model');
  // A model directory of another retraining here (a --redo that derived another network, other epochs)
  // would be refused by `train --resume` (its checkpoint or finished model is not this training's): clear it.
  const startedFile = join(dir, 'retrain-started.json');
  const started = existsSync(startedFile) ? readJson(startedFile) : existsSync(archFile) ? { record: readJson(archFile) } : undefined;
  if (started && existsSync(modelDir) && (!same(started.record, record) || (started.args && !same(started.args, cliArgs)))) {
    log(`${id}: ${modelDir} holds another retraining (${archText(started.record.architecture ?? {})}); it is removed and this one starts afresh`);
    rmSync(modelDir, { recursive: true, force: true });
  }
  writeJson(archFile, record);
  writeJson(startedFile, { record, args: cliArgs });
  log(`${id}: retrain ${epochs} epoch${epochs === 1 ? '' : 's'}: ${archText(architecture)}${space.width ? ` ×${space.width}` : ''} (log ${join(dir, 'train.log')})`);
  const t = Date.now();
  // --resume: a retraining killed part-way (the session ended) continues from its last epoch's checkpoint
  const stdout = await proxyless(['train', archFile, ...cliArgs, '--out', modelDir, '--resume', '--json'], join(dir, 'train.log'), { capture: true });
  let seconds = (Date.now() - t) / 1000;
  let reported;
  try {
    reported = JSON.parse(stdout);
  } catch {
    reported = undefined;
  }
  const metrics = readJson(join(modelDir, 'metrics.json'));
  if (!metrics.test) throw new Error(`${modelDir}/metrics.json has no test evaluation`);
  // resumed: the training's own seconds over all its runs (this process saw only the last part)
  if (metrics.resumedAfterEpoch) seconds = Math.max(seconds, metrics.seconds);
  const result = {
    modelDir,
    epochs,
    seconds,
    trainSeconds: metrics.seconds,
    workers: metrics.workers,
    options: metrics.options,
    trainAccuracy: metrics.train.trainAccuracy,
    validationAccuracy: metrics.train.validationAccuracy,
    testAccuracy: metrics.test.accuracy,
    testCount: metrics.test.count,
    testLoss: metrics.test.loss,
    ...(reported && reported.test?.accuracy !== metrics.test.accuracy ? { note: 'the CLI reported another test accuracy than metrics.json' } : {}),
  };
  writeJson(doneFile, { record, args: cliArgs, modelDir, result, date: new Date().toISOString() });
  log(`${id}: retrained in ${seconds.toFixed(0)} s: validation ${pct(result.validationAccuracy)}, test ${pct(result.testAccuracy)} on ${result.testCount}`);
  return result;
}

const pct = (x, d = 2) => (typeof x === 'number' ? `${(x * 100).toFixed(d)}%` : '–');
const short = (c) => (c === 'zero' ? 'skip' : c.replace(/^(\d)x\d_MBConv(\d)$/, 'k$1e$2'));
const archText = (a) => Object.values(a).map(short).join(' ');

// -------------------------------------------------------------------------------------------- jobs
/** The search part of a job record: derived and argmax architectures with their latencies. */
async function searchRecord(s) {
  const model = await latencyModelOf(s.runDir);
  const r = s.result;
  const argmax = Object.fromEntries(model.mixed.map((m) => {
    const p = r.probabilities[m.label];
    let best = 0;
    p.forEach((v, i) => (v > p[best] ? (best = i) : 0));
    return [m.label, m.candidates[best].name];
  }));
  const derivedModel = model.of(r.architecture);
  if (r.latency !== undefined && Math.abs(derivedModel - r.latency) > 1e-6 * Math.max(1, r.latency)) {
    log(`warning: the search's model latency of its derived network (${r.latency}) differs from the one recomputed here (${derivedModel}): the op table changed?`);
  }
  return {
    runDir: s.runDir,
    ...(s.reusedFrom ? { reusedFrom: s.reusedFrom } : {}),
    architecture: r.architecture,
    latency: {
      unit: r.latencyUnit ?? 'ms',
      budget: r.latencyBudget,
      model: r.latency,
      searchMeasured: r.measuredLatency,
      argmax: { architecture: argmax, model: model.of(argmax), ...(r.latencyBudget !== undefined ? { overBudget: model.of(argmax) > r.latencyBudget } : {}) },
      calibration: model.calibration,
    },
    search: { seconds: s.seconds, epochs: r.epochs, steps: r.steps, searchValidationAccuracy: r.validationAccuracy },
  };
}

async function runJob(job) {
  const { id, kind, seed } = job;
  const dir = join(runsDir, id);
  const ref = await machineReference();
  const base = { id, kind, seed, host: hostname(), recipe: recipe(), budgetScale: { scale: budgetScale, referenceMs: ref.latency, statedFor: args.referenceMs, device: ref.device } };
  // every kind with a search config but the sweep: searched (reinforce-within: derived again from
  // reinforce-s's run), then the derived network retrained
  if (kind in SEARCHES && kind !== 'sweep') {
    let config = SEARCHES[kind](seed);
    let searched;
    if (kind === 'reinforce-within') {
      const from = join(jobsDir, `reinforce-${seed}.json`);
      if (!existsSync(from)) return { skipped: `reinforce-${seed} is not done (its final α is derived again)` };
      const source = readJson(from);
      if (!existsSync(join(source.runDir, 'checkpoint.ckpt'))) return { skipped: `reinforce-${seed}'s search run ${source.runDir} has no checkpoint here (its .tmp was lost; --redo=reinforce-${seed} searches again)` };
      // only the derive changes: T stays the one reinforce-s searched under (the budget scale moves between sessions)
      const derive = { derive: config.strategy.options.derive };
      searched = await rederive(id, { runDir: source.runDir, seconds: source.search.seconds }, derive);
      const s0 = source.config.search;
      config = { ...s0, strategy: { ...s0.strategy, options: { ...s0.strategy.options, ...derive } } };
    } else searched = await search(id, config);
    const s = await searchRecord(searched);
    const space = config.space.options;
    const r = await retrain(id, join(dir, 'retrain'), { space, seed, architecture: s.architecture }, args.retrainEpochs);
    return { ...base, config: { search: config, retrain: { epochs: args.retrainEpochs } }, spaceOptions: space, ...s, ...inspect(space, s.architecture), retrain: r, seconds: { search: s.search.seconds, retrain: r.seconds }, validationAccuracy: r.validationAccuracy, testAccuracy: r.testAccuracy, testCount: r.testCount };
  }
  if (kind === 'sweep') {
    const config = SEARCHES.sweep(seed, job.T);
    const s = await searchRecord(await search(id, config));
    return { ...base, T: job.T, config: { search: config }, spaceOptions: config.space.options, ...s, ...inspect(config.space.options, s.architecture), seconds: { search: s.search.seconds } };
  }
  if (kind === 'baseline') {
    // The space's own width multiplier: it scales the custom stages of full.yaml too (first conv,
    // first block and every stage width × w, rounded to multiples of 8, at least 8; the feature mix
    // only for w > 1, as in ProxylessNAS).
    const space = spaceOptions(job.width);
    const architecture = Object.fromEntries(spaceOf(space).labels.map((l) => [l, '3x3_MBConv6']));
    const r = await retrain(id, join(dir, 'retrain'), { space, seed, architecture }, args.retrainEpochs);
    return { ...base, width: job.width, config: { retrain: { epochs: args.retrainEpochs } }, spaceOptions: space, architecture, ...inspect(space, architecture), retrain: r, seconds: { retrain: r.seconds }, validationAccuracy: r.validationAccuracy, testAccuracy: r.testAccuracy, testCount: r.testCount };
  }
  if (kind === 'random') {
    const bcFile = join(jobsDir, `bc-${seed}.json`);
    if (!existsSync(bcFile)) return { skipped: `bc-${seed} is not done (random search is priced on its latency model and its cost)` };
    const bc = readJson(bcFile);
    if (!bc.runDir || !existsSync(join(bc.runDir, 'config.json'))) return { skipped: `bc-${seed}'s record has no search run to price on (${bc.transcribed ? 'transcribed: its run was lost' : bc.runDir ?? 'no runDir'})` };
    const T = bc.latency.budget;
    const model = await latencyModelOf(bc.runDir);
    const rng = new Rng(`random-search:${seed}`);
    const picked = [];
    let drawn = 0;
    while (picked.length < args.randomK && drawn < 100_000) {
      drawn++;
      const a = Object.fromEntries(model.mixed.map((m) => [m.label, m.candidates[rng.int(m.candidates.length)].name]));
      if (model.of(a) <= T && !picked.some((p) => same(p, a))) picked.push(a);
    }
    if (picked.length === 0) throw new Error(`no architecture of ${drawn} drawn uniformly fits T = ${T} ms under bc-${seed}'s latency model`);
    const budgetSeconds = bc.seconds.search + bc.seconds.retrain;
    const secondsPerEpoch = bc.seconds.retrain / bc.retrain.epochs;
    const epochs = args.randomEpochs || Math.max(1, Math.round(budgetSeconds / (picked.length * secondsPerEpoch)));
    log(`${id}: ${picked.length} of ${drawn} uniform draws fit T = ${T} ms (${((picked.length / drawn) * 100).toFixed(0)}%); budget ${budgetSeconds.toFixed(0)} s (bc-${seed} search + retrain) / (${picked.length} × ${secondsPerEpoch.toFixed(1)} s per epoch) → ${epochs} epoch${epochs === 1 ? '' : 's'} each`);
    const space = spaceOptions(1);
    const candidates = [];
    for (const [i, architecture] of picked.entries()) {
      const r = await retrain(`${id}/${i}`, join(dir, `net-${i}`), { space, seed, architecture }, epochs);
      candidates.push({ architecture, modelLatency: model.of(architecture), ...inspect(space, architecture), retrain: r, validationAccuracy: r.validationAccuracy, testAccuracy: r.testAccuracy, testCount: r.testCount });
    }
    let best = 0;
    candidates.forEach((c, i) => (c.validationAccuracy > candidates[best].validationAccuracy ? (best = i) : 0));
    const b = candidates[best];
    const realized = candidates.reduce((s, c) => s + c.retrain.seconds, 0);
    log(`${id}: best on validation: #${best} (${pct(b.validationAccuracy)} validation, ${pct(b.testAccuracy)} test); ${realized.toFixed(0)} s spent of a ${budgetSeconds.toFixed(0)} s budget`);
    return {
      ...base,
      config: { random: { k: args.randomK, epochs, rule: args.randomEpochs ? '--randomEpochs' : 'max(1, round(budget / (k · bc retrain seconds per epoch)))', rng: `random-search:${seed}`, pricedBy: `bc-${seed} latency model (op table + calibration)` } },
      spaceOptions: space,
      architecture: b.architecture,
      latency: { unit: 'ms', budget: T, model: b.modelLatency, calibration: model.calibration },
      params: b.params,
      macs: b.macs,
      random: { drawn, fit: picked.length, selected: best, budgetSeconds, secondsPerEpoch, epochs, realizedSeconds: realized, bcJob: `bc-${seed}`, candidates },
      seconds: { retrain: realized },
      validationAccuracy: b.validationAccuracy,
      testAccuracy: b.testAccuracy,
      testCount: b.testCount,
    };
  }
  throw new Error(`unknown kind ${kind}`);
}

// ----------------------------------------------------------------------------------- --records
/** What random search and the summary read from a search's run directory, besides the job record. */
const SEARCH_FILES = ['config.json', LATENCY_CALIBRATION_FILE];
const recordFiles = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.failed.json') && f !== basename(LATENCY_CACHE)) : []);

/**
 * --records=<dir>: a folder to commit, so that a study of many sessions survives a lost <out> (a new
 * checkout has no .tmp). It holds each finished job's record, its search run's config and latency
 * calibration (<id>.search/), and the study's op table: everything random search and the summary
 * read, none of the models (they stay in <out>). Records already in <dir> are kept as they are.
 */
function keepRecord(record) {
  if (!recordsDir) return;
  mkdirSync(recordsDir, { recursive: true });
  writeJson(join(recordsDir, `${record.id}.json`), record);
  if (record.runDir && existsSync(join(record.runDir, 'config.json'))) {
    const dir = join(recordsDir, `${record.id}.search`);
    mkdirSync(dir, { recursive: true });
    for (const f of SEARCH_FILES) if (existsSync(join(record.runDir, f))) copyFileSync(join(record.runDir, f), join(dir, f));
  }
  if (existsSync(LATENCY_CACHE)) copyFileSync(LATENCY_CACHE, join(recordsDir, basename(LATENCY_CACHE)));
}

/**
 * --records, at start: records in <dir> that <out> lacks come back into <out>/jobs (a record whose
 * search run is gone points to a restored copy of the run's config and calibration under
 * <out>/runs/<id>/search), and the op table when <out> has none; records in <out> that <dir> lacks are
 * kept there.
 */
function syncRecords() {
  if (!recordsDir) return;
  mkdirSync(jobsDir, { recursive: true });
  mkdirSync(runsDir, { recursive: true });
  const cache = join(recordsDir, basename(LATENCY_CACHE));
  if (!existsSync(LATENCY_CACHE) && existsSync(cache)) {
    copyFileSync(cache, LATENCY_CACHE);
    log(`op table restored from ${cache}`);
  }
  const restored = [];
  for (const f of recordFiles(recordsDir)) {
    if (existsSync(join(jobsDir, f))) continue;
    const record = readJson(join(recordsDir, f));
    const kept = join(recordsDir, `${record.id}.search`);
    if (record.runDir && !existsSync(join(record.runDir, 'config.json')) && existsSync(kept)) {
      record.runDir = join(runsDir, record.id, 'search');
      mkdirSync(record.runDir, { recursive: true });
      for (const file of SEARCH_FILES) if (existsSync(join(kept, file))) copyFileSync(join(kept, file), join(record.runDir, file));
    }
    writeJson(join(jobsDir, f), record);
    restored.push(record.id);
  }
  if (restored.length) log(`restored ${restored.length} job record(s) from ${recordsDir}: ${restored.join(', ')}`);
  const kept = recordFiles(jobsDir).filter((f) => !existsSync(join(recordsDir, f)));
  for (const f of kept) keepRecord(readJson(join(jobsDir, f)));
  if (kept.length) log(`kept ${kept.length} job record(s) in ${recordsDir}: ${kept.map((f) => f.slice(0, -5)).join(', ')}`);
}

function plan() {
  const jobs = [];
  for (const seed of args.seeds) {
    for (const kind of KINDS) {
      if (!kinds.has(kind)) continue;
      if (kind === 'baseline') for (const width of args.widths) jobs.push({ id: `baseline-${width}-${seed}`, kind, seed, width });
      else if (kind === 'sweep') for (const T of args.budgets) jobs.push({ id: `sweep-${T}-${seed}`, kind, seed, T });
      else jobs.push({ id: `${kind}-${seed}`, kind, seed });
    }
  }
  return jobs;
}

async function runAll() {
  mkdirSync(jobsDir, { recursive: true });
  mkdirSync(runsDir, { recursive: true });
  const lockFile = join(out, 'runner.lock');
  if (existsSync(lockFile)) {
    const pid = Number(readFileSync(lockFile, 'utf8'));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
    if (alive && pid !== process.pid) fail(`${out} is in use by process ${pid} (${lockFile}); one runner per folder`);
  }
  writeFileSync(lockFile, String(process.pid));
  process.on('exit', () => rmSync(lockFile, { force: true }));
  syncRecords();
  await settleBudgetScale();
  const redo = new Set(args.redo.split(',').map((s) => s.trim()).filter(Boolean));
  const jobs = plan();
  const doneFile = (id) => join(jobsDir, `${id}.json`);
  for (const j of jobs) if (redo.has(j.id) || redo.has(j.kind)) redoing.add(j.id);
  const todo = jobs.filter((j) => !existsSync(doneFile(j.id)) || redoing.has(j.id));
  log(`${jobs.length} jobs planned in ${out}: ${jobs.length - todo.length} done, ${todo.length} to run (${todo.map((j) => j.id).join(', ') || 'none'})`);
  if (args.dryRun) {
    for (const job of todo) {
      if (!(job.kind in SEARCHES)) continue;
      const file = join(runsDir, job.id, 'dry-run-config.json');
      mkdirSync(dirname(file), { recursive: true });
      writeJson(file, job.kind === 'sweep' ? SEARCHES.sweep(job.seed, job.T) : SEARCHES[job.kind](job.seed));
      await proxyless(['validate', file], join(runsDir, job.id, 'dry-run.log'));
      log(`${job.id}: search config valid (${file})`);
    }
    return;
  }
  const counts = { done: 0, failed: 0, skipped: 0 };
  for (const job of jobs) {
    if (stopping) break;
    if (!todo.includes(job)) {
      const prior = readJson(doneFile(job.id));
      if (!same(portable(prior.recipe), recipe())) log(`${job.id}: done earlier with another retraining recipe (${JSON.stringify(prior.recipe)}); kept (--redo=${job.id} to run it again)`);
      continue;
    }
    const t = Date.now();
    log(`── ${job.id} (${todo.indexOf(job) + 1}/${todo.length})`);
    // a job run again is not done until it is done again (a random search must not price its budget on the old record)
    if (redoing.has(job.id) && existsSync(doneFile(job.id))) renameSync(doneFile(job.id), join(jobsDir, `${job.id}.json.before-redo`));
    try {
      const record = await runJob(job);
      if (record.skipped) {
        log(`${job.id}: skipped: ${record.skipped}`);
        counts.skipped++;
        continue;
      }
      const seconds = (Date.now() - t) / 1000;
      const done = { ...record, date: new Date().toISOString(), seconds: { ...record.seconds, job: seconds } };
      writeJson(doneFile(job.id), done);
      keepRecord(done);
      rmSync(join(jobsDir, `${job.id}.failed.json`), { force: true });
      counts.done++;
      log(`${job.id}: done in ${seconds.toFixed(0)} s → ${doneFile(job.id)}`);
    } catch (err) {
      if (err.interrupted || stopping) {
        log(`${job.id}: interrupted (${err.message.split('\n')[0]}); not recorded`);
        stopping = true;
        break;
      }
      counts.failed++;
      writeJson(join(jobsDir, `${job.id}.failed.json`), { id: job.id, kind: job.kind, seed: job.seed, error: err.message, stack: err.stack, date: new Date().toISOString(), seconds: (Date.now() - t) / 1000 });
      log(`${job.id}: FAILED: ${err.message}`);
    }
  }
  log(`${stopping ? 'stopped' : 'finished'}: ${counts.done} done, ${counts.failed} failed, ${counts.skipped} skipped this time; summary: node bench/search-quality.mjs --summary --out=${args.out}`);
  if (stopping) process.exit(130);
  if (counts.failed) process.exitCode = 1;
}

// ------------------------------------------------------------------------------------------ summary
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => (xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pm = (xs, f) => (xs.length === 0 ? '–' : xs.length === 1 ? `${f(xs[0])} (n = 1)` : `${f(mean(xs))} ± ${f(sd(xs))}`);
const pp = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} pp` : '–');
const accPct = (x) => (x * 100).toFixed(2);

/** Linear interpolation of y at x over points sorted by x; undefined outside their range. */
function interpolate(points, x) {
  const p = [...points].sort((a, b) => a.x - b.x);
  if (p.length === 0 || x < p[0].x || x > p.at(-1).x) return undefined;
  if (p.length === 1) return p[0].y;
  for (let i = 0; i + 1 < p.length; i++) {
    const [a, b] = [p[i], p[i + 1]];
    if (x >= a.x && x <= b.x) return b.x === a.x ? (a.y + b.y) / 2 : a.y + ((x - a.x) / (b.x - a.x)) * (b.y - a.y);
  }
  return undefined;
}

const COLORS = { bc: '#d62728', nolat: '#ff7f0e', reinforce: '#9467bd', 'reinforce-hard': '#8c564b', 'reinforce-within': '#e377c2', random: '#2ca02c', 'random (not selected)': '#2ca02c', baseline: '#1f77b4' };

/** A static scatter (SVG) of test accuracy vs latency: markers per group, the baseline mean as a line. */
function scatterSvg(series, { title, xLabel, yLabel, vLines = [] }) {
  const W = 760;
  const H = 480;
  const m = { l: 64, r: 200, t: 36, b: 52 };
  const pts = series.flatMap((s) => s.points);
  if (pts.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="120"><text x="20" y="60">${title}: no data</text></svg>\n`;
  const xs = [...pts.map((p) => p[0]), ...vLines.map((v) => v.value)];
  const ys = pts.map((p) => p[1]);
  const pad = (lo, hi) => {
    const d = hi - lo || Math.abs(hi) * 0.1 || 1;
    return [lo - d * 0.08, hi + d * 0.08];
  };
  const [x0, x1] = pad(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
  const X = (x) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (y) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const ticks = (lo, hi) => {
    const step = 10 ** Math.floor(Math.log10((hi - lo) / 5));
    const s = [1, 2, 5, 10].map((k) => k * step).find((v) => (hi - lo) / v <= 7) ?? step * 10;
    const out = [];
    for (let v = Math.ceil(lo / s) * s; v <= hi; v += s) out.push(+v.toPrecision(10));
    return out;
  };
  const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const shape = (kind, x, y, c) => {
    const r = 5;
    if (kind === 'square') return `<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${2 * r}" fill="${c}"/>`;
    if (kind === 'triangle') return `<path d="M${x},${y - r - 1}L${x + r + 1},${y + r}L${x - r - 1},${y + r}Z" fill="${c}"/>`;
    if (kind === 'diamond') return `<path d="M${x},${y - r - 1}L${x + r + 1},${y}L${x},${y + r + 1}L${x - r - 1},${y}Z" fill="${c}"/>`;
    if (kind === 'ring') return `<circle cx="${x}" cy="${y}" r="${r - 1}" fill="none" stroke="${c}" stroke-width="1.5"/>`;
    return `<circle cx="${x}" cy="${y}" r="${r}" fill="${c}"/>`;
  };
  const o = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="#fff"/>`, `<text x="${m.l}" y="22" font-size="15" font-weight="600">${esc(title)}</text>`];
  for (const v of ticks(x0, x1)) o.push(`<line x1="${X(v)}" y1="${m.t}" x2="${X(v)}" y2="${H - m.b}" stroke="#eee"/><text x="${X(v)}" y="${H - m.b + 16}" text-anchor="middle" fill="#444">${v}</text>`);
  for (const v of ticks(y0, y1)) o.push(`<line x1="${m.l}" y1="${Y(v)}" x2="${W - m.r}" y2="${Y(v)}" stroke="#eee"/><text x="${m.l - 6}" y="${Y(v) + 4}" text-anchor="end" fill="#444">${v}</text>`);
  o.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`);
  o.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  o.push(`<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  for (const v of vLines) o.push(`<line x1="${X(v.value)}" y1="${m.t}" x2="${X(v.value)}" y2="${H - m.b}" stroke="#777" stroke-dasharray="5 4"/><text x="${X(v.value) + 4}" y="${m.t + 14}" fill="#555">${esc(v.label)}</text>`);
  series.forEach((s, i) => {
    if (s.line) o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${[...s.points].sort((a, b) => a[0] - b[0]).map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of s.points) o.push(shape(s.marker, X(x), Y(y), s.color).replace('/>', ` opacity="${s.opacity ?? 1}"/>`));
    const ly = m.t + 10 + i * 20;
    o.push(`${shape(s.marker, W - m.r + 18, ly, s.color).replace('/>', ` opacity="${s.opacity ?? 1}"/>`)}${s.line ? `<line x1="${W - m.r + 8}" y1="${ly}" x2="${W - m.r + 28}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>` : ''}<text x="${W - m.r + 34}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}

async function summary() {
  syncRecords();
  if (!existsSync(jobsDir)) fail(`${jobsDir}: no jobs yet (run the jobs first)`);
  const files = readdirSync(jobsDir).filter((f) => f.endsWith('.json'));
  const done = files.filter((f) => !f.endsWith('.failed.json')).map((f) => readJson(join(jobsDir, f)));
  const failed = files.filter((f) => f.endsWith('.failed.json')).map((f) => readJson(join(jobsDir, f)));
  const byId = new Map(done.map((j) => [j.id, j]));
  const missing = plan().filter((j) => !byId.has(j.id)).map((j) => j.id);
  log(`${done.length} jobs done, ${failed.length} failed, ${missing.length} of the plan missing`);

  // ---- re-time every distinct network whole (batch 1, wasm) against one reference, interleaved rounds
  await ensureWasm();
  const nets = new Map(); // key → { space options, architecture }
  const keyOf = (space, arch) => JSON.stringify([space, arch]);
  const addNet = (space, arch) => {
    const k = keyOf(space, arch);
    if (!nets.has(k)) nets.set(k, { space, arch });
    return k;
  };
  for (const j of done) {
    if (j.kind === 'random') for (const c of j.random.candidates) addNet(j.spaceOptions, c.architecture);
    else addNet(j.spaceOptions, j.architecture);
    if (j.latency?.argmax?.architecture) addNet(j.spaceOptions, j.latency.argmax.architecture);
  }
  const provider = new MeasuredLatencyProvider({ warmup: 10, minRuns: 50, minDurationMs: args.timingMs });
  const refSpace = spaceOf(spaceOptions(1));
  // the reference network the searches time against, at the quiet latency searches pinned on this
  // machine (the op table's cache; timed and remembered here when this machine has none). Records may
  // come from other machines: everything is re-timed here, and budgets are scaled to this machine.
  await settleBudgetScale();
  const pinned = await machineReference();
  const refArch = pinned.architecture;
  const built = [...nets.entries()].map(([k, n]) => [k, spaceOf(n.space).buildCompact(n.arch, new Rng(`search-quality:${k}`))]);
  const reference = refSpace.buildCompact(refArch, new Rng('search-quality:reference'));
  const time = (net) => provider.measureNetwork(net, INPUT);
  const timer = relativeTimer(time, reference, { referenceLatency: pinned.latency, pinned: true });
  const latencyOf = new Map();
  if (built.length) {
    log(`re-timing ${built.length} networks whole at batch 1 on wasm: ${args.rounds} interleaved rounds against a reference (≥ ${args.timingMs} ms per timing)`);
    await time(reference); // burn-in
    for (const [, net] of built) await time(net);
    const ms = await timer.measure(built.map(([, n]) => n), args.rounds);
    built.forEach(([k], i) => latencyOf.set(k, ms[i]));
  }
  for (const net of [...built.map(([, n]) => n), reference]) for (const v of net.variables()) v.variable.dispose();
  const refs = timer.referenceTimings;
  const measured = (space, arch) => latencyOf.get(keyOf(space, arch));

  // ---- the retrained networks by group
  const rows = [];
  for (const j of done) {
    if (j.kind === 'sweep') continue;
    const group = j.kind === 'baseline' ? `baseline-${j.width}` : j.kind;
    rows.push({ group, kind: j.kind, id: j.id, seed: j.seed, width: j.width, test: j.testAccuracy, val: j.validationAccuracy, latency: measured(j.spaceOptions, j.architecture), params: j.params, macs: j.macs, architecture: j.architecture, epochs: j.retrain?.epochs ?? j.random?.epochs, seconds: j.seconds });
    if (j.kind === 'random') {
      j.random.candidates.forEach((c, i) => {
        if (i !== j.random.selected) rows.push({ group: 'random (not selected)', kind: 'random-other', id: `${j.id}/${i}`, seed: j.seed, test: c.testAccuracy, val: c.validationAccuracy, latency: measured(j.spaceOptions, c.architecture), params: c.params, macs: c.macs, architecture: c.architecture, epochs: j.random.epochs });
      });
    }
  }
  const groupNames = ['bc', 'nolat', 'reinforce', 'reinforce-hard', 'reinforce-within', 'random', ...[...new Set(rows.filter((r) => r.kind === 'baseline').map((r) => r.width))].sort((a, b) => a - b).map((w) => `baseline-${w}`)];
  const groups = groupNames.map((g) => {
    const rs = rows.filter((r) => r.group === g);
    const stat = (f) => {
      const v = rs.map(f).filter(Number.isFinite);
      return { n: v.length, mean: v.length ? mean(v) : null, sd: v.length > 1 ? sd(v) : null };
    };
    return { group: g, seeds: rs.map((r) => r.seed), test: stat((r) => r.test), validation: stat((r) => r.val), latencyMs: stat((r) => r.latency), params: stat((r) => r.params), rows: rs };
  });

  // ---- paired differences by seed (test accuracy; SE = sd of the differences / √n)
  const seedsWith = (kind) => new Map(rows.filter((r) => r.kind === kind).map((r) => [r.seed, r]));
  const paired = (name, other, first = 'bc') => {
    const diffs = [];
    const notes = [];
    for (const [seed, bc] of [...seedsWith(first)].sort((a, b) => a[0] - b[0])) {
      const o = other(seed, bc);
      if (o.value === undefined) {
        if (o.note) notes.push(`seed ${seed}: ${o.note}`);
        continue;
      }
      diffs.push({ seed, bc: bc.test, other: o.value, diff: bc.test - o.value, latencyDiff: o.latency !== undefined ? bc.latency - o.latency : undefined });
    }
    const d = diffs.map((x) => x.diff);
    const se = d.length >= 2 ? sd(d) / Math.sqrt(d.length) : NaN;
    const m = d.length ? mean(d) : NaN;
    return { name, n: d.length, meanDiff: m, se, exceeds2SE: Number.isFinite(se) ? Math.abs(m) > 2 * se : null, pairs: diffs, notes };
  };
  const bySeed = (kind) => {
    const m = seedsWith(kind);
    return (seed) => {
      const r = m.get(seed);
      return r ? { value: r.test, latency: r.latency } : { note: `no ${kind}-${seed}` };
    };
  };
  const baselineCurve = (seed, bc) => {
    const pts = rows.filter((r) => r.kind === 'baseline' && r.seed === seed && Number.isFinite(r.latency)).map((r) => ({ x: r.latency, y: r.test }));
    if (pts.length < 2) return { note: `${pts.length} baseline width(s) done for this seed (the curve needs 2)` };
    if (!Number.isFinite(bc.latency)) return { note: `${bc.kind} not re-timed` };
    const y = interpolate(pts, bc.latency);
    const lo = Math.min(...pts.map((p) => p.x));
    const hi = Math.max(...pts.map((p) => p.x));
    if (y === undefined) return { note: `${bc.kind}'s latency ${bc.latency.toFixed(3)} ms is outside the baseline range ${lo.toFixed(3)}–${hi.toFixed(3)} ms (not extrapolated)` };
    return { value: y, latency: bc.latency };
  };
  const comparisons = [
    paired('bc − baseline curve at equal measured latency', baselineCurve),
    paired('bc − random (best of k on validation)', bySeed('random')),
    paired('bc − reinforce', bySeed('reinforce')),
    paired('bc − reinforce-hard', bySeed('reinforce-hard')),
    // the same final α of REINFORCE, derived by BinaryConnect's rule: bc − reinforce-within is the estimator's part
    paired('bc − reinforce-within', bySeed('reinforce-within')),
    paired('reinforce-within − reinforce (the derive rule alone)', bySeed('reinforce'), 'reinforce-within'),
    paired('bc − nolat', bySeed('nolat')),
    // the other searches against the curve at their own latency (where the curve reaches it)
    ...['nolat', 'reinforce', 'reinforce-hard', 'reinforce-within'].map((k) => paired(`${k} − baseline curve at equal measured latency`, baselineCurve, k)),
  ];

  // ---- the budget sweep
  const sweep = done
    .filter((j) => j.kind === 'sweep')
    .sort((a, b) => a.T - b.T || a.seed - b.seed)
    .map((j) => {
      const m = measured(j.spaceOptions, j.architecture);
      // T as this machine's ms (the re-timing's unit); the search's own model and check are in its machine's (its budget)
      const Th = scaled(j.T);
      const off = Number.isFinite(m) ? (m - Th) / Th : NaN;
      return { id: j.id, T: j.T, There: Th, searchBudget: j.latency.budget, seed: j.seed, architecture: j.architecture, retimed: m, offPct: off * 100, within5: Math.abs(off) <= 0.05, underT: m <= Th, model: j.latency.model, searchMeasured: j.latency.searchMeasured, argmaxModel: j.latency.argmax?.model, argmaxRetimed: j.latency.argmax?.architecture ? measured(j.spaceOptions, j.latency.argmax.architecture) : undefined, binds: j.latency.argmax ? j.latency.argmax.model > j.latency.budget : undefined, reusedFrom: j.reusedFrom };
    });

  // ---- settings check: every retraining of the study should share one recipe
  const recipes = [...new Set(done.filter((j) => j.kind !== 'sweep').map((j) => JSON.stringify(portable(j.recipe))))];
  const epochsOf = [...new Set(done.filter((j) => j.kind !== 'sweep' && j.kind !== 'random').map((j) => j.retrain?.epochs))];

  // ---- markdown
  const md = [];
  md.push(`# Search quality: ${done.length} jobs\n`);
  md.push(`\`node bench/search-quality.mjs ${process.argv.slice(2).join(' ')}\` — ${new Date().toISOString()}, ${hostname()}.`);
  md.push(`Latency: every network re-timed whole at batch 1 on wasm (${pinned.device}), ${args.rounds} interleaved round(s) against the searches' reference network, median ratio × its quiet latency on this machine, ${fixed(timer.referenceLatency, 4)} ms (its timings: ${refs.length ? `${Math.min(...refs).toFixed(3)}–${Math.max(...refs).toFixed(3)} ms over ${refs.length}, the machine's load` : 'none'}). Budgets scaled to this machine: × ${budgetScale.toFixed(3)} (T = ${T_EXAMPLE} ms as stated → ${scaled(T_EXAMPLE)} ms).`);
  md.push(`Retraining: ${epochsOf.length === 1 ? `${epochsOf[0]} epoch${epochsOf[0] === 1 ? '' : 's'}` : `epochs ${epochsOf.join(', ')} (**differ across jobs**)`}, ${recipes.length === 1 ? `\`${JSON.parse(recipes[0]).train.join(' ')}\`, data ${JSON.stringify(JSON.parse(recipes[0]).data)}` : `**${recipes.length} different recipes across jobs**`}.`);
  if (missing.length) md.push(`\n**Missing** (planned by --seeds/--jobs/--widths/--budgets, not done): ${missing.join(', ')}.`);
  if (failed.length) md.push(`\n**Failed** (rerun the runner to retry): ${failed.map((f) => `${f.id} (${f.error.split('\n')[0].slice(0, 140)})`).join('; ')}.`);
  md.push('\n## Groups (mean ± sd over seeds)\n');
  md.push('| group | seeds | test acc. (%) | val. acc. (%) | measured latency (ms) | params |\n|---|---|---|---|---|---|');
  for (const g of groups) {
    const v = (f) => g.rows.map(f).filter(Number.isFinite);
    md.push(`| ${g.group} | ${g.seeds.join(', ') || '–'} | ${pm(v((r) => r.test), accPct)} | ${pm(v((r) => r.val), accPct)} | ${pm(v((r) => r.latency), (x) => x.toFixed(3))} | ${pm(v((r) => r.params), (x) => Math.round(x).toLocaleString('en-US'))} |`);
  }
  md.push('\nEach distinct network is timed once: a network identical across seeds (a baseline width) has latency sd 0.');
  md.push('\n## Paired differences by seed (test accuracy)\n');
  md.push('SE = sd of the per-seed differences / √n (needs n ≥ 2). A difference is called real when |mean| > 2 SE.\n');
  md.push('| comparison | n | per seed | mean | SE | > 2 SE? |\n|---|---|---|---|---|---|');
  for (const c of comparisons) {
    md.push(`| ${c.name} | ${c.n} | ${c.pairs.map((p) => `s${p.seed}: ${pp(p.diff)}`).join(', ') || '–'} | ${pp(c.meanDiff)} | ${Number.isFinite(c.se) ? pp(c.se).replace('+', '') : 'n < 2'} | ${c.exceeds2SE === null ? '–' : c.exceeds2SE ? '**yes**' : 'no'} |`);
  }
  const notes = comparisons.flatMap((c) => c.notes.map((n) => `${c.name}: ${n}`));
  if (notes.length) md.push(`\n${notes.map((n) => `- ${n}`).join('\n')}`);
  md.push('\n## Budget sweep (search only)\n');
  md.push(`T is stated for a machine whose reference network times ${args.referenceMs} ms; each search ran with it scaled to its machine (its budget), and the re-timing compares with it scaled to this one (× ${budgetScale.toFixed(3)}).\n`);
  md.push('| T stated (ms) | seed | search\'s budget: derived model / search\'s check (ms) | T here / re-timed (ms) | vs T | within ±5%? | argmax: model / re-timed (ms) | budget binds (argmax > T)? | derived |\n|---|---|---|---|---|---|---|---|---|');
  for (const r of sweep) {
    md.push(`| ${r.T} | ${r.seed} | ${fixed(r.searchBudget)}: ${fixed(r.model)} / ${fixed(r.searchMeasured)} | ${fixed(r.There)} / **${fixed(r.retimed)}** | ${Number.isFinite(r.offPct) ? `${r.offPct >= 0 ? '+' : ''}${r.offPct.toFixed(1)}%` : '–'} | ${r.within5 ? 'yes' : 'no'} | ${fixed(r.argmaxModel)} / ${fixed(r.argmaxRetimed)} | ${r.binds === undefined ? '–' : r.binds ? 'yes' : 'no'} | ${archText(r.architecture)}${r.reusedFrom ? ` (search of ${r.reusedFrom})` : ''} |`);
  }
  const Ts = [...new Set(sweep.map((r) => r.T))];
  if (Ts.length) md.push(`\nWithin ±5% of T: ${Ts.map((T) => `T ${T}: ${sweep.filter((r) => r.T === T && r.within5).length}/${sweep.filter((r) => r.T === T).length}`).join(', ')}; at or under T: ${sweep.filter((r) => r.underT).length}/${sweep.length}.`);
  md.push('\n## Networks\n');
  md.push('| job | group | seed | test acc. (%) | val. acc. (%) | measured (ms) | params | epochs | blocks |\n|---|---|---|---|---|---|---|---|---|');
  for (const r of [...rows].sort((a, b) => a.seed - b.seed || a.group.localeCompare(b.group))) {
    md.push(`| ${r.id} | ${r.group} | ${r.seed} | ${accPct(r.test)} | ${accPct(r.val)} | ${fixed(r.latency)} | ${r.params?.toLocaleString('en-US') ?? '–'} | ${r.epochs ?? '–'} | ${archText(r.architecture)} |`);
  }
  const randomJobs = done.filter((j) => j.kind === 'random');
  if (randomJobs.length) {
    md.push(`\nRandom search cost: ${randomJobs.map((j) => `${j.id}: ${j.random.fit} of ${j.random.drawn} draws fit T, ${j.random.epochs} epoch(s) each, ${j.random.realizedSeconds.toFixed(0)} s spent of a ${j.random.budgetSeconds.toFixed(0)} s budget (${j.random.bcJob}'s search + retraining)`).join('; ')}.`);
  }
  const markdown = `${md.join('\n')}\n`;

  // ---- plot: accuracy vs measured latency (static SVG, and an interactive page with the report's charts)
  const plotted = (group) => rows.filter((r) => r.group.startsWith(group) && Number.isFinite(r.latency) && Number.isFinite(r.test));
  const widths = [...new Set(rows.filter((r) => r.kind === 'baseline').map((r) => r.width))].sort((a, b) => a - b);
  const curve = widths
    .map((w) => {
      const rs = plotted('baseline').filter((r) => r.width === w);
      return rs.length ? { w, x: mean(rs.map((r) => r.latency)), y: mean(rs.map((r) => r.test)) } : undefined;
    })
    .filter(Boolean);
  const series = [
    { name: 'baseline (each seed)', color: COLORS.baseline, marker: 'ring', points: plotted('baseline').map((r) => [r.latency, r.test * 100]), labels: plotted('baseline').map((r) => `×${r.width} s${r.seed}`) },
    { name: 'baseline mean over seeds', color: COLORS.baseline, marker: 'circle', line: true, points: curve.map((c) => [c.x, c.y * 100]), labels: curve.map((c) => `×${c.w}`) },
    ...['bc', 'nolat', 'reinforce', 'reinforce-hard', 'reinforce-within', 'random', 'random (not selected)'].map((g, i) => {
      const rs = rows.filter((r) => r.group === g && Number.isFinite(r.latency) && Number.isFinite(r.test));
      return { name: g, color: COLORS[g], marker: ['circle', 'square', 'triangle', 'triangle', 'triangle', 'diamond', 'diamond'][i], opacity: g === 'random (not selected)' ? 0.3 : 1, points: rs.map((r) => [r.latency, r.test * 100]), labels: rs.map((r) => `s${r.seed}`) };
    }),
  ].filter((s) => s.points.length);
  const title = 'Fashion-MNIST test accuracy vs latency measured whole (wasm, batch 1)';
  const vLines = done.some((j) => j.kind === 'bc') ? [{ value: scaled(T_EXAMPLE), label: `T = ${scaled(T_EXAMPLE)} ms here`, color: '#777777', dash: [5, 4] }] : [];
  writeFileSync(join(out, 'accuracy-vs-latency.svg'), scatterSvg(series, { title, xLabel: 'measured latency (ms)', yLabel: 'test accuracy (%)', vLines }));
  try {
    const { chartPage } = await import('@proxyless/report');
    const html = chartPage({
      title,
      note: `${done.length} jobs of ${out}; every retrained network, the baseline mean over seeds as a line.`,
      charts: [{ id: 'acc-vs-latency', title, xLabel: 'measured latency (ms)', yLabel: 'test accuracy (%)', height: 420, vLines, series: series.map((s) => ({ name: s.name, color: s.color, points: s.points, style: s.line ? 'line+markers' : 'markers', ...(s.opacity ? { opacity: s.opacity } : {}), labels: s.labels, showLabels: false })) }],
    });
    writeFileSync(join(out, 'accuracy-vs-latency.html'), html);
  } catch (err) {
    log(`accuracy-vs-latency.html not written: ${err.message}`);
  }
  writeJson(join(out, 'summary.json'), {
    command: `node bench/search-quality.mjs ${process.argv.slice(2).join(' ')}`,
    date: new Date().toISOString(),
    host: hostname(),
    jobs: { done: done.map((j) => j.id), failed: failed.map((f) => ({ id: f.id, error: f.error })), missing },
    timing: { rounds: args.rounds, minDurationMs: args.timingMs, device: pinned.device, reference: refArch, referenceLatency: timer.referenceLatency, budgetScale, referenceMsStated: args.referenceMs, referenceTimings: refs, networks: [...nets.entries()].map(([k, n]) => ({ space: n.space, architecture: n.arch, latencyMs: latencyOf.get(k) })) },
    recipes: recipes.map((r) => JSON.parse(r)),
    groups,
    comparisons,
    sweep,
    baselineCurve: curve,
  });
  writeFileSync(join(out, 'summary.md'), markdown);
  // beside the records it summarizes (not summary.json: every .json there is read as a job record)
  if (recordsDir) for (const f of ['summary.md', 'accuracy-vs-latency.svg']) copyFileSync(join(out, f), join(recordsDir, f));
  console.log(markdown);
  log(`wrote ${join(out, 'summary.md')}, summary.json, accuracy-vs-latency.svg and .html`);
}

if (args.summary) await summary();
else await runAll();
