import { LATENCY_CALIBRATION_FILE, type StoredLatencyCalibration } from '../latency/calibration.js';
import * as tf from '@tensorflow/tfjs-core';
import { appendFileSync, existsSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { definePlugin } from '../di/plugin.js';
import { describeCandidate } from '../spaces/search-space.js';
import type { SearchPlugin, SearchSession } from '../session/search-session.js';
import { writeFileAtomic } from './atomic.js';
import { saveCheckpoint } from './checkpoint.js';

const PLUGIN_NAME = 'RunDirectoryPlugin';

/** File names inside a run directory. */
export const RunFiles = Object.freeze({
  config: 'config.json',
  checkpoint: 'checkpoint.ckpt',
  metrics: 'metrics.jsonl',
  architecture: 'architecture.json',
  candidates: 'candidates.json',
  result: 'result.json',
});

export interface RunDirectoryOptions {
  readonly dir: string;
  /** When resuming: length of metrics.jsonl at the checkpoint (later lines are dropped). */
  readonly resumeMetricsBytes?: number;
}

/**
 * Writes the artifacts of a search into its run directory: the resolved config, `candidates.json`
 * (candidate names per mixed op, in the order of α and of every probability vector), `metrics.jsonl`
 * (one JSON record per weight step, arch step and epoch), the checkpoint (atomically, on every
 * `checkpoint` request), `architecture.json` and `result.json`.
 */
export class RunDirectoryPlugin implements SearchPlugin {
  readonly name = PLUGIN_NAME;

  constructor(private readonly options: RunDirectoryOptions) {}

  apply(session: SearchSession): void {
    const dir = this.options.dir;
    const metrics = join(dir, RunFiles.metrics);
    const record = (r: object) => appendFileSync(metrics, JSON.stringify({ time: new Date().toISOString(), ...r }) + '\n');

    session.hooks.beforeSearch.tapPromise(PLUGIN_NAME, async (start) => {
      mkdirSync(dir, { recursive: true });
      const configPath = join(dir, RunFiles.config);
      if (!start.resumedFrom || !existsSync(configPath)) writeFileAtomic(configPath, JSON.stringify(session.components.config, null, 2) + '\n');
      // Candidate names per mixed op, in α order: what the probabilities in metrics.jsonl refer to.
      const candidates = Object.fromEntries(session.network.mixedOps.map((op) => [op.label, op.candidates.map((c) => c.name)]));
      writeFileAtomic(join(dir, RunFiles.candidates), JSON.stringify(candidates, null, 2) + '\n');
      // The op table's fit to whole networks, when the search measured one: a resume and `proxyless
      // derive` price networks with it instead of measuring a new one (search-stage.ts).
      const latency = session.components.latency;
      if (latency?.calibration) {
        const stored: StoredLatencyCalibration = { target: latency.target, unit: latency.unit, calibration: latency.calibration };
        writeFileAtomic(join(dir, LATENCY_CALIBRATION_FILE), JSON.stringify(stored, null, 2) + '\n');
      }
      if (start.resumedFrom && this.options.resumeMetricsBytes !== undefined && existsSync(metrics)) {
        if (statSync(metrics).size > this.options.resumeMetricsBytes) truncateSync(metrics, this.options.resumeMetricsBytes);
      } else if (!start.resumedFrom) {
        writeFileSync(metrics, '');
      }
      record({ type: 'start', epochs: start.epochs, batchesPerEpoch: start.batchesPerEpoch, resumedFrom: start.resumedFrom ?? null, device: session.components.backend.describe() });
    });
    session.hooks.afterWeightStep.tapPromise(PLUGIN_NAME, async (s) => {
      record({ type: 'step', epoch: s.epoch, batch: s.batch, step: s.step, phase: s.phase, loss: s.loss, accuracy: s.accuracy, lr: s.lr });
    });
    session.hooks.afterArchStep.tapPromise(PLUGIN_NAME, async (s) => {
      record({ type: 'arch', epoch: s.epoch, step: s.step, metrics: s.metrics, expectedLatency: s.expectedLatency ?? null, probabilities: s.probabilities });
    });
    session.hooks.afterEpoch.tapPromise(PLUGIN_NAME, async (e) => {
      record({ type: 'epoch', ...e });
    });
    session.hooks.checkpoint.tapPromise(PLUGIN_NAME, async (req) => {
      const snap = session.snapshot();
      try {
        const metricsBytes = existsSync(metrics) ? statSync(metrics).size : 0;
        saveCheckpoint(join(dir, RunFiles.checkpoint), { json: { ...snap.json, saved: req, metricsBytes }, tensors: snap.tensors });
      } finally {
        tf.dispose(Object.values(snap.tensors));
      }
    });
    session.hooks.architectureDerived.tapPromise(PLUGIN_NAME, async (d) => {
      const config = session.components.config as { space?: unknown; data?: unknown; backend?: unknown; seed?: unknown; $source?: unknown };
      const { space } = session.components;
      // What each chosen candidate is (kind, kernel, expand), from the space: reports read it instead of parsing names.
      const ops = new Map(space.describe().map((m) => [m.label, m.candidates]));
      const candidateDescriptions = Object.fromEntries(
        Object.entries(d.architecture).flatMap(([label, name]) => {
          const op = ops.get(label)?.find((c) => c.name === name);
          return op ? [[label, describeCandidate(space, op)]] : [];
        }),
      );
      writeFileAtomic(
        join(dir, RunFiles.architecture),
        JSON.stringify({ space: config.space, data: config.data, backend: config.backend, seed: config.seed, $source: config.$source, ...d, candidateDescriptions }, null, 2) + '\n',
      );
    });
    session.hooks.done.tapPromise(PLUGIN_NAME, async (result) => {
      record({ type: 'done', ...result });
      writeFileAtomic(join(dir, RunFiles.result), JSON.stringify(result, null, 2) + '\n');
    });
    session.hooks.failed.tapPromise(PLUGIN_NAME, async (err) => {
      if (existsSync(dir)) record({ type: 'failed', name: err.name, message: err.message });
    });
  }
}

export const RUN_DIRECTORY_PLUGIN = 'run-directory';

/**
 * The run directory as a built-in hook plugin: `composeSearch` adds it when the search writes a run
 * directory (`runDir`, default `<output.dir>/<name>`; `noRunDir` leaves it out). The directory is
 * the context's `runDir`.
 */
export const runDirectoryPlugin = definePlugin({
  kind: 'plugin',
  name: RUN_DIRECTORY_PLUGIN,
  description: 'Writes config.json, candidates.json, metrics.jsonl, the checkpoint, architecture.json and result.json into the run directory',
  options: z
    .object({ resumeMetricsBytes: z.number().int().min(0).optional().describe('when resuming: length of metrics.jsonl at the checkpoint') })
    .strict(),
  create: (o, ctx): SearchPlugin => {
    if (!ctx.runDir) throw new Error(`plugin "${RUN_DIRECTORY_PLUGIN}": the search has no run directory`);
    return new RunDirectoryPlugin({ dir: ctx.runDir, ...(o.resumeMetricsBytes !== undefined ? { resumeMetricsBytes: o.resumeMetricsBytes } : {}) });
  },
});
