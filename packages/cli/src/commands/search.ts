import { composeSearch, RunFiles, RunFinished, SearchInterrupted, SearchTrainer, type SearchResult, type SearchSession } from '@proxyless/core';
import { join } from 'node:path';
import { ReportPlugin } from '@proxyless/report';
import { UsageError } from '../errors.js';
import { architectureTable, duration, latency as fmtLatency, num, oneLine } from '../format.js';
import { ProgressPlugin } from '../progress-plugin.js';
import { onSigint, shellWord, signalExitCode, type CommandContext, type StopSignal } from './common.js';

export interface SearchOptions {
  readonly out?: string;
  readonly resume?: string;
  readonly workers?: string;
  readonly force?: boolean;
}

/** `--workers` of `search`: a positive integer or "auto". */
function parseSearchWorkers(value: string): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`search: invalid option: --workers: got ${JSON.stringify(value)}; expected a positive integer (at most 64) or "auto"`);
  return n;
}

function isInterrupted(err: unknown): boolean {
  return err instanceof SearchInterrupted || (err instanceof Error && err.name === 'SearchInterrupted');
}

/** `proxyless search <config>` / `proxyless search --resume <run-dir>`. Returns the exit code. */
export async function searchCommand(ctx: CommandContext, config: string | undefined, opts: SearchOptions): Promise<number> {
  const { out, io } = ctx;
  if (!config && !opts.resume) throw new UsageError('search: give a config file, or --resume <run-dir> to continue a run');
  if (config && opts.resume) {
    throw new UsageError('search: give either a config file or --resume <run-dir>, not both (a resumed run uses the config stored in its run directory)');
  }
  if (opts.out && opts.resume) throw new UsageError('search: --out cannot be combined with --resume (a resumed run continues in its own directory)');
  if (opts.force && opts.resume) throw new UsageError('search: --force cannot be combined with --resume (--force replaces a run by a new search)');
  const workers = opts.workers === undefined ? undefined : parseSearchWorkers(opts.workers);

  const progress = out.verbose ? new ProgressPlugin({ stream: io.stderr }) : undefined;
  const log = (m: string) => (progress ? progress.progress.log(m) : out.info(m));
  let session: SearchSession | undefined;
  const report = new ReportPlugin({ onError: (e) => out.error(`proxyless: warning: the report was not written: ${oneLine(e.message)}`) });
  const removeSigint = onSigint(
    (signal) => {
      if (!session) return false;
      session.requestStop(signal);
      log(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping after the current step and writing a checkpoint (a second signal quits at once)`);
      return true;
    },
    (signal) => {
      progress?.stop();
      out.error(`proxyless: interrupted (${signal}) before the search started; nothing to resume`);
    },
  );
  try {
    let composed;
    try {
      composed = await composeSearch({
        ...(opts.resume ? { resume: opts.resume } : { config: config! }),
        ...(opts.out ? { runDir: opts.out } : {}),
        ...(opts.force ? { force: true } : {}),
        log,
        plugins: [...(progress ? [progress] : []), report],
      });
    } catch (err) {
      if (!(err instanceof RunFinished || (err instanceof Error && err.name === 'RunFinished'))) throw err;
      // resuming a finished run: nothing to do, nothing changed (exit 0, so a retried resume is harmless)
      const done = err as RunFinished;
      out.result(`${done.runDir} is already finished; nothing resumed, nothing changed`);
      out.emitJson({ command: 'search', status: 'finished', runDir: done.runDir, result: done.result });
      return 0;
    }
    session = composed.session;
    if (workers !== undefined) {
      const trainer = session.components.trainer;
      if (!(trainer instanceof SearchTrainer)) throw new UsageError('search: --workers needs the built-in search trainer (trainer: { use: search })');
      trainer.useWorkers(workers);
    }
    session.hooks.beforeSearch.tap('cli-workers', (s) => {
      if ((s.workers ?? 1) > 1) log(`${s.workers} data-parallel workers: every weight and architecture step is split over ${s.workers} threads`);
    });
    const runDir = composed.runDir!;
    log(`run directory: ${runDir}`);
    let result: SearchResult;
    try {
      result = await session.run(composed.resume);
    } catch (err) {
      if (!isInterrupted(err)) throw err;
      const signal = (session.stopRequested === 'SIGTERM' ? 'SIGTERM' : 'SIGINT') satisfies StopSignal;
      out.error(`interrupted${signal === 'SIGTERM' ? ' (SIGTERM)' : ''}; checkpoint saved — resume with: proxyless search --resume ${shellWord(runDir)}`);
      out.emitJson({ command: 'search', status: 'interrupted', signal, runDir, checkpoint: join(runDir, RunFiles.checkpoint) });
      return signalExitCode(signal);
    }
    const candidates = Object.fromEntries(session.components.space.describe().map((m) => [m.label, m.candidates.map((c) => c.name)]));
    out.result(`search finished: ${result.epochs} epochs, ${result.steps} weight steps in ${duration(result.seconds)}`);
    out.result('architecture:');
    for (const line of architectureTable(result.architecture, result.probabilities, candidates)) out.result(`  ${line}`);
    if (result.latency !== undefined) {
      const measured = result.measuredLatency !== undefined ? `, measured whole ${fmtLatency(result.measuredLatency, result.latencyUnit)}` : '';
      const budget = result.latencyBudget !== undefined ? ` (budget ${fmtLatency(result.latencyBudget, result.latencyUnit)})` : '';
      out.result(`latency: ${fmtLatency(result.latency, result.latencyUnit)} by the search's model${measured}${budget}`);
    }
    if (result.validationAccuracy !== undefined) out.result(`validation accuracy: ${num(result.validationAccuracy)}`);
    out.result(`run directory: ${runDir}`);
    if (report.file) out.result(`report: ${report.file}`);
    out.emitJson({
      command: 'search',
      status: 'done',
      runDir,
      files: { architecture: join(runDir, RunFiles.architecture), result: join(runDir, RunFiles.result), metrics: join(runDir, RunFiles.metrics), ...(report.file ? { report: report.file } : {}) },
      ...result,
    });
    return 0;
  } finally {
    removeSigint();
    progress?.stop();
  }
}
