import { deriveFromRun } from '@proxyless/core';
import { resolve } from 'node:path';
import { architectureTable, latency as fmtLatency } from '../format.js';
import type { CommandContext } from './common.js';

/** `proxyless derive <run-dir>`: the architecture of a run's last checkpoint, written to architecture.json. */
export async function deriveCommand(ctx: CommandContext, runDir: string): Promise<number> {
  const { out } = ctx;
  const dir = resolve(runDir);
  const d = await deriveFromRun(dir, { log: out.info });
  if (d.checkpoint) out.info(`derived from the checkpoint at epoch ${d.checkpoint.epoch}, batch ${d.checkpoint.batch} (step ${d.checkpoint.step})`);
  for (const line of architectureTable(d.architecture, d.probabilities)) out.result(line);
  if (d.latency !== undefined) out.result(`latency: ${fmtLatency(d.latency, d.latencyUnit)}`);
  out.info(`wrote ${d.file}`);
  out.emitJson({ command: 'derive', runDir: dir, ...d });
  return 0;
}
