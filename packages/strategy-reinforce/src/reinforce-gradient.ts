/**
 * The math of paper Eq. 8 on plain numbers. An architecture g picks one candidate per mixed op,
 * independently, with p_op = softmax(α_op); so log p(g) = Σ_op log p_op(g_op), and for the softmax
 *
 *     ∇_{α_op} log p(g) = onehot(g_op) − p_op
 *
 * (every other op's α does not enter log p_op(g_op)). The REINFORCE estimate of ∇_α J, with
 * J(α) = E_{g∼p}[R(g)], is mean_i (R_i − b)·(onehot(g_i) − p).
 */

/** A choice of candidate index per mixed-op label. */
export type Choices = Readonly<Record<string, number>>;

/** p per mixed-op label. */
export type Probabilities = Readonly<Record<string, readonly number[]>>;

/** ∇_{α_op} log p_op(k) = onehot(k) − p. */
export function scoreFunction(p: readonly number[], k: number): number[] {
  if (!(k >= 0 && k < p.length)) throw new Error(`score function: index ${k} out of range for ${p.length} candidates`);
  return p.map((pi, i) => (i === k ? 1 : 0) - pi);
}

/** mean_i A_i · ∇_α log p(g_i), per label (the REINFORCE ascent direction of J). */
export function reinforceGradient(probs: Probabilities, samples: readonly Choices[], advantages: readonly number[]): Record<string, number[]> {
  if (samples.length !== advantages.length) throw new Error(`reinforce gradient: ${samples.length} samples but ${advantages.length} advantages`);
  if (samples.length === 0) throw new Error('reinforce gradient: no samples');
  const out: Record<string, number[]> = {};
  for (const [label, p] of Object.entries(probs)) {
    const g = new Array<number>(p.length).fill(0);
    samples.forEach((s, i) => {
      const k = s[label];
      if (k === undefined) throw new Error(`reinforce gradient: sample ${i} has no choice for ${label}`);
      const a = advantages[i]!;
      for (let j = 0; j < p.length; j++) g[j]! += a * ((j === k ? 1 : 0) - p[j]!);
    });
    out[label] = g.map((v) => v / samples.length);
  }
  return out;
}

/** Every architecture of a (small) space, with its probability under `probs`. */
export function enumerateArchitectures(probs: Probabilities): { choices: Choices; p: number }[] {
  let acc: { choices: Record<string, number>; p: number }[] = [{ choices: {}, p: 1 }];
  for (const [label, p] of Object.entries(probs)) {
    acc = acc.flatMap((a) => p.map((pk, k) => ({ choices: { ...a.choices, [label]: k }, p: a.p * pk })));
  }
  return acc;
}

/**
 * The exact ∇_α J of J(α) = Σ_g p(g)·R(g), by enumeration: Σ_g p(g)·R(g)·(onehot(g_op) − p_op).
 * Only for spaces small enough to enumerate (tests, analysis).
 */
export function exactGradient(probs: Probabilities, reward: (choices: Choices) => number): { gradient: Record<string, number[]>; objective: number } {
  const out: Record<string, number[]> = Object.fromEntries(Object.entries(probs).map(([l, p]) => [l, new Array<number>(p.length).fill(0)]));
  let objective = 0;
  for (const { choices, p } of enumerateArchitectures(probs)) {
    const r = reward(choices);
    objective += p * r;
    for (const [label, pl] of Object.entries(probs)) {
      const k = choices[label]!;
      for (let j = 0; j < pl.length; j++) out[label]![j]! += p * r * ((j === k ? 1 : 0) - pl[j]!);
    }
  }
  return { gradient: out, objective };
}

/** Mean, population standard deviation, min and max. */
export function stats(xs: readonly number[]): { mean: number; std: number; min: number; max: number } {
  if (xs.length === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
}

/** √Σ v² over every label. */
export function gradientNorm(g: Readonly<Record<string, readonly number[]>>): number {
  let s = 0;
  for (const v of Object.values(g)) for (const x of v) s += x * x;
  return Math.sqrt(s);
}
