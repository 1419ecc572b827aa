import type { Sweep, SweepRow } from './sweep.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (v: number | undefined, digits = 4) => (v === undefined ? '—' : Number(v.toPrecision(digits)).toString());

/** Accuracy (y) vs latency (x) of the finished points; the Pareto front joined by a line. */
function scatter(rows: readonly SweepRow[], retrained: boolean): string {
  const pts = rows
    .map((r) => ({ ...r, acc: retrained ? r.testAccuracy : r.validationAccuracy }))
    .filter((r) => r.acc !== undefined && r.latency !== undefined) as (SweepRow & { acc: number; latency: number })[];
  if (pts.length === 0) return `<p>No point has both a ${retrained ? 'retrained test' : 'validation'} accuracy and a latency yet.</p>`;
  const W = 640, H = 400, L = 60, R = 20, T = 20, B = 50;
  const xs = pts.map((p) => p.latency), ys = pts.map((p) => p.acc);
  const span = (a: number[]) => { const lo = Math.min(...a), hi = Math.max(...a), pad = (hi - lo || Math.abs(hi) || 1) * 0.08; return [lo - pad, hi + pad] as const; };
  const [x0, x1] = span(xs), [y0, y1] = span(ys);
  const X = (v: number) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v: number) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const front = pts.filter((p) => p.pareto).sort((a, b) => a.latency - b.latency);
  const unit = pts[0]!.latencyUnit ?? '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="accuracy vs latency">
<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>
<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle" font-size="13">latency${unit ? ` (${esc(unit)})` : ''}: ${fmt(x0)} … ${fmt(x1)}</text>
<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 16 ${(T + H - B) / 2})">${retrained ? 'test accuracy (retrained)' : 'validation accuracy'}: ${fmt(y0)} … ${fmt(y1)}</text>
${front.length > 1 ? `<polyline fill="none" stroke="#d62728" stroke-width="2" points="${front.map((p) => `${X(p.latency).toFixed(1)},${Y(p.acc).toFixed(1)}`).join(' ')}"/>` : ''}
${pts.map((p) => `<circle cx="${X(p.latency).toFixed(1)}" cy="${Y(p.acc).toFixed(1)}" r="5" fill="${p.pareto ? '#d62728' : '#1f77b4'}"><title>${esc(p.id)} ${esc(JSON.stringify(p.overrides))}: accuracy ${fmt(p.acc)}, latency ${fmt(p.latency)}</title></circle>`).join('\n')}
</svg>`;
}

/** A self-contained HTML page: the scatter with the Pareto front and the table of every point. */
export function sweepReportHtml(sweep: Sweep, rows: readonly SweepRow[]): string {
  const axes = Object.keys(sweep.axes);
  const retrained = sweep.retrain !== undefined;
  const done = rows.filter((r) => r.architecture !== undefined).length;
  const body = rows
    .map(
      (r) =>
        `<tr${r.pareto ? ' class="pareto"' : ''}><td>${esc(r.id)}</td>${axes.map((a) => `<td>${esc(JSON.stringify(r.overrides[a]))}</td>`).join('')}<td>${fmt(r.validationAccuracy)}</td>${retrained ? `<td>${fmt(r.testAccuracy)}</td>` : ''}<td>${fmt(r.latency)}${r.latencyUnit ? ` ${esc(r.latencyUnit)}` : ''}</td><td>${r.pareto ? '★' : ''}</td><td>${esc(r.runDir)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sweep ${esc(sweep.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:980px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}tr.pareto{background:#fde8e8}</style></head>
<body><h1>Sweep ${esc(sweep.name)}</h1>
<p>${done} of ${rows.length} points finished. Axes: ${axes.map((a) => `<code>${esc(a)}</code>`).join(', ')}. ★ and red: on the accuracy-vs-latency Pareto front (no other point is both more accurate and faster).</p>
<h2>${retrained ? 'Test accuracy of the retrained architectures' : 'Validation accuracy'} vs latency</h2>
${scatter(rows, retrained)}
<h2>Points</h2>
<table><thead><tr><th>point</th>${axes.map((a) => `<th>${esc(a)}</th>`).join('')}<th>validation accuracy (search)</th>${retrained ? '<th>test accuracy (retrained)</th>' : ''}<th>latency</th><th>Pareto</th><th>run directory</th></tr></thead>
<tbody>
${body}
</tbody></table>
</body></html>
`;
}
