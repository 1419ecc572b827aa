/**
 * Float32 tolerances of the conformance suite. Errors are measured relative to the scale of the
 * reference: max|a − b| / max(1, max|b|).
 */
export interface Tolerances {
  /** Values (forward outputs) and analytic gradients against the `cpu` backend. */
  readonly vsCpu: number;
  /** Numerical (central-difference) gradients against the `cpu` backend's analytic ones. */
  readonly numeric: number;
  /** Central-difference step (float32: moderate). */
  readonly eps: number;
}

export const DEFAULT_TOLERANCES: Tolerances = { vsCpu: 1e-4, numeric: 2e-2, eps: 1e-2 };

/** Per-backend tolerances: XNNPACK (wasm) and TF C++ (tensorflow) sum in different orders and may use FMA. */
export const BACKEND_TOLERANCES: Readonly<Record<string, Tolerances>> = {
  cpu: { ...DEFAULT_TOLERANCES, vsCpu: 1e-6 },
  wasm: DEFAULT_TOLERANCES,
  tensorflow: DEFAULT_TOLERANCES,
};

export function tolerancesFor(backend: string): Tolerances {
  return BACKEND_TOLERANCES[backend] ?? DEFAULT_TOLERANCES;
}

/** max|a − b| / max(1, max|b|); Infinity on length mismatch or NaN. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (Number.isNaN(d)) return Infinity;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / scale;
}

/** Throws with the worst element when `actual` and `expected` differ by more than `tol` (relative). */
export function expectArraysClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = 'values'): void {
  const err = relativeError(actual, expected);
  if (err <= tol) return;
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} ≠ expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= Math.abs(actual[worst]! - expected[worst]!))) worst = i;
  }
  throw new Error(`${what}: relative error ${err.toExponential(2)} > ${tol} (worst at ${worst}: ${actual[worst]} vs ${expected[worst]})`);
}
