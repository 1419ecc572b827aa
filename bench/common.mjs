// Shared helpers of the benchmarks: argument parsing and a synchronous-backend timer.
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
