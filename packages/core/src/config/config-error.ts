import type { z } from 'zod';

export interface ConfigProblem {
  /** Dotted field path, e.g. `strategy.options.lr`. */
  readonly path: string;
  /** The offending value as JSON (or `undefined` when the field is missing). */
  readonly value: string;
  /** What was expected. */
  readonly expected: string;
}

/** A config that cannot run: names the file and, per problem, the field, the bad value and what was expected. */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: readonly ConfigProblem[]) {
    super(
      `${file}: invalid config\n` +
        problems.map((p) => `  - ${p.path || '(root)'}: got ${p.value}; expected ${p.expected}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * One bad field found after the config was read (in the data, against the checkpoint, …): its
 * dotted path in the config, the value and what was expected. `composeSearch` and `composeNetwork`
 * turn it into a `ConfigError` naming the config file.
 */
export class FieldError extends Error {
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${path}: got ${describeValue(value)}; expected ${expected}`);
    this.name = 'FieldError';
  }

  /** This problem as a `ConfigError` of `file`. */
  inFile(file: string): ConfigError {
    return new ConfigError(file, [{ path: this.path, value: describeValue(this.value), expected: this.expected }]);
  }
}

/**
 * Bad input that is not a config field: a path on the command line (a file where a folder is
 * expected, a folder that already holds a run), a damaged data, checkpoint or table file. The CLI
 * exits with 2, like for a config error; the message names the file and what was expected.
 */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k as string];
  }
  return cur;
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (field missing)';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Maps zod issues onto config problems, prefixing paths and looking values up in the raw input. */
export function problemsFromZod(error: z.ZodError, raw: unknown, prefix: readonly PropertyKey[] = []): ConfigProblem[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({
        path: [...prefix, ...issue.path, k].map(String).join('.'),
        value: describeValue(valueAt(raw, [...issue.path, k])),
        expected: 'no such field (unknown key; check the spelling against the documented options)',
      }));
    }
    return [
      {
        path: [...prefix, ...issue.path].map(String).join('.'),
        value: describeValue(valueAt(raw, issue.path)),
        expected: issue.code === 'invalid_union' ? describeUnion(issue.errors) : issue.message,
      },
    ];
  });
}

/** "either A, or B" from the branches of a failed union, so the message says what would be accepted. */
function describeUnion(branches: readonly (readonly z.core.$ZodIssue[])[]): string {
  const alternatives = branches.map((issues) => issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join(', '));
  return alternatives.length ? `either ${[...new Set(alternatives)].join('; or ')}` : 'a value of another shape';
}
