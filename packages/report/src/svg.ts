// Small SVG chart builders (plain strings, no dependencies). Every text is escaped; every number
// written to an attribute is finite (non-finite points are dropped before drawing).

/** Escapes text for HTML/SVG content and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number for an attribute: at most 2 decimals. */
export const n2 = (x: number): string => String(Math.round(x * 100) / 100);

/** A number for people: 4 significant digits, no exponent for ordinary magnitudes. */
export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-4) return x.toExponential(2);
  return String(Number(x.toPrecision(digits)));
}

export const pct = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(digits)}%`);

/** Okabe–Ito colours (distinguishable with colour-vision deficiencies). */
export const Colors = Object.freeze({
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  sky: '#56B4E9',
  yellow: '#F0E442',
  grey: '#777777',
});
export const palette = [Colors.blue, Colors.vermillion, Colors.green, Colors.orange, Colors.purple, Colors.sky, Colors.grey];

/** Round tick values covering [min, max]. */
export function ticks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function domain(values: number[], pad = 0.05, zero = false): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (zero) lo = Math.min(lo, 0);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi === lo) {
    const d = Math.abs(hi) * 0.1 || 1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * pad;
  return [zero && lo === 0 ? 0 : lo - d, hi + d];
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number | null])[];
  /** `line` (default), `markers`, or both. */
  readonly style?: 'line' | 'markers' | 'line+markers';
  readonly width?: number;
  readonly opacity?: number;
  readonly dash?: string;
  /** Text next to each marker (scatter labels), same order as points. */
  readonly labels?: readonly string[];
  /** Tooltip per point (an SVG <title>), same order as points. */
  readonly tips?: readonly string[];
  readonly legend?: boolean;
}

export interface RefLine {
  readonly value: number;
  readonly label: string;
  readonly color: string;
  readonly dash?: string;
}

export interface Band {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

export interface ChartSpec {
  readonly id?: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly hLines?: readonly RefLine[];
  /** Vertical marks on the x axis (e.g. epoch boundaries). */
  readonly vLines?: readonly RefLine[];
  readonly bands?: readonly Band[];
  readonly yZero?: boolean;
  /** Fraction of the x range added on each side (default 0.02; scatters want room for labels). */
  readonly xPad?: number;
  readonly yFormat?: (v: number) => string;
  readonly width?: number;
  readonly height?: number;
}

/** A line/scatter chart with axes, grid, legend and optional reference lines. */
export function chart(spec: ChartSpec): string {
  const W = spec.width ?? 640;
  const m = { l: 58, r: 16, t: 30, b: 64 };
  const legend = layoutLegend(spec, W, m.l, m.r, (spec.height ?? 300) - 12);
  const H = (spec.height ?? 300) + legend.extra;
  const pw = W - m.l - m.r;
  const ph = H - legend.extra - m.t - m.b;
  const pts = spec.series.flatMap((s) => s.points.filter((p): p is [number, number] => p[1] !== null && Number.isFinite(p[0]) && Number.isFinite(p[1])));
  const xs = [...pts.map((p) => p[0]), ...(spec.vLines ?? []).map((v) => v.value), ...(spec.bands ?? []).flatMap((b) => [b.from, b.to])];
  const ys = [...pts.map((p) => p[1]), ...(spec.hLines ?? []).map((h) => h.value)];
  const cls = `chart${spec.id ? ` ${spec.id}` : ''}`;
  if (pts.length === 0) {
    return `<svg class="${esc(cls)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}"><text x="${W / 2}" y="16" class="ctitle" text-anchor="middle">${esc(spec.title)}</text><text x="${W / 2}" y="${H / 2}" class="empty" text-anchor="middle">no data</text></svg>`;
  }
  const [x0, x1] = domain(xs, spec.xPad ?? 0.02);
  const [y0, y1] = domain(ys, 0.08, spec.yZero);
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const yf = spec.yFormat ?? ((v: number) => fmt(v, 3));
  const o: string[] = [];
  o.push(`<svg class="${esc(cls)}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}">`);
  o.push(`<text x="${W / 2}" y="16" class="ctitle" text-anchor="middle">${esc(spec.title)}</text>`);
  for (const b of spec.bands ?? []) {
    const a = X(Math.max(b.from, x0));
    const z = X(Math.min(b.to, x1));
    if (z > a) o.push(`<rect class="band" x="${n2(a)}" y="${m.t}" width="${n2(z - a)}" height="${ph}"/><text x="${n2((a + z) / 2)}" y="${m.t + 12}" class="bandlabel" text-anchor="middle">${esc(b.label)}</text>`);
  }
  o.push('<g class="grid">');
  for (const t of ticks(y0, y1, 5)) o.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${n2(Y(t))}" y2="${n2(Y(t))}"/>`);
  o.push('</g><g class="axis">');
  o.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}"/>`);
  for (const t of ticks(y0, y1, 5)) o.push(`<text x="${m.l - 6}" y="${n2(Y(t) + 4)}" text-anchor="end">${esc(yf(t))}</text>`);
  for (const t of ticks(x0, x1, 6)) o.push(`<line x1="${n2(X(t))}" x2="${n2(X(t))}" y1="${m.t + ph}" y2="${m.t + ph + 4}"/><text x="${n2(X(t))}" y="${m.t + ph + 16}" text-anchor="middle">${esc(fmt(t, 4))}</text>`);
  o.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 32}" text-anchor="middle" class="alabel">${esc(spec.xLabel)}</text>`);
  o.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" class="alabel">${esc(spec.yLabel)}</text>`);
  o.push('</g>');
  for (const v of spec.vLines ?? []) {
    if (v.value < x0 || v.value > x1) continue;
    o.push(`<line class="ref" x1="${n2(X(v.value))}" x2="${n2(X(v.value))}" y1="${m.t}" y2="${m.t + ph}" stroke="${v.color}" stroke-dasharray="${v.dash ?? '2 3'}"/>`);
    if (v.label) o.push(`<text x="${n2(X(v.value) + 3)}" y="${m.t + ph - 4}" class="reflabel">${esc(v.label)}</text>`);
  }
  for (const h of spec.hLines ?? []) {
    o.push(`<line class="ref" x1="${m.l}" x2="${m.l + pw}" y1="${n2(Y(h.value))}" y2="${n2(Y(h.value))}" stroke="${h.color}" stroke-dasharray="${h.dash ?? '6 4'}" stroke-width="1.5"><title>${esc(h.label)}</title></line>`);
  }
  o.push(`<g class="plot">`);
  for (const s of spec.series) {
    const style = s.style ?? 'line';
    const op = s.opacity !== undefined ? ` opacity="${s.opacity}"` : '';
    o.push(`<g class="series" data-series="${esc(s.name)}"${op}>`);
    if (style !== 'markers') {
      // a null y breaks the line (e.g. a diverged step)
      const segs: string[][] = [[]];
      for (const [x, y] of s.points) {
        if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) {
          if (segs[segs.length - 1]!.length) segs.push([]);
          continue;
        }
        segs[segs.length - 1]!.push(`${n2(X(x))},${n2(Y(y))}`);
      }
      for (const seg of segs) {
        if (seg.length > 1) o.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${seg.join(' ')}"/>`);
      }
    }
    if (style !== 'line') {
      s.points.forEach(([x, y], i) => {
        if (y === null || !Number.isFinite(y) || !Number.isFinite(x)) return;
        const tip = s.tips?.[i];
        o.push(`<circle cx="${n2(X(x))}" cy="${n2(Y(y))}" r="${s.width ?? 3.5}" fill="${s.color}" stroke="#fff" stroke-width="1">${tip ? `<title>${esc(tip)}</title>` : ''}</circle>`);
        const label = s.labels?.[i];
        // labels of points in the right third go to the left of the marker, so they stay inside the chart
        const leftSide = X(x) > m.l + pw * 0.66;
        if (label) o.push(`<text x="${n2(X(x) + (leftSide ? -7 : 7))}" y="${n2(Y(y) - 6)}" class="plabel"${leftSide ? ' text-anchor="end"' : ''}>${esc(label)}</text>`);
      });
    }
    o.push('</g>');
  }
  o.push('</g>');
  // legend below the x-axis label, wrapped into rows
  o.push('<g class="legend">');
  for (const it of legend.placed) {
    o.push(
      it.marker
        ? `<circle cx="${n2(it.x + 9)}" cy="${it.y - 4}" r="3.5" fill="${it.color}"/>`
        : `<line x1="${n2(it.x)}" x2="${n2(it.x + 18)}" y1="${it.y - 4}" y2="${it.y - 4}" stroke="${it.color}" stroke-width="2"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/>`,
    );
    o.push(`<text x="${n2(it.x + 24)}" y="${it.y}">${esc(it.name)}</text>`);
  }
  o.push('</g></svg>');
  return o.join('');
}

