#!/usr/bin/env node
// The default example: search → derive → train the derived network from scratch → evaluate on the
// test set → export a TF.js LayersModel → measure its latency → report.
// Usage: node examples/fashion-mnist/run.mjs [quick|full]   (npm run example [-- full])
//
// The search, derive, train, eval and report steps run the real `proxyless` CLI; the export and the
// latency measurement of the derived network use the library API in this process: core's
// composeNetwork and the space's checked `exportModel` (an optional feature of the space contract).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

/**
 * Retraining of each variant. The search config (quick.yaml / full.yaml) holds the search; the
 * derived network is retrained from scratch with these data options (merged over the search's) and
 * `proxyless train` flags.
 */
const VARIANTS = {
  quick: {
    runDir: 'runs/example',
    data: { validation: 500, limit: { train: 4000, test: 2000 } },
    train: ['--epochs', '3', '--batch-size', '64', '--lr', '0.05'],
  },
  full: {
    runDir: 'runs/example-full',
    // every training image but 2,000 held out for validation; the whole test set. Flips, random crops
    // (padding 2) and weight decay 5e-4 were chosen on the validation split (docs/RESULTS.md, "Full")
    data: { validation: 2000, limit: undefined, augment: ['horizontal-flip', { name: 'random-crop', padding: 2 }] },
    // data-parallel on every core (≈ ×1.6 on 2 cores; batch norm sees batch/cores examples per slice).
    // Batch 256 (lr 0.2, scaled with it) gives each worker 128 examples a step: ≈ ×1.2 the images per
    // second of batch 128 (bench/retrain-batch.mjs), the same validation accuracy at 28 epochs. 56
    // epochs: doubling 28 gave +1.05 pp on validation for the same network, and the study's
    // retrainings (bench/search-quality.mjs) flattened there (docs/RESULTS.md, "Full")
    train: ['--epochs', '56', '--batch-size', '256', '--lr', '0.2', '--label-smoothing', '0.1', '--weight-decay', '0.0005', '--workers', 'auto'],
  },
};

const variant = process.argv[2] ?? 'quick';
if (!(variant in VARIANTS)) {
  console.error(`example: unknown variant "${variant}" (expected quick or full)`);
  process.exit(2);
}
const V = VARIANTS[variant];
const cli = join(root, 'packages/cli/dist/bin.js');
if (!existsSync(cli)) {
  console.error('example: packages/cli/dist/bin.js is missing; build first with `npm run build`');
  process.exit(1);
}
const runDir = join(root, V.runDir);
const modelDir = join(runDir, 'model');
const timings = {};
const t00 = Date.now();

