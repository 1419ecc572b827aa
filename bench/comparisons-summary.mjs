// Summarizes several runs of bench/comparisons.mjs (e.g. one per seed): per network, the test accuracy and
// measured latency of each run, their mean and spread, and the four comparisons' margins per run.
// Usage: node bench/comparisons-summary.mjs <out-dir> [<out-dir> …]   (each holds a results.json)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: node bench/comparisons-summary.mjs <out-dir> [<out-dir> …]  (folders written by bench/comparisons.mjs)');
  process.exit(2);
}
const runs = dirs.map((d) => {
  const f = join(d, 'results.json');
  if (!existsSync(f)) {
    console.error(`comparisons-summary: ${f} does not exist (run bench/comparisons.mjs --out=${d} first)`);
    process.exit(2);
  }
  return JSON.parse(readFileSync(f, 'utf8'));
});
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => (xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const pp = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
const names = [...new Set(runs.flatMap((r) => r.networks.map((n) => n.name)))];
const seeds = runs.map((r) => r.args.seed);
const label = {
  'bc-cpu': 'searched: BinaryConnect, cpu latency',
  'bc-nolat': 'BinaryConnect, no latency loss',
  'reinforce-cpu': 'REINFORCE, cpu latency reward',
  'bc-flops': 'BinaryConnect, flops',
};
const out = [];
out.push(`| network | ${seeds.map((s) => `seed ${s}: acc. · ms · MFLOPs`).join(' | ')} | mean acc. (± sd) | mean ms |`);
out.push(`|---|${seeds.map(() => '---|').join('')}---|---|`);
for (const name of names) {
  const cells = runs.map((r) => r.networks.find((n) => n.name === name));
  const accs = cells.filter(Boolean).map((c) => c.testAccuracy);
  const lats = cells.filter(Boolean).map((c) => c.latencyMs);
  out.push(
    `| ${label[name] ?? `baseline ${name}`} | ${cells.map((c) => (c ? `${pct(c.testAccuracy)} · ${c.latencyMs.toFixed(2)} · ${c.mflops.toFixed(2)}` : '—')).join(' | ')} | ${pct(mean(accs))}${accs.length > 1 ? ` (± ${(sd(accs) * 100).toFixed(1)})` : ''} | ${mean(lats).toFixed(2)} |`,
  );
}
out.push('');
// Margins per run.
const get = (r, n) => r.networks.find((x) => x.name === n);
function baselineAt(r, ms) {
  const base = r.networks.filter((n) => n.kind === 'baseline').sort((a, b) => a.latencyMs - b.latencyMs);
  for (let i = 0; i + 1 < base.length; i++) {
    const [a, b] = [base[i], base[i + 1]];
    if (ms >= a.latencyMs && ms <= b.latencyMs) return a.testAccuracy + ((ms - a.latencyMs) / (b.latencyMs - a.latencyMs || 1)) * (b.testAccuracy - a.testAccuracy);
  }
  return undefined;
}
out.push(`| margin (accuracy in pp; latency as a ratio) | ${seeds.map((s) => `seed ${s}`).join(' | ')} |`);
out.push(`|---|${seeds.map(() => '---|').join('')}`);
const row = (title, f) => out.push(`| ${title} | ${runs.map((r) => f(r) ?? '—').join(' | ')} |`);
row('1. searched − baseline interpolated at the searched latency', (r) => {
  const s = get(r, 'bc-cpu');
  const b = s && baselineAt(r, s.latencyMs);
  return b === undefined ? undefined : `${pp(s.testAccuracy - b)} pp at ${s.latencyMs.toFixed(2)} ms`;
});
/** a − b in accuracy (pp) and a / b in measured latency, for two networks of a run. */
const versus = (aName, bName) => (r) => {
  const a = get(r, aName);
  const b = get(r, bName);
  return a && b ? `${pp(a.testAccuracy - b.testAccuracy)} pp; ×${(a.latencyMs / b.latencyMs).toFixed(2)}` : undefined;
};
row('1. searched − baseline ×1 (accuracy; latency ratio)', versus('bc-cpu', 'MBv2 ×1'));
row('2. with − without latency loss (accuracy; latency ratio)', versus('bc-cpu', 'bc-nolat'));
row('3. BinaryConnect − REINFORCE (accuracy; latency ratio)', versus('bc-cpu', 'reinforce-cpu'));
row('4. cpu-searched / flops-searched: ms ratio; MFLOPs ratio', (r) => {
  const a = get(r, 'bc-cpu');
  const b = get(r, 'bc-flops');
  return a && b ? `×${(a.latencyMs / b.latencyMs).toFixed(2)} ms; ×${(a.mflops / b.mflops).toFixed(2)} MFLOPs` : undefined;
});
console.log(out.join('\n'));
