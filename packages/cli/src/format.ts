/** Small formatting helpers shared by the commands and the progress output. */

/** A number with `digits` decimals, or `n/a` when it is not finite. */
export function num(v: number | undefined, digits = 4): string {
  return v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits);
}

/** A learning rate: fixed notation while readable, exponent form when tiny. */
export function lr(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v !== 0 && Math.abs(v) < 1e-4 ? v.toExponential(2) : v.toFixed(5).replace(/0+$/, '').replace(/\.$/, '.0');
}

/** A latency value with its unit, e.g. `12.34 ms`. */
export function latency(v: number | undefined, unit: string | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return 'n/a';
  const digits = Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 2 : 4;
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** Seconds as `4.2s`, `3m05s` or `1h02m`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** An architecture in one line: `b0:k5 b1:k3` (forward order as stored). */
export function compactArchitecture(arch: Readonly<Record<string, string>>): string {
  return Object.entries(arch)
    .map(([label, choice]) => `${label}:${choice}`)
    .join(' ');
}

/**
 * The probability of each label's chosen candidate. With the candidate names (from the space) the
 * index is exact; without them the largest probability is shown (what an argmax strategy chose).
 */
export function chosenProbability(
  label: string,
  choice: string,
  probabilities: Readonly<Record<string, readonly number[]>>,
  candidates?: Readonly<Record<string, readonly string[]>>,
): number | undefined {
  const p = probabilities[label];
  if (!p || p.length === 0) return undefined;
  const names = candidates?.[label];
  if (names) {
    const i = names.indexOf(choice);
    if (i >= 0 && i < p.length) return p[i];
  }
  return Math.max(...p);
}

/** `label  candidate  p=0.xx` per label, columns aligned. */
export function architectureTable(
  arch: Readonly<Record<string, string>>,
  probabilities: Readonly<Record<string, readonly number[]>> = {},
  candidates?: Readonly<Record<string, readonly string[]>>,
): string[] {
  const entries = Object.entries(arch);
  const w1 = Math.max(0, ...entries.map(([l]) => l.length));
  const w2 = Math.max(0, ...entries.map(([, c]) => c.length));
  return entries.map(([label, choice]) => {
    const p = chosenProbability(label, choice, probabilities, candidates);
    return `${label.padEnd(w1)}  ${choice.padEnd(w2)}  p=${p === undefined ? 'n/a' : p.toFixed(2)}`.trimEnd();
  });
}

/** All lines of a message joined into one (for the one-line error reason). */
export function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}
