import { ConfigError } from '@proxyless/core';

/** A command line that cannot run (bad flag value, missing argument): exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Ends a command with a given exit code and a one-line message (e.g. a placeholder command). */
export class ExitError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'ExitError';
  }
}

export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof ConfigError || (err instanceof Error && err.name === 'ConfigError' && Array.isArray((err as ConfigError).problems));
}

/** Exit code of a failure: 2 for config, usage and input errors (core's `InputError`), the error's own for ExitError, else 1. */
export function exitCodeOf(err: unknown): number {
  if (isConfigError(err)) return 2;
  if (err instanceof UsageError || err instanceof ExitError) return err.exitCode;
  // core's InputError, IdxFormatError, Cifar10FormatError, …: bad input files carry exit code 2
  if (err instanceof Error && typeof (err as { exitCode?: unknown }).exitCode === 'number') return (err as unknown as { exitCode: number }).exitCode;
  return 1;
}
