// Interactive charts for self-contained HTML files, drawn by uPlot (MIT; https://github.com/leeoniya/uPlot),
// whose script and stylesheet are read from the installed `uplot` package and inlined into the page: no
// CDN, the file opens offline. Each chart is a <figure> holding its data as inline JSON (escaped by
// scriptJson); a small inline script (CHART_RUNTIME) turns every figure into a uPlot chart with drag
// to zoom (double-click resets), a hover cursor with live values in the legend, and a tooltip for
// scatter points. The report's training curves and scatters and `proxyless latency predict`'s
// predicted-vs-measured plot all use this module: it is the one home of chart code in the repository.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { esc, scriptJson } from './format.js';

export interface ChartSeries {
  readonly name: string;
  readonly color: string;
  /** [x, y] points; a null (or non-finite) y breaks a line. Points need not be sorted. */
  readonly points: readonly (readonly [number, number | null])[];
  /** `line` (default), `markers`, or both. */
  readonly style?: 'line' | 'markers' | 'line+markers';
  /** Line width, or marker diameter for `markers`. */
  readonly width?: number;
  /** 0..1, applied to the colour. */
  readonly opacity?: number;
  /** Canvas dash pattern, e.g. [4, 3]. */
  readonly dash?: readonly number[];
  /** Text of each point, same order as points: shown on hover, and drawn next to the marker unless showLabels is false. */
  readonly labels?: readonly string[];
  /** Draw the labels next to the markers (default true; false for many points: hover only). */
  readonly showLabels?: boolean;
  /** A line across nulls and across x values of other series (default: only across other series' x). */
  readonly spanGaps?: boolean;
}

export interface ChartRefLine {
  readonly value: number;
  readonly label: string;
  readonly color: string;
  readonly dash?: readonly number[];
}

export interface ChartBand {
  readonly from: number;
  readonly to: number;
  readonly label: string;
}

export interface ChartSpec {
  /** A class name of the figure (letters, digits, `-`), unique in a page. */
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
  /** Horizontal reference lines: drawn as constant series, so they appear in the legend and on hover. */
  readonly hLines?: readonly ChartRefLine[];
  /** Vertical marks (e.g. epoch boundaries), drawn behind the series. */
  readonly vLines?: readonly ChartRefLine[];
  /** Shaded x ranges (e.g. the warm-up), drawn behind the series. */
  readonly bands?: readonly ChartBand[];
  /** How y values are shown (axis, legend, tooltip): `number` (default) or `percent` of a 0..1 value. */
  readonly yFormat?: 'number' | 'percent';
  /** A dashed y = x line with this label, spanning the data on both axes (predicted vs measured plots). */
  readonly diagonal?: string;
  /** Plot height in CSS pixels (default 300); the width follows the page. */
  readonly height?: number;
}

/** What the runtime reads from a figure's JSON (one x array per distinct set of x values). */
interface WireChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly yFormat: 'number' | 'percent';
  readonly height: number;
  readonly xs: number[][];
  readonly series: WireSeries[];
  readonly vLines: { x: number; label: string; color: string; dash: number[] }[];
  readonly bands: { from: number; to: number; label: string }[];
  readonly tooltip: boolean;
}

interface WireSeries {
  readonly name: string;
  readonly color: string;
  readonly xi: number;
  readonly y: (number | null)[];
  readonly style: 'line' | 'markers' | 'line+markers';
  readonly width: number;
  readonly dash?: number[];
  readonly labels?: string[];
  readonly showLabels?: boolean;
  readonly spanGaps?: boolean;
}

/** x: 6 significant digits (steps stay exact); y: 4, as shown on hover and well below a pixel of a chart. */
const round = (v: number | null, digits = 6): number | null => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(digits)));

