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

/**
 * Handles Ctrl-C for a command: the first SIGINT calls `onFirst` (when given and it returns true
 * the command goes on to stop gracefully); otherwise, and on a second SIGINT, `onExit` runs and the
 * process exits with 130 at once. Returns the function that removes the handler.
 */
export function onSigint(onFirst: (() => boolean) | undefined, onExit: () => void): () => void {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1 && onFirst?.()) return;
    onExit();
    process.exit(130);
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}
