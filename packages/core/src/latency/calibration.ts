import { existsSync, readFileSync } from 'node:fs';
import type { Rng } from '../random/rng.js';
import type { Architecture } from '../spaces/architecture.js';
import type { Network } from '../spaces/search-space.js';
import type { OpFeatures } from '../spaces/op-features.js';
import type { LatencyProvider } from './latency-provider.js';
import { relativeTimer, type RelativeTimer } from './relative-timing.js';

/**
 * How the op table maps to whole-network latency, fitted on networks measured whole:
 *
 *   measured ≈ scale · Σ op latency + perLayer · (non-zero layers) + offset
 *
 * The op sum misses what a network costs beyond its ops one by one (dispatch per layer, memory
 * traffic between layers, the read-back), typically +10–30% on wasm. The model is linear in every
 * op's latency, so E[lat] under it is still Σ_i p_i·lat'_i per mixed op with
 * lat'_i = scale·lat_i + perLayer (0 for `zero`), and the derive's budget uses the same numbers.
 */
export interface LatencyCalibration {
  readonly scale: number;
  /** Per non-zero layer (mixed-op choices and fixed layers), in the provider's unit. */
  readonly perLayer: number;
  /** Per network. */
  readonly offset: number;
  /** The networks it was fitted on: their op-table sum, layer count and measured latency. */
  readonly samples: readonly { readonly tableSum: number; readonly layers: number; readonly measured: number }[];
  /**
   * The reference network the networks were timed against (`relativeTimer`) and its least timing: a
   * resumed search and `proxyless derive` price their measurements against the same quiet latency.
   */
  readonly reference?: { readonly architecture: Architecture; readonly latency: number };
  /** Mean absolute percentage error of the op sum, and of the calibrated model, on those networks (in %). */
  readonly mapeBefore: number;
  readonly mapeAfter: number;
  /** The form chosen by leave-one-out error (see `fitLatencyCalibration`); absent in calibrations stored before it. */
  readonly model?: CalibrationModel;
  /** The chosen form's mean absolute percentage error on each network when fitted without it (in %). */
  readonly mapeHeldOut?: number;
}

/** Solves the normal equations of least squares (few unknowns; Gaussian elimination with partial pivoting). */
function leastSquares(X: readonly number[][], y: readonly number[]): number[] | undefined {
  const k = X[0]!.length;
  const A = Array.from({ length: k }, (_, i) => Array.from({ length: k + 1 }, (_, j) => (j < k ? X.reduce((s, r) => s + r[i]! * r[j]!, 0) : X.reduce((s, r, n) => s + r[i]! * y[n]!, 0))));
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    if (Math.abs(A[p]![c]!) < 1e-12) return undefined;
    [A[c], A[p]] = [A[p]!, A[c]!];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let j = c; j <= k; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  return A.map((row, i) => row[k]! / row[i]!);
}

const mape = (pred: readonly number[], y: readonly number[]) => (100 * pred.reduce((s, p, i) => s + Math.abs(p - y[i]!) / y[i]!, 0)) / y.length;

/** The calibration's three nested forms, from the fewest parameters up. */
export type CalibrationModel = 'ratio' | 'line' | 'line+layers';

type Sample = LatencyCalibration['samples'][number];
type Coefficients = [scale: number, perLayer: number, offset: number];

/** Fits one form by least squares; undefined when it cannot be fitted or would price an op or a sample ≤ 0. */
function fitForm(form: CalibrationModel, samples: readonly Sample[], minOpLatency: number): Coefficients | undefined {
  const y = samples.map((s) => s.measured);
  if (form === 'ratio') return [y.reduce((a, b) => a + b, 0) / samples.reduce((a, s) => a + s.tableSum, 0), 0, 0];
  const X = samples.map((s) => (form === 'line+layers' ? [s.tableSum, s.layers, 1] : [s.tableSum, 1]));
  if (samples.length < X[0]!.length) return undefined;
  const w = leastSquares(X, y);
  if (!w || !(w[0]! > 0) || !w.every(Number.isFinite)) return undefined;
  const [a, c, b] = form === 'line+layers' ? (w as Coefficients) : ([w[0]!, 0, w[1]!] as Coefficients);
  // every layer's price a·lat + c must stay ≥ 0 (the cheapest op's too), and every sample's prediction > 0
  const ok = a * minOpLatency + c >= 0 && samples.every((s) => a * s.tableSum + c * s.layers + b > 0);
  return ok ? [a, c, b] : undefined;
}