function withOpacity(color: string, opacity: number | undefined): string {
  if (opacity === undefined || opacity >= 1 || !/^#[0-9a-fA-F]{6}$/.test(color)) return color;
  return `${color}${Math.round(Math.max(0, opacity) * 255).toString(16).padStart(2, '0')}`;
}

/** Whether a chart has anything to draw. */
export function chartHasData(spec: ChartSpec): boolean {
  return spec.series.some((s) => s.points.some(([x, y]) => Number.isFinite(x) && y !== null && Number.isFinite(y)));
}

function toWire(spec: ChartSpec): WireChart {
  const xs: number[][] = [];
  const xIndex = new Map<string, number>();
  const xsOf = (values: number[]): number => {
    const key = values.join(',');
    let i = xIndex.get(key);
    if (i === undefined) {
      i = xs.push(values) - 1;
      xIndex.set(key, i);
    }
    return i;
  };
  const series: WireSeries[] = [];
  const allX: number[] = [];
  const allY: number[] = [];
  for (const s of spec.series) {
    // sorted by x, one point per x (uPlot aligns the series of a chart on their x values)
    const seen = new Set<number>();
    const pts = s.points
      .map(([x, y], i) => ({ x: round(x), y: round(y, 4), label: s.labels?.[i] }))
      .filter((p): p is { x: number; y: number | null; label: string | undefined } => p.x !== null && !seen.has(p.x) && (seen.add(p.x), true))
      .sort((a, b) => a.x - b.x);
    if (pts.length === 0) continue;
    for (const p of pts) {
      allX.push(p.x);
      if (p.y !== null) allY.push(p.y);
    }
    series.push({
      name: s.name,
      color: withOpacity(s.color, s.opacity),
      xi: xsOf(pts.map((p) => p.x)),
      y: pts.map((p) => p.y),
      style: s.style ?? 'line',
      width: s.width ?? (s.style === 'markers' ? 7 : 1.5),
      ...(s.dash ? { dash: [...s.dash] } : {}),
      ...(s.labels ? { labels: pts.map((p) => p.label ?? ''), showLabels: s.showLabels !== false } : {}),
      ...(s.spanGaps ? { spanGaps: true } : {}),
    });
  }
  const x0 = Math.min(...allX);
  const x1 = Math.max(...allX);
  if (series.length) {
    for (const h of spec.hLines ?? []) {
      if (!Number.isFinite(h.value)) continue;
      series.push({ name: h.label, color: h.color, xi: xsOf([x0, x1]), y: [round(h.value, 4), round(h.value, 4)], style: 'line', width: 1.5, dash: [...(h.dash ?? [6, 4])] });
    }
    if (spec.diagonal !== undefined) {
      const lo = Math.min(x0, ...allY);
      const hi = Math.max(x1, ...allY);
      series.unshift({ name: spec.diagonal, color: '#777777', xi: xsOf([lo, hi]), y: [lo, hi], style: 'line', width: 1, dash: [5, 4] });
    }
  }
  return {
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    yFormat: spec.yFormat ?? 'number',
    height: spec.height ?? 300,
    xs,
    series,
    vLines: (spec.vLines ?? []).filter((v) => Number.isFinite(v.value)).map((v) => ({ x: v.value, label: v.label, color: v.color, dash: [...(v.dash ?? [2, 3])] })),
    bands: (spec.bands ?? []).filter((b) => Number.isFinite(b.from) && Number.isFinite(b.to)).map((b) => ({ from: b.from, to: b.to, label: b.label })),
    tooltip: spec.series.some((s) => s.style === 'markers' || s.labels !== undefined),
  };
}

/**
 * A chart as an HTML <figure> with its data inline; the page needs chartStyles() and chartScripts()
 * once. Without data it is a titled "no data" box and carries no JSON.
 */
export function chart(spec: ChartSpec): string {
  if (!/^[A-Za-z][\w-]*$/.test(spec.id)) throw new Error(`chart: id must be letters, digits, "_" or "-", starting with a letter; got ${JSON.stringify(spec.id)}`);
  if (!chartHasData(spec)) {
    return `<figure class="chart ${spec.id} chart-empty"><figcaption>${esc(spec.title)}</figcaption><p class="empty">no data</p></figure>`;
  }
  return `<figure class="chart ${spec.id}" aria-label="${esc(spec.title)}"><div class="chart-host" style="min-height:${(spec.height ?? 300) + 60}px"></div><noscript><p class="empty">${esc(spec.title)}: this chart needs JavaScript.</p></noscript><script type="application/json" class="chart-data">${scriptJson(toWire(spec))}</script></figure>`;
}

interface UPlotAssets {
  readonly version: string;
  readonly license: string;
  readonly js: string;
  readonly css: string;
}

let assets: UPlotAssets | undefined;

/** uPlot's minified script, stylesheet and license, read once from the installed package. */
function uplot(): UPlotAssets {
  if (assets) return assets;
  const require = createRequire(import.meta.url);
  let js: string;
  let dir: string;
  try {
    const file = require.resolve('uplot/dist/uPlot.iife.min.js');
    dir = dirname(dirname(file));
    js = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`report charts: cannot read the uplot package (a dependency of @proxyless/report; run npm install): ${err instanceof Error ? err.message : String(err)}`);
  }
  const css = readFileSync(join(dir, 'dist', 'uPlot.min.css'), 'utf8');
  const license = readFileSync(join(dir, 'LICENSE'), 'utf8').trim();
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  // inlined as is into <script> and <style> (the license into a /* */ comment): nothing may end them early
  for (const [name, text, bad] of [
    ['dist/uPlot.iife.min.js', js, /<\/script|<!--/i],
    ['dist/uPlot.min.css', css, /<\/style|<!--/i],
    ['LICENSE', license, /<\/script|<!--|\*\//i],
  ] as const) {
    if (bad.test(text)) throw new Error(`report charts: uplot ${version} ${name} cannot be inlined: it contains ${String(bad)}`);
  }
  assets = { version, license, js, css };
  return assets;
}

const CHART_CSS = `
figure.chart{margin:0 0 12px;max-width:820px;position:relative}
figure.chart .u-title{font-size:13px;font-weight:600}
figure.chart .u-legend{font-size:12px;text-align:left}
figure.chart .u-legend .u-marker{width:14px;height:4px}
figure.chart-empty{border:1px dashed #ddd;padding:8px 12px}
figure.chart-empty figcaption{font-weight:600}
.chart-hint{color:#666;font-size:12px;margin:2px 0 8px}
.chart-tip{position:absolute;pointer-events:none;background:rgba(255,255,255,.95);border:1px solid #bbb;border-radius:4px;padding:4px 7px;font-size:12px;line-height:1.35;white-space:nowrap;z-index:10;box-shadow:0 1px 3px rgba(0,0,0,.15)}
.chart-tip b{font-weight:600}
`;

// The browser side. Plain ES2017, no globals but uPlot; every text from the data is set with textContent.
const CHART_RUNTIME = String.raw`(function () {
  'use strict';
  var ratio = function () { return uPlot.pxRatio || window.devicePixelRatio || 1; };
  function num(v) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(2);
    return String(Number(v.toPrecision(4)));
  }
  function pct(v) { return v == null || !isFinite(v) ? '–' : (v * 100).toFixed(1) + '%'; }
  function behind(spec) {
    return function (u) {
      var ctx = u.ctx, b = u.bbox, r = ratio();
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.left, b.top, b.width, b.height);
      ctx.clip();
      ctx.font = Math.round(10 * r) + 'px sans-serif';
      spec.bands.forEach(function (band) {
        var a = u.valToPos(band.from, 'x', true), z = u.valToPos(band.to, 'x', true);
        ctx.fillStyle = '#f1f1f1';
        ctx.fillRect(a, b.top, z - a, b.height);
        ctx.fillStyle = '#999';
        ctx.textAlign = 'center';
        ctx.fillText(band.label, (a + z) / 2, b.top + 12 * r);
      });
      spec.vLines.forEach(function (v) {
        var x = u.valToPos(v.x, 'x', true);
        ctx.strokeStyle = v.color;
        ctx.lineWidth = r;
        ctx.setLineDash(v.dash.map(function (d) { return d * r; }));
        ctx.beginPath();
        ctx.moveTo(x, b.top);
        ctx.lineTo(x, b.top + b.height);
        ctx.stroke();
        if (v.label) {
          ctx.fillStyle = '#999';
          ctx.textAlign = 'left';
          ctx.fillText(v.label, x + 3 * r, b.top + b.height - 4 * r);
        }
      });
      ctx.restore();
    };
  }
  function pointLabels(spec) {
    return function (u) {
      var ctx = u.ctx, b = u.bbox, r = ratio();
      ctx.save();
      ctx.font = Math.round(10 * r) + 'px sans-serif';
      ctx.fillStyle = '#333';
      spec.series.forEach(function (s, k) {
        if (!s.labels || !s.showLabels || !u.series[k + 1].show) return;
        var xs = spec.xs[s.xi];
        s.labels.forEach(function (label, i) {
          if (!label || s.y[i] == null) return;
          var x = u.valToPos(xs[i], 'x', true), y = u.valToPos(s.y[i], 'y', true);
          if (x < b.left || x > b.left + b.width || y < b.top || y > b.top + b.height) return;
          var left = x > b.left + b.width * 0.66;
          ctx.textAlign = left ? 'right' : 'left';
          ctx.fillText(label, x + (left ? -7 : 7) * r, y - 6 * r);
        });
      });
      ctx.restore();
    };
  }
  function tooltip(spec, fig, yf) {
    var tip = document.createElement('div');
    tip.className = 'chart-tip';
    tip.style.display = 'none';
    fig.appendChild(tip);
    var labelAt = spec.series.map(function (s) {
      if (!s.labels) return null;
      var m = new Map();
      spec.xs[s.xi].forEach(function (x, i) { m.set(x, s.labels[i]); });
      return m;
    });
    return function (u) {
      var i = u.cursor.idx;
      if (i == null) { tip.style.display = 'none'; return; }
      var x = u.data[0][i];
      while (tip.firstChild) tip.removeChild(tip.firstChild);
      var rows = 0;
      spec.series.forEach(function (s, k) {
        var y = u.data[k + 1][i];
        if (y == null || !u.series[k + 1].show || s.style === 'line') return;
        var line = document.createElement('div');
        var name = document.createElement('b');
        name.style.color = s.color;
        name.textContent = (labelAt[k] && labelAt[k].get(x)) || s.name;
        line.appendChild(name);
        line.appendChild(document.createTextNode(' ' + spec.xLabel + ' ' + num(x) + ', ' + spec.yLabel + ' ' + yf(y)));
        tip.appendChild(line);
        rows++;
      });
      if (!rows) { tip.style.display = 'none'; return; }
      var over = u.over, host = fig.getBoundingClientRect(), o = over.getBoundingClientRect();
      tip.style.display = 'block';
      var left = o.left - host.left + u.cursor.left + 12;
      if (left + tip.offsetWidth > host.width) left = o.left - host.left + u.cursor.left - tip.offsetWidth - 12;
      tip.style.left = Math.max(0, left) + 'px';
      tip.style.top = (o.top - host.top + u.cursor.top + 12) + 'px';
    };
  }
  function build(fig) {
    if (fig.getAttribute('data-chart-ready')) return;
    var data = fig.querySelector('script.chart-data');
    var host = fig.querySelector('.chart-host');
    if (!data || !host) return;
    fig.setAttribute('data-chart-ready', 'pending');
    var spec = JSON.parse(data.textContent);
    var yf = spec.yFormat === 'percent' ? pct : num;
    var series = [{ label: spec.xLabel, value: function (u, v) { return num(v); } }];
    spec.series.forEach(function (s) {
      var one = {
        label: s.name,
        stroke: s.color,
        width: s.style === 'markers' ? 2 : s.width, // markers: no line is drawn (paths), this is the legend swatch
        spanGaps: !!s.spanGaps,
        value: function (u, v) { return yf(v); },
        // lines: uPlot's default shows the points only where data is sparse (so a lone point is seen)
        points: s.style === 'line' ? { fill: s.color } : { show: true, size: s.style === 'markers' ? s.width : 7, fill: s.color, stroke: '#ffffff', width: 1 }
      };
      if (s.dash) one.dash = s.dash;
      if (s.style === 'markers') one.paths = function () { return null; };
      series.push(one);
    });
    var aligned = uPlot.join(spec.series.map(function (s) { return [spec.xs[s.xi], s.y]; }));
    var scatter = spec.tooltip;
    var hooks = { drawClear: [behind(spec)], draw: [pointLabels(spec)] };
    if (scatter) hooks.setCursor = [tooltip(spec, fig, yf)];
    // scatters: room around the outermost points (uPlot fits x exactly to the data); a zoom stays exact
    var xScale = { time: false };
    var x0 = aligned[0][0], x1 = aligned[0][aligned[0].length - 1];
    if (scatter) xScale.range = function (u, min, max) {
      if (min !== x0 || max !== x1) return [min, max];
      var pad = (x1 - x0) * 0.06 || Math.abs(x0) * 0.1 || 1;
      return [x0 - pad, x1 + pad];
    };
    var yScale = {};
    if (scatter) yScale.range = function (u, min, max) {
      var pad = (max - min) * 0.08 || Math.abs(min) * 0.1 || 1;
      return [min - pad, max + pad];
    };
    var width = function () { return Math.max(280, host.clientWidth || fig.clientWidth || 600); };
    var u = new uPlot({
      title: spec.title,
      width: width(),
      height: spec.height,
      scales: { x: xScale, y: yScale },
      series: series,
      axes: [
        { label: spec.xLabel, values: function (u, vals) { return vals.map(num); } },
        { label: spec.yLabel, size: 60, values: function (u, vals) { return vals.map(yf); } }
      ],
      cursor: { drag: { x: true, y: scatter, uni: 40 }, points: { size: 8 } },
      legend: { live: true },
      hooks: hooks
    }, aligned, host);
    host.style.minHeight = '';
    fig.uplot = u; // the uPlot instance, for scripts and tests
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(function () {
        var w = width();
        if (Math.abs(w - u.width) > 2) u.setSize({ width: w, height: spec.height });
      }).observe(host);
    }
    fig.setAttribute('data-chart-ready', 'true');
  }
  function buildVisible() {
    var figs = document.querySelectorAll('figure.chart');
    for (var i = 0; i < figs.length; i++) {
      if (figs[i].closest('[hidden]')) continue;
      try { build(figs[i]); } catch (e) {
        figs[i].setAttribute('data-chart-ready', 'error');
        var p = document.createElement('p');
        p.className = 'empty';
        p.textContent = 'This chart could not be drawn: ' + e.message;
        figs[i].appendChild(p);
        console.error(e);
      }
    }
  }
  // a <select class="chart-choice"> shows one of the charts of its group (the others stay unbuilt);
  // the choice survives a reload (sessionStorage), so refreshing a running search's report keeps it
  function choose(select) {
    var panes = select.closest('.chart-group').querySelectorAll('[data-choice]');
    for (var k = 0; k < panes.length; k++) panes[k].hidden = panes[k].getAttribute('data-choice') !== select.value;
  }
  var selects = document.querySelectorAll('select.chart-choice');
  for (var i = 0; i < selects.length; i++) {
    var key = 'proxyless-chart-choice-' + i, saved = null;
    try { saved = window.sessionStorage.getItem(key); } catch (e) { /* storage off */ }
    for (var o = 0; o < selects[i].options.length; o++) if (selects[i].options[o].value === saved) selects[i].value = saved;
    choose(selects[i]);
    selects[i].addEventListener('change', function (key) {
      return function (ev) {
        try { window.sessionStorage.setItem(key, ev.target.value); } catch (e) { /* storage off */ }
        choose(ev.target);
        buildVisible();
      };
    }(key));
  }
  buildVisible();
  document.body.setAttribute('data-charts', 'ready');
})();`;

/** The <style> of the charts: uPlot's stylesheet and the report's additions. */
export function chartStyles(): string {
  return `<style>${uplot().css}${CHART_CSS}</style>`;
}

/** The <script>s that draw every chart of the page: uPlot (with its MIT license) and the runtime. Put them at the end of <body>. */
export function chartScripts(): string {
  const u = uplot();
  // uPlot's own one-line banner is replaced by this one (same attribution plus the license text, and no
  // URL: a report contains no address at all)
  return `<script>/*! uPlot ${u.version} (github.com/leeoniya/uPlot)\n${u.license}\n*/\n${u.js.replace(/^\/\*![^*]*\*\/\s*/, '')}</script>\n<script>${CHART_RUNTIME}</script>`;
}

/** A short line under a chart group explaining zoom and hover. */
export const CHART_HINT = '<p class="chart-hint">Drag across a chart to zoom, double-click to reset; hover for values, click a legend entry to hide or show a series.</p>';

export interface ChartPageOptions {
  readonly title: string;
  /** Plain text under the heading. */
  readonly note?: string;
  readonly charts: readonly ChartSpec[];
}

/** A self-contained HTML page of charts (inline uPlot, no external references). */
export function chartPage(opts: ChartPageOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)}</title>
<style>body{margin:0;padding:16px 24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d1d1f}h1{font-size:20px;margin:0 0 6px}.note,.empty{color:#666}</style>
${chartStyles()}
</head>
<body>
<h1>${esc(opts.title)}</h1>
${opts.note ? `<p class="note">${esc(opts.note)}</p>` : ''}${CHART_HINT}
${opts.charts.map(chart).join('\n')}
${chartScripts()}
</body>
</html>
`;
}