interface LegendItem {
  readonly name: string;
  readonly color: string;
  readonly dash?: string;
  readonly marker: boolean;
  readonly x: number;
  readonly y: number;
}

function layoutLegend(spec: ChartSpec, W: number, left: number, right: number, y0: number): { placed: LegendItem[]; extra: number } {
  const items = [
    ...spec.series.filter((s) => s.legend !== false).map((s) => ({ name: s.name, color: s.color, ...(s.dash ? { dash: s.dash } : {}), marker: (s.style ?? 'line') === 'markers' })),
    ...(spec.hLines ?? []).map((h) => ({ name: h.label, color: h.color, dash: h.dash ?? '6 4', marker: false })),
  ];
  const placed: LegendItem[] = [];
  let x = left;
  let row = 0;
  for (const it of items) {
    const w = 24 + it.name.length * 6.4 + 16;
    if (x + w > W - right && x > left) {
      x = left;
      row++;
    }
    placed.push({ ...it, x, y: y0 + row * 16 });
    x += w;
  }
  return { placed, extra: row * 16 };
}

/** TensorBoard-style debiased exponential moving average (nulls are skipped and kept). */
export function smooth(values: readonly (number | null)[], weight: number): (number | null)[] {
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return null;
    last = last * weight + (1 - weight) * v;
    n++;
    return last / (1 - weight ** n);
  });
}

/** Sequential colour for a probability in [0, 1] (light yellow → dark blue, perceptually ordered). */
export function heatColor(p: number): string {
  const stops: [number, number, number][] = [
    [255, 255, 217],
    [199, 233, 180],
    [65, 182, 196],
    [34, 94, 168],
    [8, 29, 88],
  ];
  const t = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t));
  const f = t - i;
  const c = stops[i]!.map((a, k) => Math.round(a + (stops[i + 1]![k]! - a) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
}
