// Distributed latency-table build (`proxyless latency build --redis`) with 1 and 2 `proxyless worker`
// processes on this machine: a real redis-server on loopback, the space of
// examples/fashion-mnist/full.yaml measured on the wasm backend. Wall time of the coordinator (start to
// exit, the table complete); the workers are started and ready before it starts. N alternates within
// each round (--rounds) so that a drift in the machine's load hits both alike.
// Usage: npx tsc -b && node bench/scale-out-table.mjs [--rounds=2] [--workers=1,2] [--minDurationMs=100]
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fullExampleSpaceOptions, parseArgs } from './common.mjs';

const args = parseArgs(process.argv.slice(2), { rounds: 2, workers: '1,2', minDurationMs: 100 });
const bin = fileURLToPath(new URL('../packages/cli/dist/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'proxyless-bench-scale-'));
const config = join(dir, 'latency.json');
writeFileSync(config, JSON.stringify({ space: { use: '@proxyless/space-mbconv', options: fullExampleSpaceOptions() }, input: { shape: [28, 28, 1], numClasses: 10 } }));

const port = await new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((r) => redis.stdout.on('data', (d) => /Ready to accept/.test(String(d)) && r()));
const url = `redis://127.0.0.1:${port}`;

function startWorker(device) {
  const w = spawn(process.execPath, [bin, 'worker', '--redis', url, '--device-name', device, '--queue', 'latency', '--storage', join(dir, 'storage')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((r) => { let e = ''; w.stderr.on('data', (d) => { e += d; if (/ready/.test(e)) r(w); }); });
}
function run(argv) {
  return new Promise((r, j) => { const c = spawn(process.execPath, [bin, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }); let o = ''; c.stdout.on('data', (d) => (o += d)); c.on('close', (code) => (code === 0 ? r(o) : j(new Error(`exit ${code}`)))); });
}

const counts = String(args.workers).split(',').map(Number);
const times = new Map(counts.map((n) => [n, []]));
let entries = 0;
for (let round = 0; round < args.rounds; round++) {
  for (const n of counts) {
    const device = `bench-${n}-${round}`;
    const workers = await Promise.all(Array.from({ length: n }, () => startWorker(device)));
    const t0 = performance.now();
    const out = JSON.parse(await run(['latency', 'build', config, '--out', join(dir, `${device}.yaml`), '--redis', url, '--device-name', device, '--backend', '@proxyless/backend-wasm', '--min-duration-ms', String(args.minDurationMs), '--json']));
    const s = (performance.now() - t0) / 1000;
    entries = out.measured;
    times.get(n).push(s);
    console.log(`round ${round + 1}: ${n} worker(s): ${out.measured} entries in ${s.toFixed(1)} s  (per worker: ${JSON.stringify(out.perWorker)})`);
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.on('exit', r)))));
  }
}
redis.kill('SIGTERM');
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
console.log(`\n${entries} entries; ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (const n of counts) console.log(`${n} worker(s): mean ${mean(times.get(n)).toFixed(1)} s over ${times.get(n).length} run(s)`);
if (counts.length === 2) console.log(`wall-time ratio ${counts[1]} vs ${counts[0]} worker(s): ${(mean(times.get(counts[1])) / mean(times.get(counts[0]))).toFixed(2)}`);
