import { definePlugin, z, type SearchPlugin, type SearchSession } from '@proxyless/core';
import { resolve } from 'node:path';
import { writeReport } from './write-report.js';

const PLUGIN_NAME = 'ReportPlugin';

export interface ReportPluginOptions {
  /** Output file (default: <run-dir>/report.html). */
  readonly out?: string;
  /** Where to say that the report was written (default: nowhere). */
  readonly log?: (message: string) => void;
  /** Called when the report cannot be written (default: a `report: not written (…)` log line). */
  readonly onError?: (error: Error) => void;
}

/**
 * Writes the HTML report into the run directory after every epoch, and again when the search is done
 * or fails, so a user can open report.html while a search runs and refresh it to follow. It taps
 * after the run directory plugin (a later stage), so the epoch's records, result.json and the last
 * metrics are on disk first. Every write is atomic (a reader sees the old report or the new one,
 * never half of one). A failure to write the report is reported once per distinct message and never
 * fails the search. Does nothing without a run directory.
 */
export class ReportPlugin implements SearchPlugin {
  readonly name = PLUGIN_NAME;
  /** The file written last (after an epoch, or when the search was done or failed). */
  file: string | undefined;
  /** How many times the report was written by the current search. */
  writes = 0;

  constructor(private readonly options: ReportPluginOptions = {}) {}

  apply(session: SearchSession): void {
    const reported = new Set<string>();
    const write = (when: 'epoch' | 'done' | 'failed') => {
      const dir = session.components.runDir;
      if (!dir) return;
      try {
        this.file = writeReport(dir, this.options.out ? { out: this.options.out } : {}).file;
        this.writes++;
        if (when === 'done') this.options.log?.(`report: ${this.file}`);
        else if (this.writes === 1) this.options.log?.(`report: ${this.file} (rewritten after every epoch: refresh it to follow the search)`);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (reported.has(e.message)) return;
        reported.add(e.message);
        if (this.options.onError) this.options.onError(e);
        else this.options.log?.(`report: not written (${e.message})`);
      }
    };
    session.hooks.beforeSearch.tap({ name: PLUGIN_NAME, stage: 100 }, () => {
      this.writes = 0;
    });
    session.hooks.afterEpoch.tapPromise({ name: PLUGIN_NAME, stage: 100 }, async () => write('epoch'));
    session.hooks.done.tapPromise({ name: PLUGIN_NAME, stage: 100 }, async () => write('done'));
    session.hooks.failed.tapPromise({ name: PLUGIN_NAME, stage: 100 }, async () => write('failed'));
  }
}

export const reportPluginOptions = z
  .object({
    /** Output file, relative to the config's folder (default: <run-dir>/report.html). */
    out: z.string().min(1).optional(),
  })
  .strict();

/** `plugins: [{ use: "@proxyless/report" }]` in a search config. */
export const reportPlugin = definePlugin({
  kind: 'plugin',
  name: 'report',
  description: 'writes report.html into the run directory after every epoch and when the search finishes',
  options: reportPluginOptions,
  create: (options, ctx) => new ReportPlugin({ ...(options.out ? { out: resolve(ctx.configDir, options.out) } : {}), log: (m) => ctx.log(m) }),
});
