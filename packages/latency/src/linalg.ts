/** Small dense linear algebra for the predictor (plain TS; d is a handful of features). */

/** Solves A·x = b (A square, copied) by Gaussian elimination with partial pivoting. */
export function solve(A: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r]![col]!) > Math.abs(M[piv]![col]!)) piv = r;
    if (Math.abs(M[piv]![col]!) < 1e-12) throw new Error('linear solve: singular matrix');
    [M[col], M[piv]] = [M[piv]!, M[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = M[r]![col]! / M[col]![col]!;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) M[r]![c]! -= f * M[col]![c]!;
    }
  }
  return M.map((row, i) => row[n]! / row[i]!);
}

/** Ridge regression on centered, standardized columns; the intercept is not penalized. */
export interface RidgeFit {
  /** Weights in the original units. */
  readonly weights: number[];
  readonly intercept: number;
  readonly lambda: number;
}

export function ridge(X: readonly (readonly number[])[], y: readonly number[], lambda: number): RidgeFit & { looResiduals: number[] } {
  const n = y.length;
  const d = X[0]?.length ?? 0;
  const mean = Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + r[j]!, 0) / n);
  const std = mean.map((m, j) => Math.sqrt(X.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / n) || 1);
  const ym = y.reduce((a, b) => a + b, 0) / n;
  const Z = X.map((r) => r.map((v, j) => (v - mean[j]!) / std[j]!));
  const yc = y.map((v) => v - ym);
  const A = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => Z.reduce((s, r) => s + r[i]! * r[j]!, 0) + (i === j ? lambda : 0)));
  const b = Array.from({ length: d }, (_, i) => Z.reduce((s, r, k) => s + r[i]! * yc[k]!, 0));
  const w = d ? solve(A, b) : [];
  // Leave-one-out residuals of ridge in closed form: e_i / (1 − h_ii), h_ii = z_iᵀ A⁻¹ z_i (+1/n for the intercept).
  const Ainv = Array.from({ length: d }, (_, i) => solve(A, Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))));
  const looResiduals = Z.map((z, k) => {
    const fit = z.reduce((s, v, j) => s + v * w[j]!, 0);
    let h = 1 / n;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) h += z[i]! * Ainv[j]![i]! * z[j]!;
    return (yc[k]! - fit) / Math.max(1e-9, 1 - h);
  });
  const weights = w.map((v, j) => v / std[j]!);
  const intercept = ym - weights.reduce((s, v, j) => s + v * mean[j]!, 0);
  return { weights, intercept, lambda, looResiduals };
}

/** Ridge with λ picked from a grid by leave-one-out error. */
export function ridgeCv(X: readonly (readonly number[])[], y: readonly number[], grid: readonly number[] = [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000]): RidgeFit {
  let best: (RidgeFit & { looResiduals: number[] }) | undefined;
  let bestErr = Infinity;
  for (const lambda of grid) {
    const fit = ridge(X, y, lambda);
    const err = fit.looResiduals.reduce((s, e) => s + e * e, 0);
    if (err < bestErr) {
      bestErr = err;
      best = fit;
    }
  }
  return { weights: best!.weights, intercept: best!.intercept, lambda: best!.lambda };
}
