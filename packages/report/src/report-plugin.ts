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
 * Writes the HTML report into the run directory when a search finishes (`done` hook). It taps after
 * the run directory plugin (a later stage), so result.json and the last metrics are on disk. A
 * failure to write the report is logged, never fails the search. Does nothing without a run directory.
 */
export class ReportPlugin implements SearchPlugin {
  readonly name = PLUGIN_NAME;
  /** The file written by the last search, once it is done. */
  file: string | undefined;

  constructor(private readonly options: ReportPluginOptions = {}) {}

  apply(session: SearchSession): void {
    session.hooks.done.tapPromise({ name: PLUGIN_NAME, stage: 100 }, async () => {
      const dir = session.components.runDir;
      if (!dir) return;
      try {
        this.file = writeReport(dir, this.options.out ? { out: this.options.out } : {}).file;
        this.options.log?.(`report: ${this.file}`);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (this.options.onError) this.options.onError(e);
        else this.options.log?.(`report: not written (${e.message})`);
      }
    });
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
  description: 'writes report.html into the run directory when the search finishes',
  options: reportPluginOptions,
  create: (options, ctx) => new ReportPlugin({ ...(options.out ? { out: resolve(ctx.configDir, options.out) } : {}), log: (m) => ctx.log(m) }),
});
