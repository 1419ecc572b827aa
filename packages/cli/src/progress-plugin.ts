import type { EpochSummary, SearchPlugin, SearchSession, TrainEpochInfo, TrainStepInfo } from '@proxyless/core';
import { compactArchitecture, duration, latency as fmtLatency, num } from './format.js';
import { EpochProgress, type EpochProgressOptions } from './progress.js';

const PLUGIN_NAME = 'ProgressPlugin';

export type ProgressPluginOptions = EpochProgressOptions;

/**
 * Shows the progress of a search on stderr: a bar per epoch on a TTY (batch/total, the epoch's ETA and
 * the whole run's (every epoch left, warm-up and search priced apart; see `RunEta`), loss,
 * accuracy, lr and E[lat] once architecture steps report it), plain lines about every 10% of an
 * epoch elsewhere, and a summary line per finished epoch (train loss/acc, validation acc, E[lat],
 * the argmax architecture, seconds).
 */
export class ProgressPlugin implements SearchPlugin {
  readonly name = PLUGIN_NAME;
  readonly progress: EpochProgress;

  constructor(options: ProgressPluginOptions) {
    this.progress = new EpochProgress(options);
  }

  apply(session: SearchSession): void {
    const h = session.hooks;
    const p = this.progress;
    const unit = session.components.latency?.unit;
    // the trainer's warm-up epochs (the built-in search trainer has them), so the run ETA prices each phase
    const warmupEpochs = (session.components as { trainer?: { options?: { warmupEpochs?: unknown } } }).trainer?.options?.warmupEpochs;
    h.beforeSearch.tapPromise(PLUGIN_NAME, async (start) => {
      p.startRun({ epochs: start.epochs, batchesPerEpoch: start.batchesPerEpoch, ...(typeof warmupEpochs === 'number' ? { warmupEpochs } : {}) });
      const r = start.resumedFrom;
      if (r) p.log(`resuming at epoch ${r.epoch + 1}/${start.epochs}, batch ${r.batch}/${start.batchesPerEpoch} (step ${r.step})`);
    });
    h.beforeEpoch.tapPromise(PLUGIN_NAME, async (e) => {
      p.startEpoch({ epoch: e.epoch, epochs: e.epochs, total: e.batchesPerEpoch, startBatch: e.startBatch, phase: e.phase });
    });
    h.afterWeightStep.tapPromise(PLUGIN_NAME, async (s) => {
      p.step({ batch: s.batch, loss: s.loss, accuracy: s.accuracy, lr: s.lr });
    });
    h.afterArchStep.tapPromise(PLUGIN_NAME, async (s) => {
      if (s.expectedLatency !== undefined) p.setExpectedLatency(s.expectedLatency, unit);
    });
    h.afterEpoch.tapPromise(PLUGIN_NAME, async (e) => {
      if (e.expectedLatency !== undefined) p.setExpectedLatency(e.expectedLatency, unit);
      p.endEpoch(searchEpochLine(e, unit));
    });
    h.done.tapPromise(PLUGIN_NAME, async () => p.stop());
    h.failed.tapPromise(PLUGIN_NAME, async () => p.stop());
  }

  /** Removes any bar and restores the cursor (e.g. before an immediate exit). */
  stop(): void {
    this.progress.stop();
  }
}

/** The summary line of a search epoch. */
export function searchEpochLine(e: EpochSummary, unit?: string): string {
  const w = String(e.epochs).length;
  return [
    `epoch ${String(e.epoch + 1).padStart(w)}/${e.epochs} ${e.phase.padEnd(6)} done`,
    `train loss ${num(e.trainLoss)} acc ${num(e.trainAccuracy, 3)}`,
    `val acc ${num(e.validationAccuracy, 3)}`,
    ...(e.expectedLatency !== undefined ? [`E[lat] ${fmtLatency(e.expectedLatency, unit)}`] : []),
    `arch ${compactArchitecture(e.architecture)}`,
    duration(e.seconds),
  ].join(' | ');
}

/** The summary line of a retraining epoch. */
export function trainEpochLine(e: TrainEpochInfo): string {
  const w = String(e.epochs).length;
  return [
    `epoch ${String(e.epoch + 1).padStart(w)}/${e.epochs} done`,
    `train loss ${num(e.trainLoss)} acc ${num(e.trainAccuracy, 3)}`,
    `val loss ${num(e.validationLoss)} acc ${num(e.validationAccuracy, 3)}`,
    duration(e.seconds),
  ].join(' | ');
}

/** `trainNetwork`'s onStep/onEpoch callbacks drawing the same progress as a search. */
export function trainProgressCallbacks(
  progress: EpochProgress,
  epochs: number,
): { onStep: (s: TrainStepInfo) => void; onEpoch: (e: TrainEpochInfo) => void } {
  let current = -1;
  // trainNetwork has no epoch-start callback: an epoch starts when the previous one ended.
  let epochStartedAt = Date.now();
  return {
    onStep: (s) => {
      if (s.epoch !== current) {
        current = s.epoch;
        if (current === 0) progress.startRun({ epochs, batchesPerEpoch: s.batchesPerEpoch });
        progress.startEpoch({ epoch: s.epoch, epochs, total: s.batchesPerEpoch, startBatch: 0, startedAt: epochStartedAt });
      }
      progress.step({ batch: s.batch, loss: s.loss, accuracy: s.accuracy, lr: s.lr });
    },
    onEpoch: (e) => {
      progress.endEpoch(trainEpochLine(e));
      epochStartedAt = Date.now();
    },
  };
}
