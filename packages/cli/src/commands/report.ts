import { lockRunDirectory } from '@proxyless/core';
import { RunReadError, writeReport } from '@proxyless/report';
import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
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
  if (!statSync(dir).isDirectory()) throw new UsageError(`report: ${dir} is a file; expected the run directory of a search`);
  const file = opts.out ? resolve(opts.out) : undefined;
  if (file && existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`report: --out ${file} is a folder; expected the path of the HTML file to write (e.g. ${resolve(file, 'report.html')})`);
  // Writing into the run directory: one writer at a time (a running search holds it until it ends).
  const inside = !file || !relative(dir, dirname(file)).startsWith('..');
  const lock = inside ? lockRunDirectory(dir, 'proxyless report') : undefined;
  let written;
  try {
    written = writeReport(dir, file ? { out: file } : {});
  } catch (err) {
    // a corrupt run file is bad input: one line naming the file (and line), exit code 2
    if (err instanceof RunReadError) throw new ExitError(`report: ${err.message}`, 2);
    throw err;
  } finally {
    lock?.release();
  }
  for (const w of written.run.warnings) out.info(`warning: ${w}`);
  out.result(written.file);
  out.emitJson({ command: 'report', runDir: dir, file: written.file, bytes: written.bytes, warnings: written.run.warnings });
  return 0;
}