const predict = ([a, c, b]: Coefficients, s: Sample) => a * s.tableSum + c * s.layers + b;

/**
 * Fits the calibration on measured networks, choosing its form by leave-one-out error: the ratio
 * measured / op sum (`ratio`), a line in the op sum (`line`), or a line in the op sum and the layer
 * count (`line+layers`, only when the layer count varies: a space with a `zero` candidate). Each
 * form is fitted on all networks but one and scored on the one left out (its absolute percentage
 * error, averaged over the networks); the form with the least such error wins, the one with fewer
 * parameters on a tie. On this machine's 10-network calibrations the op sum and the layer count
 * correlate (r ≈ 0.9), and `line+layers` fitted in-sample could price a layer at 0.1 ms and an op at
 * a quarter of its table latency while predicting held-out networks no better than the ratio.
 * A form that cannot be fitted, or would price an op (`minOpLatency`: the cheapest non-zero op) or a
 * network at or below zero, is not a candidate (in a left-out fold: the ratio stands in for it).
 */
export function fitLatencyCalibration(samples: LatencyCalibration['samples'], opts: { readonly minOpLatency?: number } = {}): LatencyCalibration {
  if (samples.length === 0) throw new Error('latency calibration: no measured networks to fit');
  const y = samples.map((s) => s.measured);
  const minOp = opts.minOpLatency ?? 0;
  const before = mape(samples.map((s) => s.tableSum), y);
  const variesLayers = new Set(samples.map((s) => s.layers)).size > 1;
  const variesTable = Math.max(...samples.map((s) => s.tableSum)) - Math.min(...samples.map((s) => s.tableSum)) > 1e-9;
  const forms: CalibrationModel[] = ['ratio'];
  if (samples.length >= 3 && variesTable) forms.push('line');
  if (samples.length >= 4 && variesTable && variesLayers) forms.push('line+layers');
  let chosen: { form: CalibrationModel; coef: Coefficients; heldOut: number } | undefined;
  for (const form of forms) {
    const coef = fitForm(form, samples, minOp);
    if (!coef) continue;
    // leave-one-out: fit on the others, predict the one left out
    const heldOut = samples.length < 2 ? NaN : (100 * samples.reduce((sum, s, i) => {
      const rest = samples.filter((_, j) => j !== i);
      const c = fitForm(form, rest, minOp) ?? fitForm('ratio', rest, minOp)!;
      return sum + Math.abs(predict(c, s) - s.measured) / s.measured;
    }, 0)) / samples.length;
    if (!chosen || heldOut < chosen.heldOut - 1e-9) chosen = { form, coef, heldOut };
  }
  const { form, coef, heldOut } = chosen!;
  const [scale, perLayer, offset] = coef;
  return { scale, perLayer, offset, model: form, samples, mapeBefore: before, mapeAfter: mape(samples.map((s) => predict(coef, s)), y), ...(Number.isFinite(heldOut) ? { mapeHeldOut: heldOut } : {}) };
}

/** Layers of an architecture that cost anything: its non-zero choices and the fixed layers. */
export function layerCount(network: Network, architecture: Architecture): number {
  let n = network.fixedOps.filter((op) => op.features.type !== 'zero').length;
  for (const op of network.mixedOps) {
    const c = op.candidates[op.indexOf(architecture[op.label]!)];
    if (c && !c.isZero) n++;
  }
  return n;
}

/**
 * What a network is, for remembering its latency on a machine: the features of its fixed layers, then
 * of its choice in every mixed op (`zero` included), in the network's order.
 */
