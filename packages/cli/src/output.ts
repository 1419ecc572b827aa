/** Where the CLI writes: results on stdout, human logs and progress on stderr. */

export interface WritableText {
  write(chunk: string): unknown;
}

/** The streams and environment the CLI runs against (the real process by default; tests inject their own). */
export interface CliIo {
  readonly stdout: WritableText;
  /** Progress bars are drawn only when this is a TTY (`isTTY`). */
  readonly stderr: WritableText & { isTTY?: boolean; columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

export interface OutputOptions {
  /** One JSON object on stdout at the end; no progress, no human logs. */
  readonly json: boolean;
  /** No logs and no progress; results and errors only. */
  readonly quiet: boolean;
}

/**
 * The output policy of one command run:
 * - `info` (human logs, progress lines) → stderr, unless `--json` or `--quiet`;
 * - `result` (the human summary) → stdout, unless `--json`;
 * - `json` (the machine-readable result) → stdout, only with `--json`;
 * - `error` → stderr, always.
 */
export class Output {
  constructor(readonly io: CliIo, readonly options: OutputOptions) {}

  get json(): boolean {
    return this.options.json;
  }

  /** Whether human logs and progress are shown. */
  get verbose(): boolean {
    return !this.options.json && !this.options.quiet;
  }

  get debug(): boolean {
    return this.io.env['PROXYLESS_DEBUG'] === '1';
  }

  /** A human log line (stderr). */
  info = (message: string): void => {
    if (this.verbose) this.io.stderr.write(`${message}\n`);
  };

  /** A line of the human result (stdout). */
  result(message: string): void {
    if (!this.options.json) this.io.stdout.write(`${message}\n`);
  }

  /** The machine-readable result (stdout, `--json` only). */
  emitJson(value: unknown): void {
    if (this.options.json) this.io.stdout.write(`${JSON.stringify(value, jsonReplacer)}\n`);
  }

  /** An error or notice that is always shown (stderr). */
  error(message: string): void {
    this.io.stderr.write(`${message}\n`);
  }
}

/** NaN/Infinity become null (JSON has neither); everything else is unchanged. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
