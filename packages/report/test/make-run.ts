// A real run directory for the report tests: a tiny search (wasm backend, Fashion-MNIST subset,
// the tiny conv space, a gradient strategy, a measured latency provider) run through composeSearch.
import { composeSearch, type SearchPlugin, type SearchResult } from '@proxyless/core';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { smallConfig, tempDir, writeConfig } from '../../../test/helpers.js';

export interface RealRun {
  readonly dir: string;
  readonly result: SearchResult;
}

export async function makeRun(plugins: SearchPlugin[] = []): Promise<RealRun> {
  const root = tempDir('proxyless-report-');
  const cfg = smallConfig({
    latency: { use: '@proxyless/backend-wasm', name: 'measured', options: { minRuns: 3, minDurationMs: 2, warmup: 1 } },
    strategy: { use: '@proxyless/test-utils', options: { lr: 0.5 } },
  });
  const dir = join(root, 'run');
  const { session } = await composeSearch({ config: writeConfig(root, cfg), runDir: dir, plugins, log: () => {} });
  const result = await session.run();
  return { dir, result };
}

/** A copy of a run directory to modify. */
export function copyRun(dir: string): string {
  const to = join(tempDir('proxyless-report-copy-'), 'run');
  cpSync(dir, to, { recursive: true });
  return to;
}
