import type { SearchConfigObject } from '../config/schema.js';
import type { EpochSummary, SearchResult } from '../session/hooks.js';
import { composeSearch, type ComposeOptions } from './compose-search.js';

export interface SearchRunOptions extends Omit<ComposeOptions, 'config' | 'resume' | 'plugins'> {
  /** Called after every epoch (warm-up and search) with its summary; awaited before the search goes on. */
  readonly onEpoch?: (summary: EpochSummary) => void | Promise<void>;
  /** Extra plugins that tap the search hooks. */
  readonly plugins?: ComposeOptions['plugins'];
}

export interface SearchRun {
  /** Architecture, probabilities, latency, epochs, steps, seconds, validation accuracy. */
  readonly result: SearchResult;
  /** The run directory written (config.json, metrics.jsonl, checkpoint.ckpt, architecture.json, result.json); absent with `noRunDir`. */
  readonly runDir?: string;
}

/**
 * Runs a whole search from a config (a file path or a config object, relative paths resolving
 * against `baseDir`) and returns its result and run directory: `composeSearch` + `session.run()`
 * with an `onEpoch` callback. For finer control (other hooks, resuming, stopping) use
 * `composeSearch` and the session it returns.
 */
export async function search(config: string | SearchConfigObject, opts: SearchRunOptions = {}): Promise<SearchRun> {
  const { onEpoch, ...rest } = opts;
  const composed = await composeSearch({ ...rest, config });
  if (onEpoch) composed.session.hooks.afterEpoch.tapPromise('search:onEpoch', async (s) => void (await onEpoch(s)));
  const result = await composed.session.run();
  return { result, ...(composed.runDir ? { runDir: composed.runDir } : {}) };
}
