// Formatting and colours shared by the report's HTML, its SVG drawings (heatmap, architecture) and
// its charts. Every text that reaches the page goes through esc (HTML) or scriptJson (inline JSON).

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

/**
 * JSON for an inline `<script type="application/json">` (or any script): `<`, `>` and `&` are written
 * as `\u003c`, `\u003e`, `\u0026`, so no string from a run can end the script (`</script>`) or open an
 * HTML comment (`<!--`); U+2028/U+2029 are escaped too. Non-finite numbers become null, as in JSON.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
