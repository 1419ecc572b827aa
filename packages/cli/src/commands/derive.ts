import { deriveFromRun, RunFiles } from '@proxyless/core';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { architectureTable, latency as fmtLatency } from '../format.js';
import type { CommandContext } from './common.js';

/** `proxyless derive <run-dir>`: the architecture of a run's last checkpoint, written to architecture.json. */
export async function deriveCommand(ctx: CommandContext, runDir: string): Promise<number> {
  const { out } = ctx;
  const dir = resolve(runDir);
  if (!existsSync(join(dir, RunFiles.config))) throw new Error(`derive: ${dir} has no ${RunFiles.config} (is it a run directory written by \`proxyless search\`?)`);
  if (!existsSync(join(dir, RunFiles.checkpoint))) throw new Error(`derive: ${dir} has no ${RunFiles.checkpoint} yet (the search stopped before its first checkpoint)`);
  const d = await deriveFromRun(dir, { log: out.info });
  const c = d.checkpoint;
  if (c) {
    const where = c.batch === 0 ? `${c.epoch} epoch${c.epoch === 1 ? '' : 's'} done` : `epoch ${c.epoch + 1}, ${c.batch} batches done`;
    out.info(`derived from the checkpoint at step ${c.step} (${where})`);
  }
  for (const line of architectureTable(d.architecture, d.probabilities)) out.result(line);
  if (d.latency !== undefined) {
    const measured = d.measuredLatency !== undefined ? `, measured whole ${fmtLatency(d.measuredLatency, d.latencyUnit)}` : '';
    const budget = d.latencyBudget !== undefined ? ` (budget ${fmtLatency(d.latencyBudget, d.latencyUnit)})` : '';
    out.result(`latency: ${fmtLatency(d.latency, d.latencyUnit)} by the search's model${measured}${budget}`);
  }
  out.info(`wrote ${d.file}`);
  out.emitJson({ command: 'derive', runDir: dir, ...d });
  return 0;
}