function proxyless(step, ...args) {
  console.error(`\n$ proxyless ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  timings[step] = (Date.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(`example: \`proxyless ${args[0]}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

// Imported after the argument checks so that a bad variant fails fast.
const { composeNetwork, FASHION_MNIST_SYSTEM_DIR, LATENCY_CALIBRATION_FILE, loadModelWeights, MeasuredLatencyProvider, readStoredCalibration, relativeTimer, Rng, writeFileAtomic } = await import('@proxyless/core');

// The full variant's figures (docs/RESULTS.md) are on the whole data set; without it the data plugin
// reads the committed 4,000-image subset, and the run says so up front rather than in its accuracy.
if (variant === 'full' && !existsSync(FASHION_MNIST_SYSTEM_DIR)) {
  console.error(`example: warning: ${FASHION_MNIST_SYSTEM_DIR} is missing, so this run uses the committed subset in examples/fashion-mnist/data (4,000 training and 1,000 test images), not the full Fashion-MNIST: its accuracy is not comparable with docs/RESULTS.md. Install the full set first (Debian: apt-get install dataset-fashion-mnist).`);
}

rmSync(runDir, { recursive: true, force: true });
proxyless('search', 'search', join(here, `${variant}.yaml`), '--out', runDir);
proxyless('derive', 'derive', runDir);

// The retraining record: the derived architecture with this variant's data options.
const record = readJson(join(runDir, 'architecture.json'));
const options = { ...record.data.options, ...V.data };
for (const k of Object.keys(options)) if (options[k] === undefined) delete options[k];
const retrainFile = join(runDir, 'retrain-architecture.json');
writeFileAtomic(retrainFile, `${JSON.stringify({ ...record, data: { ...record.data, options } }, null, 2)}\n`);
proxyless('train', 'train', retrainFile, ...V.train, '--out', modelDir);
proxyless('eval', 'eval', modelDir);

// Export the trained network as a TF.js LayersModel, check that it gives the same predictions, and
// measure the latency of the whole derived network on this machine (batch 1, the search's target).
let t0 = Date.now();
console.error('\nexport: TF.js LayersModel and measured latency of the derived network');
const { network, dataset, space } = await composeNetwork({ architectureFile: join(modelDir, 'architecture.json'), log: () => {} });
loadModelWeights(modelDir, network);
if (!space.exportModel) {
  console.error(`example: the ${space.name} space has no exportModel`);
  process.exit(1);
}
const tfjsDir = join(modelDir, 'tfjs');
const tf = await import('@tensorflow/tfjs-core');
const [batch] = dataset.test.batches(256);
// The space's checked export: fails unless the exported model gives the network's prediction on ≥ 99% of the batch.
const exported = await space.exportModel(network, tfjsDir, { check: batch.x, minAgreement: 0.99 });
tf.dispose([batch.x, batch.y]);
console.error(`exported ${tfjsDir} (${exported.format}: ${exported.files.join(', ')}, ${exported.bytes} bytes); same prediction as the trained network on ${(exported.agreement * 100).toFixed(1)}% of 256 test images`);
const searchConfig = readJson(join(runDir, 'config.json'));
const latencyOptions = searchConfig.latency?.options ?? {};
const provider = new MeasuredLatencyProvider({ target: latencyOptions.target ?? 'cpu', batchSize: 1, warmup: 10, minRuns: 50, minDurationMs: 500 });
// A shared machine slows down in phases of seconds. The network is timed in 5 rounds between two
// timings of the reference network the search timed against (its latency-calibration.json), and
// priced by its median ratio to the reference times the reference's quiet latency on this machine as
// the search pinned it, as the search's calibration and derive check do (core's relativeTimer).
// Without a calibration: the space's cheapest network (`zero` where a block may skip, else its first
// candidate) and its least timing here.
const stored = readStoredCalibration(join(runDir, LATENCY_CALIBRATION_FILE), latencyOptions.target ?? 'cpu', 'ms')?.reference;
const reference = space.buildCompact(
  stored?.architecture ?? Object.fromEntries(space.describe().map((m) => [m.label, (m.candidates.find((c) => c.features.type === 'zero') ?? m.candidates[0]).name])),
  new Rng('latency-reference'),
);
const timer = relativeTimer((net) => provider.measureNetwork(net, dataset.input), reference, stored ? { referenceLatency: stored.latency, pinned: true } : {});
await provider.measureNetwork(network, dataset.input); // burn-in
const [measured] = await timer.measure([network], 5);
for (const v of reference.variables()) v.variable.dispose();
// Opt-in: the same network timed inside headless Chromium (PROXYLESS_EXAMPLE_BROWSER=wasm,webgl;
// @proxyless/latency-browser, the system's Chromium), median of the same number of runs at batch 1.
const browserMs = {};
for (const backend of (process.env.PROXYLESS_EXAMPLE_BROWSER ?? '').split(',').map((b) => b.trim()).filter(Boolean)) {
  const { BrowserRuntime } = await import('@proxyless/latency-browser');
  const arch = readJson(join(modelDir, 'architecture.json'));
  const page = await BrowserRuntime.start({ backend, space: { spaceImport: arch.space.use, resolveDir: here, ...(arch.space.name ? { name: arch.space.name } : {}), options: arch.space.options ?? {}, input: dataset.input } });
  try {
    const runs = [...(await page.measureArchitecture(arch.architecture, { warmup: 10, minRuns: 50, minDurationMs: 1000 }))].sort((a, b) => a - b);
    browserMs[backend] = runs.length % 2 ? runs[runs.length >> 1] : (runs[runs.length / 2 - 1] + runs[runs.length / 2]) / 2;
    console.error(`browser ${backend}: ${browserMs[backend].toFixed(3)} ms (${page.describe().device})`);
  } finally {
    await page.close();
  }
}
timings.export = (Date.now() - t0) / 1000;

// what was retrained: the derive step's architecture.json (the search's answer for this checkpoint)
const result = readJson(join(runDir, 'architecture.json'));
const metrics = readJson(join(modelDir, 'metrics.json'));
const target = searchConfig.strategy?.options?.budget ?? searchConfig.strategy?.options?.target;
writeFileAtomic(
  join(runDir, 'latency.json'),
  `${JSON.stringify(
    {
      measured_latency_ms: measured,
      reference_timings_ms: timer.referenceTimings,
      reference_latency_ms: timer.referenceLatency,
      ...(Object.keys(browserMs).length ? { browser_latency_ms: browserMs } : {}),
      target: `${latencyOptions.target ?? 'cpu'} (wasm, this machine)`,
      note: `whole derived network at batch 1, median of ≥ 50 runs per timing window, priced by its median ratio (5 rounds) to a reference network timed around it, times the reference's quiet latency ${stored ? 'the search pinned on this machine' : 'here (its least timing)'}; the search's latency model (op table calibrated on whole networks) gives ${result.latency?.toFixed(3)} ${result.latencyUnit ?? ''}${result.measuredLatency !== undefined ? `, the derive measured ${result.measuredLatency.toFixed(3)} ms` : ''}, T = ${target} ms`,
    },
    null,
    2,
  )}\n`,
);
timings.total = (Date.now() - t00) / 1000;
const final = {
  variant,
  architecture: result.architecture,
  testAccuracy: metrics.test?.accuracy,
  testCount: metrics.test?.count,
  validationAccuracy: metrics.train?.validationAccuracy,
  latency: { target: target, unit: result.latencyUnit, model: result.latency, derive_measured: result.measuredLatency, measured_ms: measured, ...(Object.keys(browserMs).length ? { browser_ms: browserMs } : {}) },
  exportedModel: tfjsDir,
  seconds: timings,
};
writeFileAtomic(join(runDir, 'final.json'), `${JSON.stringify(final, null, 2)}\n`);
proxyless('report', 'report', runDir);
timings.total = (Date.now() - t00) / 1000;
writeFileAtomic(join(runDir, 'final.json'), `${JSON.stringify({ ...final, seconds: timings }, null, 2)}\n`);

const fmt = (x, d = 3) => (typeof x === 'number' ? x.toFixed(d) : String(x));
console.error(`\nexample (${variant}) done in ${fmt(timings.total, 0)} s`);
console.error(`architecture: ${Object.entries(result.architecture).map(([k, v]) => `${k}:${v}`).join(' ')}`);
console.error(`latency: model ${fmt(result.latency)} ms, measured ${fmt(measured)} ms, target T ${target} ms`);
if (metrics.test) console.error(`test accuracy of the retrained network: ${(metrics.test.accuracy * 100).toFixed(2)}% (${metrics.test.count} images)`);
console.error(`artifacts in ${runDir}: report.html, final.json, latency.json, architecture.json, model/ (weights.ckpt, tfjs/model.json)`);