export function networkLayers(network: Network, architecture: Architecture): OpFeatures[] {
  return [
    ...network.fixedOps.map((op) => op.features),
    ...network.mixedOps.map((op) => op.candidates[op.indexOf(architecture[op.label] ?? '')]!.features),
  ];
}

/** The architecture with the cheapest candidate of every mixed op by the provider's op table. */
export function fastestArchitecture(network: Network, provider: LatencyProvider): Architecture {
  return pickByPrice(network, provider, (a, b) => a < b);
}

function pickByPrice(network: Network, provider: LatencyProvider, better: (a: number, b: number) => boolean): Architecture {
  const price = (c: Network['mixedOps'][number]['candidates'][number]) => (c.isZero ? 0 : provider.latency(c.features));
  return Object.fromEntries(
    network.mixedOps.map((op) => {
      let best = 0;
      op.candidates.forEach((c, i) => {
        if (better(price(c), price(op.candidates[best]!))) best = i;
      });
      return [op.label, op.candidates[best]!.name];
    }),
  );
}

/**
 * Measures `networks` architectures whole — the fastest and the slowest by the op table, the rest
 * drawn uniformly from `rng` — and fits the calibration. With a pinned timer, networks the provider
 * remembers for this machine are not measured again, and the new ones are remembered. `measure` times one architecture's compact network
 * (one timing window).
 *
 * A shared machine slows down in phases of one to several seconds, which a median over one timing
 * window cannot see past. So the networks are timed against a reference network (`timer`, by
 * default the fastest architecture: see `relativeTimer`): in `rounds` (default 3) interleaved
 * rounds, each network between two timings of the reference, and its latency is its median ratio to
 * the reference times the reference's quiet latency. One untimed pass over the slowest network
 * first lets the engine's optimizing compiler reach every kernel.
 */
