// Where the derived network lands against its latency budget T, measured whole (issue 18, point 3).
// Each T gets one search of the full default example (examples/fashion-mnist/full.yaml, its seed,
// data and schedule) with only the budget changed. Every derived network is timed whole at batch 1
// on wasm, the example's final measurement. The script compares two derives from the same final α:
//   - `checked`: what the search returns now. The op table is calibrated on whole networks and the
//     derived network is measured, then derived again if it is over T (`deriveChecked`).
//   - `op table`: the older rule. It takes the most probable architecture whose plain op-table sum
//     is ≤ T, with no calibration and no measurement.
// The networks of all Ts are timed in interleaved rounds, each between two timings of a reference
// network, and priced by its median ratio to it (core's relativeTimer): phases of load cancel out.
// The reference's quiet latency is the one the searches pinned (the op cache remembers it per machine).
//
// Usage: npm run build && node bench/budget-sweep.mjs [--budgets=0.55,0.65,0.75,0.85] [--epochs=6]
//        [--warmupEpochs=2] [--trainLimit=20000] [--rounds=5] [--windowMs=500] [--budgetOn=derived|expected] [--out=.tmp/budget-sweep]
//        node bench/budget-sweep.mjs --remeasure [--out=…]   # time the networks of a finished sweep again
// Writes <out>/results.json and <out>/results.md; one run directory per T under <out>/runs/.
import '@proxyless/backend-wasm';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeSearch, describeDevice, MeasuredLatencyProvider, readConfigFile, writeFileAtomic } from '@proxyless/core';
import { mostProbableWithin } from '@proxyless/strategy-binaryconnect';
import { parseArgs, referenceArchitecture } from './common.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = parseArgs(process.argv.slice(2), { budgets: [0.55, 0.65, 0.75, 0.85], epochs: 6, warmupEpochs: 2, trainLimit: 20000, rounds: 5, windowMs: 500, out: '.tmp/budget-sweep', remeasure: false, budgetOn: 'derived' });
const out = resolve(root, args.out);
mkdirSync(join(out, 'runs'), { recursive: true });
const exampleFile = join(root, 'examples/fashion-mnist/full.yaml');
const base = readConfigFile(exampleFile).raw;

const key = (a) => JSON.stringify(a);
// --remeasure: time the networks of a finished sweep again (its <out>/results.json), no searches
const rows = args.remeasure ? JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).rows : [];
for (const T of args.remeasure ? [] : args.budgets) {
  const config = structuredClone(base);
  delete config.output;
  config.strategy.options = { ...config.strategy.options, budget: T, budgetOn: args.budgetOn };
  config.trainer.options = { ...config.trainer.options, epochs: args.epochs, warmupEpochs: args.warmupEpochs };
  config.data.options = { ...config.data.options, limit: { ...(config.data.options.limit ?? {}), train: args.trainLimit } };
  const runDir = join(out, 'runs', `T${T}`);
  const logs = [];
  const t0 = Date.now();
  const composed = await composeSearch({ config, baseDir: dirname(exampleFile), runDir, force: true, log: (l) => logs.push(l) });
  const { session } = composed;
  try {
    const result = await session.run();
    const { latency, network } = session.components;
    const cal = latency.calibration;
    // the older derive from the same α: the plain op table (calibration undone), no measurement
    const raw = (v) => (cal ? (v - cal.perLayer) / cal.scale : v);
    const ops = network.mixedOps.map((op) => ({
      label: op.label,
      names: op.candidates.map((c) => c.name),
      probs: op.probsSync(),
      latency: latency.table[op.label].map((v, i) => (op.candidates[i].isZero ? 0 : raw(v))),
    }));
    const rawFixed = cal ? (latency.fixed - cal.offset - cal.perLayer * network.fixedOps.length) / cal.scale : latency.fixed;
    const old = mostProbableWithin(ops, rawFixed, T, 64);
    const oldArch = Object.fromEntries(ops.map((op, i) => [op.label, op.names[old.choice[i]]]));
    rows.push({
      T,
      seconds: (Date.now() - t0) / 1000,
      calibration: cal ? { model: cal.model, scale: cal.scale, perLayer: cal.perLayer, offset: cal.offset, mapeBefore: cal.mapeBefore, mapeAfter: cal.mapeAfter, mapeHeldOut: cal.mapeHeldOut } : undefined,
      checked: { architecture: result.architecture, model: result.latency, searchMeasured: result.measuredLatency },
      argmax: session.components.strategy.deriveReport?.().argmax,
      mu: session.components.strategy.dualLambda,
      opTable: { architecture: oldArch, table: old.latency },
      deriveLog: logs.filter((l) => l.startsWith('binaryconnect: derived network measured')),
    });
    writeFileAtomic(join(out, 'results.json'), `${JSON.stringify({ args, rows, partial: true }, null, 2)}\n`);
    for (const l of rows.at(-1).deriveLog) console.error(`  ${l}`);
    console.error(`T ${T}: checked ${key(result.architecture)} model ${result.latency?.toFixed(3)} measured ${result.measuredLatency?.toFixed(3)} ms; op table ${old.latency.toFixed(3)} ms`);
  } finally {
    composed.release?.();
  }
}

