import { RunReadError, writeReport } from '@proxyless/report';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExitError, UsageError } from '../errors.js';
import type { CommandContext } from './common.js';

export interface ReportOptions {
  readonly out?: string;
}

/** `proxyless report <run-dir> [--out file]`: writes the run's self-contained HTML report and prints its path. */
export async function reportCommand(ctx: CommandContext, runDir: string, opts: ReportOptions): Promise<number> {
  const { out } = ctx;
  const dir = resolve(runDir);
  if (!existsSync(dir)) throw new UsageError(`report: ${dir} does not exist (give the run directory of a search)`);
  let written;
  try {
    written = writeReport(dir, opts.out ? { out: resolve(opts.out) } : {});
  } catch (err) {
    // a corrupt run file is bad input: one line naming the file (and line), exit code 2
    if (err instanceof RunReadError) throw new ExitError(`report: ${err.message}`, 2);
    throw err;
  }
  for (const w of written.run.warnings) out.info(`warning: ${w}`);
  out.result(written.file);
  out.emitJson({ command: 'report', runDir: dir, file: written.file, bytes: written.bytes, warnings: written.run.warnings });
  return 0;
}
