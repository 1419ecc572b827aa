// Table-sum latency prediction vs measured whole-network latency on the wasm backend, and the fitted
// predictor (ProxylessNAS Appendix B), on @proxyless/space-mbconv's `small` preset.
//   node bench/latency-table-vs-measured.mjs [--fit=100] [--test=100] [--out=.tmp/latency-bench]
// Imports the built packages: run `npx tsc -b` first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WasmBackendImpl } from '@proxyless/backend-wasm';
import { describeDevice } from '@proxyless/core';
import { Rng } from '@proxyless/core';
import { MBConvSpace, mbconvSpaceOptions } from '@proxyless/space-mbconv';
import { buildLatencyTable, runPredictExperiment, spaceOps } from '@proxyless/latency';
import { chartPage } from '@proxyless/report';
import { parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), { fit: 100, test: 100, out: '.tmp/latency-bench', minRuns: 20, minDurationMs: 150, seed: 1 });
await new WasmBackendImpl().init();
const out = resolve(args.out);
mkdirSync(out, { recursive: true });
const space = new MBConvSpace(mbconvSpaceOptions.parse({ preset: 'small' }), { shape: [28, 28, 1], numClasses: 10 });
const measure = { warmup: 5, minRuns: args.minRuns, minDurationMs: args.minDurationMs };
const t0 = Date.now();
const built = await buildLatencyTable({ file: join(out, 'wasm-small.yaml'), ops: spaceOps(space), ...measure, onEntry: (p) => process.stderr.write(`\rtable ${p.done}/${p.total}`) });
process.stderr.write(`\n`);
const tTable = (Date.now() - t0) / 1000;
const r = await runPredictExperiment({ space, table: built.table, fit: args.fit, test: args.test, ...measure, rng: new Rng(args.seed), onSample: (d, t) => process.stderr.write(`\rnetworks ${d}/${t}`) });
process.stderr.write(`\n`);
writeFileSync(join(out, 'scatter.html'), chartPage({ title: r.scatter.title, charts: [r.scatter] }));
r.predictor.save(join(out, 'predictor.json'));
writeFileSync(join(out, 'samples.jsonl'), r.samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
const test = r.samples.filter((s) => s.split === 'test');
const mae = (f) => (100 * test.reduce((a, s) => a + Math.abs(f(s) - s.measuredMs) / s.measuredMs, 0)) / test.length;
const row = (name, m, f) => `| ${name} | ${m.rmseMs.toFixed(3)} | ${mae(f).toFixed(2)}% | ${m.r2.toFixed(4)} | ${m.pearson.toFixed(4)} |`;
const d = describeDevice();
console.log(`device: ${d.device}, backend ${d.backend}, simd ${d.details.simd}, threads ${d.details.threads}`);
console.log(`table: ${built.total} distinct ops (${built.measured.length} measured now, ${built.kept} kept) in ${tTable.toFixed(0)} s; ${built.noisy.length} still noisy`);
console.log(`networks: ${args.fit} fit + ${args.test} held out; measured mean ${(test.reduce((a, s) => a + s.measuredMs, 0) / test.length).toFixed(3)} ms; total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log('| prediction | RMSE (ms) | mean abs. error | R² | Pearson r |');
console.log('|---|---|---|---|---|');
console.log(row('table sum', r.metrics.tableSum, (s) => s.tableSumMs));
console.log(row('predictor (table sum + correction)', r.metrics.predictor, (s) => s.predictedMs));
console.log(`correction: ${JSON.stringify(r.predictor.model.correction)}`);