const { WasmBackendImpl } = await import('@proxyless/backend-wasm');
await new WasmBackendImpl({}).init(); // already active after a search; needed for --remeasure
const { MBConvSpace, mbconvSpaceOptions } = await import('@proxyless/space-mbconv');
const { Rng } = await import('@proxyless/core');
const space = new MBConvSpace(mbconvSpaceOptions.parse(base.space.options), { shape: [28, 28, 1], numClasses: 10 });
const provider = new MeasuredLatencyProvider({ warmup: 10, minRuns: 10, minDurationMs: args.windowMs });
const nets = new Map();
for (const r of rows) for (const a of [r.checked.architecture, r.opTable.architecture]) nets.set(key(a), a);
// each network timed between two timings of the reference network the searches timed against,
// priced by its median ratio to it times the quiet latency the searches pinned on this machine (core's
// relativeTimer; the first T's latency-calibration.json). Without one: the space's cheapest network
// (zero where a block may skip, else its first candidate) and its least timing here.
const { LATENCY_CALIBRATION_FILE, readStoredCalibration, relativeTimer } = await import('@proxyless/core');
const pinned = rows.map((r) => readStoredCalibration(join(out, 'runs', `T${r.T}`, LATENCY_CALIBRATION_FILE), 'cpu', 'ms')?.reference).find(Boolean);
const refArch = pinned?.architecture ?? referenceArchitecture(space);
const built = new Map([...nets].map(([k, a]) => [k, space.buildCompact(a, new Rng(`sweep-${k}`))]));
const reference = space.buildCompact(refArch, new Rng('sweep-reference'));
const timer = relativeTimer((net) => provider.measureNetwork(net, space.input), reference, pinned ? { referenceLatency: pinned.latency, pinned: true } : {});
const latencies = await timer.measure([...built.values()], args.rounds);
const measuredOf = new Map([...built.keys()].map((k, i) => [k, latencies[i]]));
for (const net of [...built.values(), reference]) for (const v of net.variables()) v.variable.dispose();
for (const r of rows) {
  r.checked.measured = measuredOf.get(key(r.checked.architecture));
  r.opTable.measured = measuredOf.get(key(r.opTable.architecture));
}
const refs = timer.referenceTimings;
console.error(`reference network timed ${refs.length} times: ${Math.min(...refs).toFixed(3)}–${Math.max(...refs).toFixed(3)} ms (the machine's load); priced at ${timer.referenceLatency.toFixed(4)} ms${pinned ? ', as the searches pinned it' : ' (its least timing here)'}`);

const pct = (m, T) => `${m <= T ? '' : '+'}${(((m - T) / T) * 100).toFixed(1)}%`;
const md = [
  `Device: ${describeDevice().device}. \`node bench/budget-sweep.mjs ${process.argv.slice(2).join(' ')}\``,
  '',
  '| T (ms) | op sum error → calibrated (%) | argmax: model (ms), binds? | checked derive: model / search\'s check / re-timed (ms) | vs T | op-table derive: table / re-timed (ms) | vs T |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    `| ${r.T} | ${r.calibration ? `${r.calibration.mapeBefore.toFixed(1)} → ${r.calibration.mapeAfter.toFixed(1)}` : '–'} | ${r.argmax?.latency?.toFixed(3) ?? '–'}${r.argmax?.latency !== undefined ? (r.argmax.latency > r.T ? ', yes' : ', no') : ''} | ${r.checked.model?.toFixed(3)} / ${r.checked.searchMeasured?.toFixed(3) ?? '–'} / **${r.checked.measured.toFixed(3)}** | ${pct(r.checked.measured, r.T)} | ${r.opTable.table.toFixed(3)} / ${r.opTable.measured.toFixed(3)} | ${pct(r.opTable.measured, r.T)} |`,
  ),
];
writeFileAtomic(join(out, 'results.json'), `${JSON.stringify({ args, rows }, null, 2)}\n`);
writeFileSync(join(out, 'results.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
