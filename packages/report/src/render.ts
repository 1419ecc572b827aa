import { candidateInfo, shortLabel, type CandidateInfo } from './candidates.js';
import type { ArchRecord, Comparison, DerivedFile, RunData } from './read-run.js';
import { chart, CHART_HINT, chartScripts, chartStyles, type ChartRefLine, type ChartSeries } from './charts.js';
import { Colors, esc, fmt, heatColor, n2, palette, pct, smooth } from './format.js';

export interface RenderOptions {
  /** Shown in the header (renderReport itself reads no clock). */
  readonly generatedAt?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Section ids, in page order. */
export const ReportSections = ['summary', 'curves', 'probabilities', 'architecture', 'latency', 'comparisons', 'config'] as const;

/** The derived architecture: result.json, else architecture.json, else the last epoch's argmax. */
function derivedOf(run: RunData): DerivedFile | undefined {
  if (run.result) return { ...run.architecture, ...run.result };
  if (run.architecture) return run.architecture;
  const e = run.epochs[run.epochs.length - 1];
  return e ? { architecture: e.architecture, probabilities: e.probabilities } : undefined;
}

/** Labels in α order: candidates.json, else the derived architecture, else the last probabilities seen. */
function labelsOf(run: RunData, derived: DerivedFile | undefined): string[] {
  if (run.candidates) return Object.keys(run.candidates);
  if (derived) return Object.keys(derived.architecture);
  const last = run.archSteps[run.archSteps.length - 1]?.probabilities ?? run.epochs[run.epochs.length - 1]?.probabilities;
  return last ? Object.keys(last) : [];
}

/** Candidate names of a label (candidates.json), else `#0`, `#1`, … as long as its probability vector. */
function candidateNames(run: RunData, label: string, count: number): string[] {
  const names = run.candidates?.[label];
  if (names) return names;
  return Array.from({ length: count }, (_, i) => `#${i}`);
}

function useOf(config: Obj | undefined, slot: string): string | undefined {
  const ref = config?.[slot];
  if (!isObj(ref) || typeof ref['use'] !== 'string') return undefined;
  return typeof ref['name'] === 'string' ? `${ref['use']} (${ref['name']})` : ref['use'];
}

function deviceOf(run: RunData): string | undefined {
  const d = run.start?.device;
  if (!d) return undefined;
  return [d.backend, d.device].filter(Boolean).join(' on ');
}

const argmax = (p: readonly number[]) => p.reduce((best, v, i) => ((v ?? -Infinity) > (p[best] ?? -Infinity) ? i : best), 0);

// ---------------------------------------------------------------- sections

function summarySection(run: RunData, derived: DerivedFile | undefined, opts: RenderOptions): string {
  const cfg = run.config;
  const lastEpoch = run.epochs[run.epochs.length - 1];
  const rows: [string, string][] = [];
  const add = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') rows.push([k, v]);
  };
  add('Run directory', run.dir);
  add('Started', run.start?.time);
  add('Device', deviceOf(run));
  add('Search space', useOf(cfg, 'space'));
  add('Strategy', useOf(cfg, 'strategy'));
  add('Latency provider', useOf(cfg, 'latency') ?? (cfg ? 'none' : undefined));
  add('Data', useOf(cfg, 'data'));
  const epochsDone = derived?.epochs ?? run.epochs.length;
  const planned = run.start?.epochs;
  add('Epochs', planned !== undefined && planned !== epochsDone ? `${epochsDone} of ${planned}` : String(epochsDone));
  add('Weight steps', String(derived?.steps ?? run.steps.length));
  add('Architecture steps', String(run.archSteps.length));
  if (derived?.seconds !== undefined) add('Search time', `${fmt(derived.seconds, 3)} s`);
  add('Validation accuracy', derived?.validationAccuracy !== undefined ? pct(derived.validationAccuracy, 2) : lastEpoch ? pct(lastEpoch.validationAccuracy, 2) : undefined);
  if (derived?.latency !== undefined) add('Latency (provider)', `${fmt(derived.latency)} ${derived.latencyUnit ?? ''}`.trim());
  const measured = measuredMs(run);
  if (measured) add('Latency (measured)', `${fmt(measured.value)} ms (${measured.source})`);
  if (run.resumes > 0) add('Resumed', `${run.resumes} time${run.resumes === 1 ? '' : 's'} from a checkpoint`);
  add('Report written', opts.generatedAt);
  const status = run.failed
    ? `<p class="banner fail">The search failed: ${esc(run.failed.name)}: ${esc(run.failed.message)}</p>`
    : !run.result
      ? `<p class="banner warn">No result.json: the search has not finished (or was interrupted); the report shows what was recorded so far.</p>`
      : '';
  const warn = run.warnings.map((w) => `<p class="banner warn">${esc(w)}</p>`).join('');
  return `<section id="summary"><h2 id="h-summary">Summary</h2>${status}${warn}<dl class="facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl></section>`;
}

