// Shared helpers of the benchmarks: argument parsing, number formatting, the default example's space.
import { fileURLToPath } from 'node:url';
import { readConfigFile } from '@proxyless/core';
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unexpected argument ${a}`);
    const [, k, v] = m;
    if (!(k in defaults)) throw new Error(`unknown option --${k} (known: ${Object.keys(defaults).join(', ')})`);
    const d = defaults[k];
    out[k] = typeof d === 'number' ? Number(v) : typeof d === 'boolean' ? v !== 'false' : Array.isArray(d) ? v.split(',').map(Number) : v;
  }
  return out;
}

export const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** The MBConv space options of the full default example (examples/fashion-mnist/full.yaml). */
export function fullExampleSpaceOptions() {
  return readConfigFile(fileURLToPath(new URL('../examples/fashion-mnist/full.yaml', import.meta.url))).raw.space.options;
}

/** A derived architecture of that space (run 3 of docs/RESULTS.md, 84,130 weights): the benchmarks' retraining network. */
export const FULL_EXAMPLE_ARCHITECTURE = {
  s1_b0: '5x5_MBConv6', s1_b1: '3x3_MBConv6',
  s2_b0: '5x5_MBConv3', s2_b1: '3x3_MBConv3', s2_b2: 'zero',
  s3_b0: '5x5_MBConv3', s3_b1: '5x5_MBConv6',
};

/**
 * The reference network of whole-network timings (core's relativeTimer): every searchable block's
 * cheapest choice, `zero` where the block may skip, else its first candidate.
 */
export function referenceArchitecture(space) {
  return Object.fromEntries(space.describe().map((m) => [m.label, (m.candidates.find((c) => c.features.type === 'zero') ?? m.candidates[0]).name]));
}
