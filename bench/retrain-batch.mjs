// Retraining throughput against the batch size, data-parallel: the full example's derived network
// trained by `trainNetworkInWorkers` (the code `proxyless train --workers N` runs) at each batch size
// in turn, in alternating rounds in one process, so that the machine's drift reaches all alike.
// With N workers each one trains on batch/N examples a step; the per-step costs that do not grow with
// the batch (the tape, ≈ 300 kernel dispatches, the gradient exchange, the host SGD update) are paid
// once per batch/N examples.
//
// The committed Fashion-MNIST subset (3,936 training images) is cycled when a form needs more.
// Reads: µs per training image (median step time / batch) for each batch size, and the speed-up of
// each over the first one in the same round.
//
// Usage: npx tsc -b && node bench/retrain-batch.mjs [--batches=128,256] [--workers=2] [--images=6144] [--rounds=6] [--json=<file>]
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from './common.mjs';
import { median, runCompactWorkers } from './workloads.mjs';

const args = parseArgs(process.argv.slice(2), { batches: [128, 256], workers: 2, images: 6144, rounds: 6, json: '' });
const sizes = args.batches;
for (const b of sizes) {
  if (!Number.isInteger(b) || b < args.workers || args.images % b !== 0) {
    throw new Error(`--batches: ${b} must be an integer ≥ --workers (${args.workers}) that divides --images (${args.images})`);
  }
}
console.log(`retraining step, ${args.workers} worker(s), ${args.images} images timed per form, ${args.rounds} rounds, load ${loadavg()[0].toFixed(2)}`);
const perImage = Object.fromEntries(sizes.map((b) => [b, []]));
const ratios = Object.fromEntries(sizes.map((b) => [b, []]));
for (let round = 1; round <= args.rounds; round++) {
  const row = {};
  for (const b of sizes) {
    const r = await runCompactWorkers({ workers: args.workers, batch: b, warmup: 2, steps: args.images / b });
    row[b] = (r.medianMs / b) * 1000;
    perImage[b].push(row[b]);
  }
  for (const b of sizes) ratios[b].push(row[sizes[0]] / row[b]);
  console.log(`round ${round}: ` + sizes.map((b) => `batch ${b} ${row[b].toFixed(0)} µs/image (×${(row[sizes[0]] / row[b]).toFixed(2)})`).join(', '));
}
console.log('median: ' + sizes.map((b) => `batch ${b} ${median(perImage[b]).toFixed(0)} µs/image, ×${median(ratios[b]).toFixed(2)} over batch ${sizes[0]}`).join('; '));
if (args.json) writeFileSync(args.json, JSON.stringify({ args, perImage, ratios }, null, 2));