/** Points per step series at most: a longer search is shown as means of consecutive steps (the page stays small). */
export const MAX_STEP_POINTS = 4000;

type Point = readonly [number, number | null];

/** At most `max` points: consecutive points averaged in equal groups (x and the finite y values). */
function thin(points: readonly Point[], max = MAX_STEP_POINTS): readonly Point[] {
  if (points.length <= max) return points;
  const out: Point[] = [];
  for (let b = 0; b < max; b++) {
    const group = points.slice(Math.floor((b * points.length) / max), Math.floor(((b + 1) * points.length) / max));
    const ys = group.map((p) => p[1]).filter((y): y is number => y !== null && Number.isFinite(y));
    out.push([group.reduce((a, p) => a + p[0], 0) / group.length, ys.length ? ys.reduce((a, y) => a + y, 0) / ys.length : null]);
  }
  return out;
}

function curvesSection(run: RunData): string {
  const bpe = run.start?.batchesPerEpoch;
  const lastStep = new Map<number, number>();
  for (const s of run.steps) lastStep.set(s.epoch, Math.max(lastStep.get(s.epoch) ?? -1, s.step));
  const epochX = (e: number) => lastStep.get(e) ?? (bpe !== undefined ? (e + 1) * bpe - 1 : e);
  const n = run.steps.length;
  const weight = Math.min(0.95, Math.max(0, 1 - 8 / Math.max(1, n)));
  const warm = run.steps.filter((s) => s.phase === 'warmup');
  const bands = warm.length ? [{ from: warm[0]!.step, to: warm[warm.length - 1]!.step + 0.5, label: 'warm-up (weights only)' }] : [];
  const vLines: ChartRefLine[] = [];
  const showEpochLabels = run.epochs.length <= 12;
  for (const e of run.epochs.slice(0, -1)) vLines.push({ value: epochX(e.epoch) + 0.5, label: showEpochLabels ? `e${e.epoch + 2}` : '', color: '#bbbbbb', dash: [2, 3] });

  const build = (kind: 'loss' | 'accuracy') => {
    const steps = run.steps.map((s) => [s.step, kind === 'loss' ? s.loss : s.accuracy] as const);
    const sm = smooth(steps.map((p) => p[1]), weight);
    const series: ChartSeries[] = [
      { name: 'train (per step)', color: Colors.sky, points: thin(steps), width: 1, opacity: 0.6 },
      { name: 'train (smoothed)', color: Colors.blue, points: thin(steps.map((p, i) => [p[0], sm[i]!] as const)), width: 2 },
      { name: 'train (epoch mean)', color: Colors.orange, points: run.epochs.map((e) => [epochX(e.epoch), kind === 'loss' ? e.trainLoss : e.trainAccuracy] as const), style: 'line+markers', width: 2 },
      { name: 'validation (epoch)', color: Colors.vermillion, points: run.epochs.map((e) => [epochX(e.epoch), kind === 'loss' ? e.validationLoss : e.validationAccuracy] as const), style: 'line+markers', width: 2 },
    ];
    return chart({
      id: `curve-${kind}`,
      title: kind === 'loss' ? 'Loss (cross-entropy)' : 'Top-1 accuracy',
      xLabel: 'weight step',
      yLabel: kind,
      series,
      bands,
      vLines,
      ...(kind === 'accuracy' ? { yFormat: 'percent' as const } : {}),
    });
  };
  const table = run.epochs.length
    ? `<table class="num"><thead><tr><th>epoch</th><th>phase</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>E[lat]</th><th>seconds</th></tr></thead><tbody>${run.epochs
        .map(
          (e) =>
            `<tr><td>${e.epoch + 1}</td><td>${esc(e.phase)}</td><td>${fmt(e.trainLoss)}</td><td>${pct(e.trainAccuracy)}</td><td>${fmt(e.validationLoss)}</td><td>${pct(e.validationAccuracy)}</td><td>${fmt(e.expectedLatency)}</td><td>${fmt(e.seconds, 3)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  return `<section id="curves"><h2 id="h-curves">Training and validation</h2>
<p class="note">Training loss and accuracy of each weight step (under the sampled paths; smoothed with a debiased moving average, weight ${fmt(weight, 2)}${n > MAX_STEP_POINTS ? `; ${n} steps drawn as ${MAX_STEP_POINTS} means of consecutive steps` : ''}), their epoch means, and the validation loss and accuracy of the epoch's argmax architecture.</p>
${CHART_HINT}<div class="pair">${build('loss')}${build('accuracy')}</div>${table}</section>`;
}

interface ProbRecord {
  readonly step: number;
  readonly probabilities: Record<string, number[]>;
}

/** Probability history: arch records, else epoch records (at the epoch's last step). */
function probabilityRecords(run: RunData): { recs: ProbRecord[]; source: string } {
  if (run.archSteps.length) return { recs: run.archSteps.map((a: ArchRecord) => ({ step: a.step, probabilities: a.probabilities })), source: 'architecture step' };
  const bpe = run.start?.batchesPerEpoch ?? 1;
  return { recs: run.epochs.map((e) => ({ step: (e.epoch + 1) * bpe - 1, probabilities: e.probabilities })), source: 'epoch' };
}

/** At most `max` records: consecutive records averaged in equal groups (step and every probability). */
function binRecords(recs: readonly ProbRecord[], max: number): ProbRecord[] {
  const bins = Math.min(max, recs.length);
  const out: ProbRecord[] = [];
  for (let b = 0; b < bins; b++) {
    const group = recs.slice(Math.floor((b * recs.length) / bins), Math.floor(((b + 1) * recs.length) / bins));
    const avg: Record<string, number[]> = {};
    for (const [label, p] of Object.entries(group[0]!.probabilities)) {
      avg[label] = p.map((_, j) => group.reduce((s, r) => s + (r.probabilities[label]?.[j] ?? 0), 0) / group.length);
    }
    out.push({ step: group.reduce((s, r) => s + r.step, 0) / group.length, probabilities: avg });
  }
  return out;
}

/** Records per block in the interactive probability chart at most (the heatmap has 80 columns). */
export const MAX_PROBABILITY_POINTS = 400;

/** One interactive chart per block (a select chooses the block): each candidate's probability over time. */
function probabilityCharts(run: RunData, derived: DerivedFile | undefined, labels: string[], recs: readonly ProbRecord[], source: string): string {
  if (recs.length < 2) return '';
  const shown = binRecords(recs, MAX_PROBABILITY_POINTS);
  const options: string[] = [];
  const panes: string[] = [];
  labels.forEach((label, i) => {
    const count = Math.max(...shown.map((r) => r.probabilities[label]?.length ?? 0), run.candidates?.[label]?.length ?? 0);
    const names = candidateNames(run, label, count);
    const chosen = derived?.architecture[label];
    options.push(`<option value="${esc(label)}">${esc(label)}${chosen !== undefined ? ` (chosen: ${esc(chosen)})` : ''}</option>`);
    const series: ChartSeries[] = names.map((name, j) => ({
      name: name === chosen ? `${name} (chosen)` : name,
      color: palette[j % palette.length]!,
      points: shown.map((r) => [r.step, r.probabilities[label]?.[j] ?? null] as const),
      width: name === chosen ? 2.5 : 1.5,
    }));
    const title = `${label}: probability of each path${shown.length < recs.length ? ` (${shown.length} means of about ${fmt(recs.length / shown.length, 2)} ${source} records)` : ''}`;
    panes.push(`<div data-choice="${esc(label)}"${i === 0 ? '' : ' hidden'}>${chart({ id: `prob-${i}`, title, xLabel: 'weight step', yLabel: 'probability', yFormat: 'percent', series, height: 260 })}</div>`);
  });
  return `<div class="chart-group probability-charts"><label>Block <select class="chart-choice" aria-label="block">${options.join('')}</select></label>${panes.join('')}</div>`;
}

function probabilitiesSection(run: RunData, derived: DerivedFile | undefined, labels: string[]): string {
  const { recs, source } = probabilityRecords(run);
  const cols = binRecords(recs, 80).map((r) => r.probabilities);
  const records = recs.length;
  const x0 = recs[0]?.step ?? 0;
  const x1 = recs[recs.length - 1]?.step ?? 0;
  const final = derived?.probabilities ?? cols[cols.length - 1] ?? {};
  if (labels.length === 0 || (cols.length === 0 && Object.keys(final).length === 0)) {
    return `<section id="probabilities"><h2 id="h-probabilities">Path probabilities</h2><p class="empty">No architecture probabilities recorded yet.</p></section>`;
  }
  const columns = cols.length ? cols : [final];
  // colour scale [0, top]: top is a round number ≥ the largest probability shown, so early, spread-out
  // distributions keep visible contrast while every cell stays comparable with every other
  let pMax = 0;
  for (const c of [...columns, final]) for (const p of Object.values(c)) for (const v of p) if (Number.isFinite(v)) pMax = Math.max(pMax, v);
  const top = [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1].find((t) => t >= pMax - 1e-9) ?? 1;
  const color = (p: number) => heatColor(p / top);
  const W = 820;
  const left = 170;
  const right = 64;
  const pw = W - left - right;
  const cw = pw / columns.length;
  const rh = 15;
  const o: string[] = [];
  let y = 8;
  for (const label of labels) {
    const pFinal = final[label] ?? columns[columns.length - 1]![label] ?? [];
    const count = Math.max(pFinal.length, run.candidates?.[label]?.length ?? 0);
    const names = candidateNames(run, label, count);
    const chosenName = derived?.architecture[label];
    const chosen = chosenName !== undefined ? names.indexOf(chosenName) : argmax(pFinal);
    y += 16;
    o.push(`<text x="4" y="${y - 3}" class="hlabel">${esc(label)}</text>`);
    names.forEach((name, j) => {
      const ry = y + j * rh;
      const isChosen = j === chosen;
      const pf = pFinal[j];
      o.push(`<g class="heat-row${isChosen ? ' chosen' : ''}" data-label="${esc(label)}" data-candidate="${esc(name)}">`);
      o.push(`<title>${esc(`${label} · ${name}: final p = ${pf !== undefined ? fmt(pf, 3) : '–'}${isChosen ? ' (chosen)' : ''}`)}</title>`);
      o.push(`<text x="${left - 6}" y="${ry + rh - 4}" text-anchor="end" class="cname">${isChosen ? '▶ ' : ''}${esc(name)}</text>`);
      columns.forEach((c, k) => {
        const p = c[label]?.[j] ?? 0;
        o.push(`<rect x="${n2(left + k * cw)}" y="${ry}" width="${n2(cw + 0.3)}" height="${rh - 1}" fill="${color(p)}"/>`);
      });
      o.push(`<text x="${left + pw + 6}" y="${ry + rh - 4}" class="pval">${pf !== undefined ? pct(pf, 0) : '–'}</text>`);
      o.push('</g>');
    });
    y += names.length * rh + 4;
  }
  // x axis (steps) and colour bar
  y += 4;
  o.push(`<g class="axis"><line x1="${left}" x2="${left + pw}" y1="${y}" y2="${y}"/>`);
  if (cols.length > 1 && x1 > x0) {
    // first and last step under the first and last column; zoom and exact steps are in the charts below
    for (const [t, tx, anchor] of [
      [x0, left + cw / 2, 'start'],
      [x1, left + pw - cw / 2, 'end'],
    ] as const) {
      o.push(`<line x1="${n2(tx)}" x2="${n2(tx)}" y1="${y}" y2="${y + 4}"/><text x="${n2(tx)}" y="${y + 16}" text-anchor="${anchor}">${esc(fmt(t))}</text>`);
    }
    o.push(`<text x="${left + pw / 2}" y="${y + 32}" text-anchor="middle" class="alabel">weight step (${columns.length} column${columns.length === 1 ? '' : 's'}${columns.length < records ? `, each the mean of about ${fmt(records / columns.length, 2)} ${esc(source)} records` : `, one per ${esc(source)} record`})</text>`);
  } else {
    o.push(`<text x="${left + pw / 2}" y="${y + 16}" text-anchor="middle" class="alabel">final probabilities</text>`);
  }
  o.push(`<text x="${left + pw + 6}" y="${y + 16}" class="alabel">final</text></g>`);
  y += 44;
  o.push(`<g class="colorbar"><text x="${left - 6}" y="${y + 10}" text-anchor="end">p = 0</text>`);
  for (let i = 0; i < 20; i++) o.push(`<rect x="${left + i * 10}" y="${y}" width="10.3" height="12" fill="${heatColor(i / 19)}"/>`);
  o.push(`<text x="${left + 206}" y="${y + 10}">${top === 1 ? '1' : `≥ ${fmt(top)}`}</text></g>`);
  y += 20;
  const svg = `<svg class="heatmap" viewBox="0 0 ${W} ${y}" role="img" aria-label="path probabilities over time">${o.join('')}</svg>`;
  return `<section id="probabilities"><h2 id="h-probabilities">Path probabilities over time</h2>
<p class="note">One row per candidate path of each searchable block; colour is the softmax probability of that path (from α) at each ${esc(source)} record, left to right in time${top < 1 ? ` (the colour scale ends at ${fmt(top)}, just above the largest probability shown)` : ''}. ▶ marks the derived choice; the right column is the final probability.${run.candidates ? '' : ' No candidates.json in the run directory: candidates are shown by index.'}</p>${svg}
<p class="note">The same probabilities per block, at every ${esc(source)} record: choose a block, drag to zoom, hover for values.</p>${probabilityCharts(run, derived, labels, recs, source)}</section>`;
}

interface BlockView {
  readonly label: string;
  readonly op: string;
  readonly info: CandidateInfo;
  readonly p?: number;
  readonly width?: number;
  readonly stride?: number;
}

function kernelColor(k: number | undefined): string {
  if (k === 3) return Colors.sky;
  if (k === 5) return Colors.orange;
  if (k === 7) return Colors.vermillion;
  if (k === 1) return Colors.green;
  return '#bbbbbb';
}

function blockGeometry(c: CandidateInfo): { w: number; h: number } {
  if (c.kind === 'zero' || c.kind === 'identity') return { w: 22, h: 34 };
  return { w: 16 + 7 * (c.expand ?? 1), h: c.kernel ? 34 + 12 * c.kernel : 60 };
}

function architectureSection(run: RunData, derived: DerivedFile | undefined, labels: string[]): string {
  if (!derived) return `<section id="architecture"><h2 id="h-architecture">Derived architecture</h2><p class="empty">No architecture derived yet (no architecture.json, result.json or epoch record).</p></section>`;
  const space = isObj(run.config?.['space']) ? (run.config!['space'] as Obj) : isObj(derived.space) ? (derived.space as Obj) : undefined;
  const opts = isObj(space?.['options']) ? (space!['options'] as Obj) : undefined;
  const cfgBlocks = Array.isArray(opts?.['blocks']) ? (opts!['blocks'] as unknown[]) : undefined;
  const order = labels.filter((l) => l in derived.architecture);
  for (const l of Object.keys(derived.architecture)) if (!order.includes(l)) order.push(l);
  const blocks: BlockView[] = order.map((label, i) => {
    const op = derived.architecture[label]!;
    const names = run.candidates?.[label];
    const probs = derived.probabilities[label];
    const idx = names ? names.indexOf(op) : probs ? argmax(probs) : -1;
    const b = cfgBlocks && cfgBlocks.length === order.length && isObj(cfgBlocks[i]) ? (cfgBlocks[i] as Obj) : undefined;
    return {
      label,
      op,
      info: candidateInfo(derived['candidateDescriptions'] ?? run.architecture?.['candidateDescriptions'], label, op),
      ...(probs && idx >= 0 && probs[idx] !== undefined ? { p: probs[idx] } : {}),
      ...(typeof b?.['width'] === 'number' ? { width: b['width'] } : {}),
      ...(typeof b?.['stride'] === 'number' ? { stride: b['stride'] } : {}),
    };
  });
  // Figure 6 style: a left-to-right chain of boxes, wrapped into rows of at most `perRow` blocks.
  const perRow = 14;
  const gap = 18;
  const maxH = Math.max(60, ...blocks.map((b) => blockGeometry(b.info).h));
  const rowH = maxH + 64;
  const rows: BlockView[][] = [];
  for (let i = 0; i < blocks.length; i += perRow) rows.push(blocks.slice(i, i + perRow));
  if (rows.length === 0) rows.push([]);
  const o: string[] = [];
  let W = 0;
  rows.forEach((row, r) => {
    const cy = 30 + r * rowH + maxH / 2;
    let x = 8;
    const arrow = (x0: number, x1: number) => {
      o.push(`<line class="flow" x1="${n2(x0)}" x2="${n2(x1 - 5)}" y1="${n2(cy)}" y2="${n2(cy)}"/><polygon class="flow-head" points="${n2(x1)},${n2(cy)} ${n2(x1 - 6)},${n2(cy - 3.5)} ${n2(x1 - 6)},${n2(cy + 3.5)}"/>`);
    };
    const plain = (label: string, w: number) => {
      o.push(`<g class="arch-io"><rect x="${n2(x)}" y="${n2(cy - 30)}" width="${w}" height="60" rx="4"/><text transform="translate(${n2(x + w / 2 + 4)} ${n2(cy)}) rotate(-90)" text-anchor="middle">${esc(label)}</text></g>`);
      x += w;
    };
    if (r === 0) {
      plain('input', 22);
      arrow(x, x + gap);
      x += gap;
      plain('stem', 26);
    } else {
      o.push(`<text x="${x}" y="${n2(cy + 4)}" class="cont">…</text>`);
      x += 14;
    }
    for (const b of row) {
      arrow(x, x + gap);
      x += gap;
      const { w, h } = blockGeometry(b.info);
      const skipped = b.info.kind === 'zero' || b.info.kind === 'identity';
      const attrs = `class="arch-block${skipped ? ' skipped' : ''}" data-label="${esc(b.label)}" data-op="${esc(b.op)}"${b.info.kernel ? ` data-kernel="${b.info.kernel}"` : ''}${b.info.expand ? ` data-expand="${b.info.expand}"` : ''}`;
      const tip = `${b.label}: ${b.op}${b.p !== undefined ? ` (p = ${fmt(b.p, 3)})` : ''}${skipped ? ' — block skipped (identity)' : ''}`;
      o.push(`<g ${attrs}><title>${esc(tip)}</title>`);
      if (skipped) {
        o.push(`<rect x="${n2(x)}" y="${n2(cy - h / 2)}" width="${w}" height="${h}" rx="3" fill="none" stroke="#888" stroke-dasharray="4 3"/>`);
        o.push(`<line class="flow" x1="${n2(x)}" x2="${n2(x + w)}" y1="${n2(cy)}" y2="${n2(cy)}"/>`);
        o.push(`<text x="${n2(x + w / 2)}" y="${n2(cy - h / 2 - 4)}" text-anchor="middle" class="skiplabel">skip</text>`);
      } else {
        o.push(`<rect x="${n2(x)}" y="${n2(cy - h / 2)}" width="${w}" height="${h}" rx="3" fill="${kernelColor(b.info.kernel)}" stroke="#333"/>`);
        o.push(`<text transform="translate(${n2(x + w / 2 + 4)} ${n2(cy)}) rotate(-90)" text-anchor="middle" class="blocktext">${esc(shortLabel(b.info))}</text>`);
      }
      const meta = [b.stride !== undefined && b.stride !== 1 ? `s${b.stride}` : '', b.width !== undefined ? `${b.width}ch` : ''].filter(Boolean).join(' ');
      o.push(`<text x="${n2(x + w / 2)}" y="${n2(30 + r * rowH + maxH + 16)}" text-anchor="middle" class="blabel">${esc(b.label)}</text>`);
      if (meta) o.push(`<text x="${n2(x + w / 2)}" y="${n2(30 + r * rowH + maxH + 29)}" text-anchor="middle" class="bmeta">${esc(meta)}</text>`);
      if (b.p !== undefined) o.push(`<text x="${n2(x + w / 2)}" y="${n2(30 + r * rowH + maxH + (meta ? 42 : 29))}" text-anchor="middle" class="bmeta">${pct(b.p, 0)}</text>`);
      o.push('</g>');
      x += w;
    }
    if (r === rows.length - 1) {
      arrow(x, x + gap);
      x += gap;
      plain('head', 26);
    } else {
      o.push(`<text x="${n2(x + 4)}" y="${n2(cy + 4)}" class="cont">…</text>`);
      x += 14;
    }
    W = Math.max(W, x + 8);
  });
  const H = 30 + rows.length * rowH;
  const svg = `<svg class="archdiagram" viewBox="0 0 ${n2(W)} ${H}" style="max-width:${Math.max(320, Math.round(W * 1.25))}px" role="img" aria-label="derived architecture">${o.join('')}</svg>`;
  const kernels = [...new Set(blocks.map((b) => b.info.kernel).filter((k): k is number => k !== undefined))].sort((a, b) => a - b);
  const legend = `<div class="archlegend">${kernels.map((k) => `<span><i style="background:${kernelColor(k)}"></i>${k}×${k} kernel</span>`).join('')}<span>box height grows with the kernel size, box width with the expand ratio</span><span><i class="dashed"></i>skipped block (zero op: identity)</span></div>`;
  const table = `<table class="num arch"><thead><tr><th>block</th><th>chosen op</th><th>kernel</th><th>expand</th><th>p</th><th>runner-up</th></tr></thead><tbody>${blocks
    .map((b) => {
      const probs = derived.probabilities[b.label] ?? [];
      const names = candidateNames(run, b.label, probs.length);
      const ranked = probs.map((p, i) => [p, i] as const).sort((a, c) => c[0] - a[0]);
      const second = ranked.find(([, i]) => names[i] !== b.op);
      return `<tr class="${b.info.kind === 'zero' ? 'skipped' : ''}"><td>${esc(b.label)}</td><td>${esc(b.op)}</td><td>${b.info.kernel ?? '–'}</td><td>${b.info.expand ?? '–'}</td><td>${b.p !== undefined ? pct(b.p, 1) : '–'}</td><td>${second ? `${esc(names[second[1]] ?? `#${second[1]}`)} (${pct(second[0], 1)})` : '–'}</td></tr>`;
    })
    .join('')}</tbody></table>`;
  const skipped = blocks.filter((b) => b.info.kind === 'zero').length;
  return `<section id="architecture"><h2 id="h-architecture">Derived architecture</h2>
