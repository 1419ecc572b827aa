/** A predicted-vs-measured scatter plot (like the paper's Figure 5) as a standalone SVG. */
export interface ScatterSeries {
  readonly name: string;
  readonly color: string;
  /** [measured, predicted] pairs. */
  readonly points: readonly (readonly [number, number])[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step0 = span / n;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function scatterSvg(series: readonly ScatterSeries[], opts: { title?: string; unit?: string; size?: number } = {}): string {
  const size = opts.size ?? 480;
  const m = { l: 64, r: 16, t: 40, b: 52 };
  const all = series.flatMap((s) => s.points.flat());
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  const pad = (hi - lo) * 0.05 || 1;
  lo = Math.max(0, lo - pad);
  hi += pad;
  const w = size - m.l - m.r;
  const h = size - m.t - m.b;
  const sx = (v: number) => m.l + ((v - lo) / (hi - lo)) * w;
  const sy = (v: number) => m.t + h - ((v - lo) / (hi - lo)) * h;
  const unit = opts.unit ?? 'ms';
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" font-family="sans-serif" font-size="12">`,
    `<rect width="${size}" height="${size}" fill="white"/>`,
  ];
  if (opts.title) parts.push(`<text x="${size / 2}" y="20" text-anchor="middle" font-size="13">${esc(opts.title)}</text>`);
  for (const t of niceTicks(lo, hi)) {
    parts.push(`<line x1="${sx(t).toFixed(1)}" y1="${m.t}" x2="${sx(t).toFixed(1)}" y2="${m.t + h}" stroke="#eee"/>`);
    parts.push(`<line x1="${m.l}" y1="${sy(t).toFixed(1)}" x2="${m.l + w}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${m.t + h + 16}" text-anchor="middle">${t}</text>`);
    parts.push(`<text x="${m.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  parts.push(`<line x1="${sx(lo)}" y1="${sy(lo)}" x2="${sx(hi)}" y2="${sy(hi)}" stroke="#666" stroke-dasharray="5,4"><title>y = x</title></line>`);
  parts.push(`<text x="${(sx(hi) - 6).toFixed(1)}" y="${(sy(hi) + 14).toFixed(1)}" text-anchor="end" fill="#666">y = x</text>`);
  for (const s of series) {
    for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${s.color}" fill-opacity="0.7"/>`);
  }
  series.forEach((s, i) => {
    const y = m.t + 14 + i * 16;
    parts.push(`<circle cx="${m.l + 12}" cy="${y - 4}" r="4" fill="${s.color}"/><text x="${m.l + 22}" y="${y}">${esc(s.name)}</text>`);
  });
  parts.push(`<text x="${m.l + w / 2}" y="${size - 12}" text-anchor="middle">measured latency (${esc(unit)})</text>`);
  parts.push(`<text transform="translate(16 ${m.t + h / 2}) rotate(-90)" text-anchor="middle">predicted latency (${esc(unit)})</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