export async function calibrateLatency(
  network: Network,
  provider: LatencyProvider,
  measure: (architecture: Architecture) => Promise<number>,
  opts: {
    readonly networks: number;
    readonly rng: Rng;
    readonly rounds?: number;
    /** The timer to measure with (default: a timer against the fastest architecture). */
    readonly timer?: RelativeTimer<Architecture>;
    readonly log?: (message: string) => void;
  },
): Promise<LatencyCalibration> {
  const price = (c: { readonly isZero?: boolean; readonly features: Parameters<LatencyProvider['latency']>[0] }) => (c.isZero ? 0 : provider.latency(c.features));
  const fixed = network.fixedOps.reduce((s, op) => s + provider.latency(op.features), 0);
  const archs: Architecture[] = [fastestArchitecture(network, provider), pickByPrice(network, provider, (a, b) => a > b)];
  // distinct networks (a small space may have fewer than asked for: then all of them)
  const seen = new Set(archs.map((a) => JSON.stringify(a)));
  for (let draws = 0; archs.length < opts.networks && draws < 100 * opts.networks; draws++) {
    const a = Object.fromEntries(network.mixedOps.map((op) => [op.label, op.candidates[opts.rng.int(op.candidates.length)]!.name]));
    const key = JSON.stringify(a);
    if (!seen.has(key)) {
      seen.add(key);
      archs.push(a);
    }
  }
  const chosen = archs.slice(0, Math.max(opts.networks, 1));
  const timer = opts.timer ?? relativeTimer(measure, archs[0]!);
  // Networks this machine has measured before (the provider remembers their ratio to the reference)
  // are not measured again: every search on the machine that draws the same networks and pins the
  // same reference latency fits the same calibration.
  const layers = chosen.map((a) => networkLayers(network, a));
  const known: (number | undefined)[] = layers.map((l) => {
    const ratio = timer.pinned ? provider.rememberedNetworkLatency?.('network', l) : undefined;
    return ratio === undefined ? undefined : ratio * timer.referenceLatency;
  });
  const todo = chosen.filter((_, i) => known[i] === undefined);
  let fresh: number[] = [];
  if (todo.length) {
    await measure(todo.find((a) => a !== archs[0]) ?? todo[0]!); // burn-in, not kept
    fresh = await timer.measure(todo, Math.max(1, opts.rounds ?? 3));
  }
  const latencies = known.map((k) => k ?? fresh.shift()!);
  if (todo.length < chosen.length) opts.log?.(`latency calibration: ${chosen.length - todo.length} of ${chosen.length} networks measured on this machine before (remembered), ${todo.length} measured now`);
  if (provider.rememberNetworkLatency && todo.length) {
    const remember = provider.rememberNetworkLatency.bind(provider);
    chosen.forEach((_, i) => known[i] === undefined && remember('network', layers[i]!, latencies[i]! / timer.referenceLatency));
  }
  const samples: { tableSum: number; layers: number; measured: number }[] = [];
  for (const [i, arch] of chosen.entries()) {
    const tableSum = fixed + network.mixedOps.reduce((s, op) => s + price(op.candidates[op.indexOf(arch[op.label]!)]!), 0);
    const measured = latencies[i]!;
    samples.push({ tableSum, layers: layerCount(network, arch), measured });
    opts.log?.(`latency calibration ${i + 1}/${chosen.length}: op sum ${tableSum.toFixed(3)} ${provider.unit}, measured whole ${measured.toFixed(3)} ${provider.unit}`);
  }
  const refs = timer.referenceTimings;
  if (refs.length) {
    opts.log?.(
      `latency calibration: reference network timed ${refs.length} times, ${Math.min(...refs).toFixed(3)}–${Math.max(...refs).toFixed(3)} ${provider.unit} ` +
        `(the spread is the machine's load; each network is priced by its ratio to the reference timed around it)`,
    );
  }
  const prices = [...network.fixedOps.map((op) => provider.latency(op.features)), ...network.mixedOps.flatMap((op) => op.candidates.filter((c) => !c.isZero).map(price))];
  const cal = { ...fitLatencyCalibration(samples, { minOpLatency: Math.min(...prices) }), reference: { architecture: timer.reference, latency: timer.referenceLatency } };
  opts.log?.(
    `latency calibration on ${samples.length} networks: measured ≈ ${cal.scale.toFixed(3)}·Σops + ${cal.perLayer.toFixed(4)}·layers + ${cal.offset.toFixed(4)} ${provider.unit} ` +
      `(form ${cal.model}, chosen by leave-one-out error; error of the op sum ${cal.mapeBefore.toFixed(1)}% → ${cal.mapeAfter.toFixed(1)}%, ${cal.mapeHeldOut?.toFixed(1) ?? '–'}% on networks left out of the fit)`,
  );
  return cal;
}

/** Where a search keeps its calibration in the run directory, so a resume and `proxyless derive` reuse it. */
export const LATENCY_CALIBRATION_FILE = 'latency-calibration.json';

/** What that file holds: the calibration and the target it was measured for. */
export interface StoredLatencyCalibration {
  readonly target: string;
  readonly unit: string;
  readonly calibration: LatencyCalibration;
}

/**
 * The calibration stored in `file` for this target and unit, or undefined (no file, another target,
 * or not a calibration: then the search measures a new one).
 */
export function readStoredCalibration(file: string, target: string, unit: string): LatencyCalibration | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredLatencyCalibration>;
    const c = s.calibration;
    if (s.target !== target || s.unit !== unit || !c) return undefined;
    if (![c.scale, c.perLayer, c.offset].every((v) => typeof v === 'number' && Number.isFinite(v)) || !(c.scale > 0)) return undefined;
    const r = c.reference;
    const validReference = r && typeof r.latency === 'number' && r.latency > 0 && r.architecture && typeof r.architecture === 'object' && Object.values(r.architecture).every((v) => typeof v === 'string');
    if (r && !validReference) {
      const { reference: _dropped, ...rest } = c;
      return rest; // an unreadable reference: the calibration holds, measurements find their own reference latency
    }
    return c;
  } catch {
    return undefined;
  }
}
