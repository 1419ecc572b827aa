import type { CliIo, Output } from '../output.js';

/** What every command gets: the streams and the output policy of this run. */
export interface CommandContext {
  readonly io: CliIo;
  readonly out: Output;
}

/** A path as a shell word (quoted only when needed), for commands printed to copy. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The signals a command stops on: Ctrl-C, and SIGTERM (what `docker stop`, systemd and Kubernetes send). */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The exit code of a command stopped by `signal` (128 + its number, as shells report it): 130 or 143. */
export function signalExitCode(signal: StopSignal): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/**
 * Handles SIGINT (Ctrl-C) and SIGTERM alike for a command: the first signal calls `onFirst` (when
 * given and it returns true the command goes on to stop gracefully: checkpoint, message, exit code
 * `signalExitCode`); otherwise, and on a second signal, `onExit` runs and the process exits at once
 * with 130 (SIGINT) or 143 (SIGTERM). Returns the function that removes the handlers.
 */
export function onSigint(onFirst: ((signal: StopSignal) => boolean) | undefined, onExit: (signal: StopSignal) => void): () => void {
  let count = 0;
  const handler = (signal: StopSignal) => {
    count++;
    if (count === 1 && onFirst?.(signal)) return;
    onExit(signal);
    process.exit(signalExitCode(signal));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
