import { writeFileAtomic } from '@proxyless/core';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readRun, ReportFiles, type RunData } from './read-run.js';
import { renderReport } from './render.js';

export interface WriteReportOptions {
  /** Output file (default: <run-dir>/report.html). */
  readonly out?: string;
}

export interface WrittenReport {
  readonly file: string;
  readonly bytes: number;
  readonly run: RunData;
}

/** Reads a run directory and writes its HTML report atomically (a crash leaves the old report or the new one). */
export function writeReport(runDir: string, opts: WriteReportOptions = {}): WrittenReport {
  const run = readRun(runDir);
  const file = resolve(opts.out ?? join(run.dir, ReportFiles.report));
  const html = renderReport(run, { generatedAt: new Date().toISOString() });
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, html);
  return { file, bytes: Buffer.byteLength(html), run };
}