<p class="note">${blocks.length} searchable block${blocks.length === 1 ? '' : 's'}${skipped ? `, ${skipped} skipped` : ''}, drawn like ProxylessNAS Figure 6: one box per block, in order; the percentage under each box is the probability of the chosen path.</p>${svg}${legend}${table}</section>`;
}

/** A measured latency in ms: result.json `measured_latency_ms`, else latency.json. */
function measuredMs(run: RunData): { value: number; source: string } | undefined {
  if (run.result?.measured_latency_ms !== undefined) return { value: run.result.measured_latency_ms, source: 'result.json' };
  if (run.latency?.measured_latency_ms !== undefined) return { value: run.latency.measured_latency_ms, source: `latency.json${run.latency.target ? `, ${run.latency.target}` : ''}` };
  return undefined;
}

function latencySection(run: RunData, derived: DerivedFile | undefined): string {
  const expected = run.archSteps.filter((a) => a.expectedLatency !== null).map((a) => [a.step, a.expectedLatency] as const);
  const unit = derived?.latencyUnit ?? (expected.length ? 'provider units' : undefined);
  const measured = measuredMs(run);
  const parts: string[] = [];
  const hLines: ChartRefLine[] = [];
  if (derived?.latency !== undefined) hLines.push({ value: derived.latency, label: `derived network (lookup): ${fmt(derived.latency)} ${unit ?? ''}`.trim(), color: Colors.green });
  const sameUnit = unit === 'ms';
  if (measured && sameUnit) hLines.push({ value: measured.value, label: `derived network (measured): ${fmt(measured.value)} ms`, color: Colors.vermillion, dash: [2, 3] });
  if (expected.length) {
    parts.push(
      chart({
        id: 'latency-chart',
        title: `Expected latency E[lat] of the supernet under α`,
        xLabel: 'weight step',
        yLabel: `latency (${unit})`,
        series: [{ name: 'E[lat] at each architecture step', color: Colors.blue, points: expected, width: 2 }],
        hLines,
      }),
    );
  } else {
    parts.push(
      useOf(run.config, 'latency') && !run.result
        ? `<p class="empty">No expected latency recorded yet: it is recorded at every architecture step, which start after the warm-up.</p>`
        : `<p class="empty">No expected latency recorded: this search had no latency provider (add <code>latency: { use: … }</code> to the config).</p>`,
    );
  }
  const rows: [string, string][] = [];
  if (expected.length) {
    rows.push(['E[lat] at the first architecture step', `${fmt(expected[0]![1])} ${unit}`]);
    rows.push(['E[lat] at the last architecture step', `${fmt(expected[expected.length - 1]![1])} ${unit}`]);
  }
  if (derived?.latency !== undefined) rows.push(['Derived network, from the latency provider', `${fmt(derived.latency)} ${unit ?? ''}`]);
  if (measured) rows.push([`Derived network, measured (${measured.source})`, `${fmt(measured.value)} ms`]);
  if (measured && derived?.latency !== undefined && sameUnit && derived.latency > 0) rows.push(['Measured / predicted', `${fmt(measured.value / derived.latency, 3)}×`]);
  for (const m of run.latency?.measurements ?? []) rows.push([`Measured on ${m.target}`, `${fmt(m.latency)} ${m.unit}`]);
  if (run.latency?.note) rows.push(['Note (latency.json)', run.latency.note]);
  if (rows.length) parts.push(`<table class="kv">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`);
  if (!measured) parts.push(`<p class="note">No measured latency of the derived network yet (add <code>measured_latency_ms</code> to result.json or write latency.json).</p>`);
  return `<section id="latency"><h2 id="h-latency">Expected vs measured latency</h2>${parts.join('')}</section>`;
}

function comparisonsSection(run: RunData): string {
  const list = run.comparisons ?? [];
  const head = `<section id="comparisons"><h2 id="h-comparisons">Accuracy vs latency</h2>`;
  if (list.length === 0) {
    return `${head}<p class="empty">No comparisons yet. Put a comparisons.json in the run directory (an array of <code>{ "name", "latency", "latencyUnit", "accuracy", "kind", "series"? }</code>) to plot the searched network against baselines.</p></section>`;
  }
  const kinds = [...new Set(list.map((c) => c.kind))];
  const color = (k: string) => (k === 'searched' ? Colors.vermillion : k === 'baseline' ? Colors.blue : palette[(kinds.indexOf(k) + 2) % palette.length]!);
  const units = [...new Set(list.map((c) => c.latencyUnit))];
  const charts = units.map((u) => {
    const pts = list.filter((c) => c.latencyUnit === u);
    const series: ChartSeries[] = [];
    const bySeries = new Map<string, Comparison[]>();
    for (const c of pts) if (c.series) bySeries.set(c.series, [...(bySeries.get(c.series) ?? []), c]);
    for (const [name, cs] of bySeries) {
      if (cs.length < 2) continue;
      const sorted = [...cs].sort((a, b) => a.latency - b.latency);
      series.push({ name, color: color(sorted[0]!.kind), points: sorted.map((c) => [c.latency, c.accuracy] as const), width: 1.5, dash: [4, 3] });
    }
    for (const k of kinds) {
      const cs = pts.filter((c) => c.kind === k);
      if (cs.length === 0) continue;
      series.push({
        name: k,
        color: color(k),
        style: 'markers',
        width: k === 'searched' ? 11 : 9,
        points: cs.map((c) => [c.latency, c.accuracy] as const),
        labels: cs.map((c) => c.name),
      });
    }
    return chart({ id: 'scatter', title: `Accuracy vs latency (${u})`, xLabel: `latency (${u})`, yLabel: 'accuracy', series, yFormat: 'percent', height: 360 });
  });
  const table = `<table class="num"><thead><tr><th>network</th><th>kind</th><th>latency</th><th>accuracy</th><th>note</th></tr></thead><tbody>${list
    .map((c) => `<tr><td>${esc(c.name)}</td><td>${esc(c.kind)}</td><td>${fmt(c.latency)} ${esc(c.latencyUnit)}</td><td>${pct(c.accuracy, 2)}</td><td>${esc(c.note ?? '')}</td></tr>`)
    .join('')}</tbody></table>`;
  return `${head}${charts.join('')}${table}</section>`;
}

function configSection(run: RunData): string {
  const body = run.config ? `<details><summary>config.json (resolved)</summary><pre>${esc(JSON.stringify(run.config, null, 2))}</pre></details>` : '<p class="empty">No config.json in the run directory.</p>';
  return `<section id="config"><h2 id="h-config">Configuration</h2>${body}</section>`;
}

const CSS = `
:root{--fg:#1d1d1f;--muted:#666;--line:#ddd;--bg:#fff;--panel:#f7f7f8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 28px 10px;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{margin:0;font-size:22px}
header .sub{color:var(--muted)}
nav#toc{display:flex;flex-wrap:wrap;gap:4px 14px;margin-top:8px}
nav#toc a{color:#0b5cad;text-decoration:none}
nav#toc a:hover{text-decoration:underline}
main{padding:8px 28px 40px;max-width:1200px}
section{margin:22px 0 10px}
h2{font-size:18px;border-bottom:1px solid var(--line);padding-bottom:4px}
.note{color:var(--muted);max-width:900px}
.empty{color:var(--muted);font-style:italic}
.banner{padding:8px 12px;border-radius:6px}
.banner.warn{background:#fff6df;border:1px solid #f0d58a}
.banner.fail{background:#fde8e6;border:1px solid #eaa39a}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:3px 18px;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-all}
.pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
.pair figure.chart{min-width:0}
.chart-group label{display:inline-block;margin:4px 0 8px;color:var(--muted)}
.chart-group select{margin-left:6px;font:inherit}
svg{display:block;width:100%;height:auto;font-size:11px;font-family:inherit}
svg.heatmap{max-width:1000px}
svg .axis line{stroke:#999}
svg .axis text{fill:#444}
svg .alabel{fill:#555}
svg .hlabel{font-weight:600;font-size:12px}
svg .cname{fill:#333}
svg .heat-row.chosen .cname{font-weight:700}
svg .heat-row:hover rect{stroke:#000;stroke-width:.3}
svg .pval{fill:#333}
svg .flow{stroke:#555;stroke-width:1.5}
svg .flow-head{fill:#555}
svg .arch-io rect{fill:#e4e4e4;stroke:#888}
svg .blocktext{font-size:11px;font-weight:600;fill:#111}
svg .blabel{font-size:11px;font-weight:600}
svg .bmeta{font-size:10px;fill:#666}
svg .skiplabel{font-size:10px;fill:#888}
svg .cont{font-size:16px;fill:#888}
.archlegend{display:flex;flex-wrap:wrap;gap:6px 18px;color:var(--muted);margin:6px 0 10px}
.archlegend i{display:inline-block;width:12px;height:12px;border:1px solid #333;margin-right:5px;vertical-align:-2px}
.archlegend i.dashed{border:1px dashed #888;background:none}
table{border-collapse:collapse;margin:10px 0}
th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
table.num td{font-variant-numeric:tabular-nums}
tr.skipped td{color:#999;font-style:italic}
table.kv th{font-weight:normal;color:var(--muted)}
pre{background:var(--panel);padding:10px;overflow:auto;max-height:480px;font-size:12px}
code{background:var(--panel);padding:0 3px}
`;

// Builds the table of contents from the section headings and marks the page as scripted.
const SCRIPT = `(function(){var nav=document.getElementById('toc');if(!nav)return;var hs=document.querySelectorAll('main section > h2[id]');for(var i=0;i<hs.length;i++){var a=document.createElement('a');a.href='#'+hs[i].id;a.textContent=hs[i].textContent;a.className='toc-link';nav.appendChild(a);}document.body.setAttribute('data-report-js','ready');})();`;

/** Renders the report of a run as one self-contained HTML page (inline CSS, SVG, chart data and scripts with uPlot; no external references). */
export function renderReport(run: RunData, opts: RenderOptions = {}): string {
  const derived = derivedOf(run);
  const labels = labelsOf(run, derived);
  const body = [
    summarySection(run, derived, opts),
    curvesSection(run),
    probabilitiesSection(run, derived, labels),
    architectureSection(run, derived, labels),
    latencySection(run, derived),
    comparisonsSection(run),
    configSection(run),
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>proxyless report — ${esc(run.name)}</title>
<style>${CSS}</style>
${chartStyles()}
</head>
<body>
<header><h1>Search report: ${esc(run.name)}</h1><div class="sub">ProxylessNAS search run${derived?.validationAccuracy !== undefined ? ` · validation accuracy ${pct(derived.validationAccuracy, 2)}` : ''}${derived?.latency !== undefined ? ` · latency ${fmt(derived.latency)} ${esc(derived.latencyUnit ?? '')}` : ''}</div><nav id="toc" aria-label="sections"></nav></header>
<main>
${body}
</main>
${chartScripts()}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
