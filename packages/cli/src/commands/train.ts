import {
  autoWorkers,
  composeNetwork,
  evaluateNetwork,
  loadTrainCheckpoint,
  readArchitectureFile,
  readFinishedTraining,
  saveModelDir,
  saveTrainCheckpoint,
  TRAIN_CHECKPOINT_FILE,
  trainNetworkInWorkers,
  trainNetworkOptions,
  type Evaluation,
  type TrainNetworkOptions,
} from '@proxyless/core';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { duration, num } from '../format.js';
import { EpochProgress } from '../progress.js';
import { trainProgressCallbacks } from '../progress-plugin.js';
import { onSigint, type CommandContext } from './common.js';

/** Flags of `train` that map onto `trainNetworkOptions` (flag → option key). */
export const TRAIN_FLAGS = {
  epochs: '--epochs',
  batchSize: '--batch-size',
  lr: '--lr',
  lrSchedule: '--lr-schedule',
  momentum: '--momentum',
  weightDecay: '--weight-decay',
  labelSmoothing: '--label-smoothing',
  maxBatchesPerEpoch: '--max-batches-per-epoch',
} as const satisfies Partial<Record<keyof TrainNetworkOptions, string>>;

export type TrainFlagValues = Partial<Record<keyof typeof TRAIN_FLAGS, string>> & { out?: string; backend?: string; workers?: string; resume?: boolean };

/** `--workers`: a positive integer or "auto". */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value.trim() === 'auto') return autoWorkers();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`train: invalid option: --workers: got ${JSON.stringify(value)}; expected a positive integer (at most 64) or "auto"`);
  return n;
}

const NUMERIC = new Set<keyof typeof TRAIN_FLAGS>(['epochs', 'batchSize', 'lr', 'momentum', 'weightDecay', 'labelSmoothing', 'maxBatchesPerEpoch']);

/** Validates the training flags with `trainNetworkOptions`; a bad value is reported with its flag. */
export function parseTrainOptions(flags: TrainFlagValues): TrainNetworkOptions {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of Object.keys(TRAIN_FLAGS) as (keyof typeof TRAIN_FLAGS)[]) {
    const v = flags[key];
    if (v === undefined) continue;
    if (NUMERIC.has(key)) {
      const n = v.trim() === '' ? NaN : Number(v);
      if (!Number.isFinite(n)) problems.push(`${TRAIN_FLAGS[key]}: got ${JSON.stringify(v)}; expected a number`);
      else raw[key] = n;
    } else raw[key] = v;
  }
  const r = trainNetworkOptions.safeParse(raw);
  if (r.success && problems.length === 0) return r.data;
  if (!r.success) {
    for (const issue of r.error.issues) {
      const key = String(issue.path[0] ?? '') as keyof typeof TRAIN_FLAGS;
      const flag = TRAIN_FLAGS[key] ?? key;
      problems.push(`${flag}: got ${flags[key] ?? JSON.stringify(raw[key])}; expected ${issue.message}`);
    }
  }
  throw new UsageError(`train: invalid option${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`);
}

/** `proxyless train <architecture.json>`: trains the derived network from scratch and saves a model directory. */
export async function trainCommand(ctx: CommandContext, architectureFile: string, flags: TrainFlagValues): Promise<number> {
  const { out, io } = ctx;
  const options = parseTrainOptions(flags);
  const workers = parseWorkers(flags.workers);
  const file = resolve(architectureFile);
  // where the model goes, checked before training (not after it)
  const modelDir = resolve(flags.out ?? join(dirname(file), 'model'));
  if (existsSync(modelDir) && !statSync(modelDir).isDirectory()) throw new UsageError(`train: --out ${modelDir} is a file; expected a model directory to write`);
  const progress = out.verbose ? new EpochProgress({ stream: io.stderr }) : undefined;
  const checkpointFile = join(modelDir, TRAIN_CHECKPOINT_FILE);
  // Ctrl-C and SIGTERM (data-parallel worker threads end with the process): the last epoch's checkpoint stays, exit 130 / 143.
  const removeSigint = onSigint(undefined, (signal) => {
    progress?.stop();
    out.error(
      `proxyless: interrupted${signal === 'SIGTERM' ? ' (SIGTERM)' : ''}` +
        (existsSync(checkpointFile) ? ` (${checkpointFile} holds the last finished epoch: run the same command with --resume to continue)` : ' (no epoch finished; nothing saved)'),
    );
  });
  try {
    // resuming a training that already finished: nothing to do, nothing changed (exit 0, so a retried
    // resume is harmless); answered from the files, before the network and the data are built
    if (flags.resume && !existsSync(checkpointFile)) {
      const { architecture, seed } = readArchitectureFile(file);
      const finished = readFinishedTraining(modelDir, { architecture, seed, options, workers });
      if (finished) {
        const test = finished['test'] as Evaluation | undefined;
        out.result(`${modelDir} already holds this training's model${test ? ` (test accuracy ${num(test.accuracy)})` : ''}; nothing resumed, nothing changed`);
        out.emitJson({ command: 'train', status: 'finished', modelDir, architecture, ...finished });
        return 0;
      }
    }
    const backendOverride = flags.backend ? { backend: { use: flags.backend, options: {} } } : {};
    const { network, dataset, record } = await composeNetwork({ architectureFile: file, ...backendOverride, log: out.info });
    const counted = network.variables().reduce((s, v) => s + v.variable.size, 0);
    out.info(`network: ${Object.keys(record.architecture).length} searched blocks, ${counted} parameters`);
    out.info(
      `training: ${options.epochs} epochs, batch ${options.batchSize}, lr ${options.lr} (${options.lrSchedule})` +
        (options.maxBatchesPerEpoch ? `, at most ${options.maxBatchesPerEpoch} batches per epoch` : '') +
        (workers > 1 ? `, ${workers} data-parallel workers (batch slices of ${Math.floor(options.batchSize / workers)}–${Math.ceil(options.batchSize / workers)})` : ''),
    );
    const identity = { architecture: record.architecture, seed: record.seed, options, workers };
    const resume = flags.resume ? loadTrainCheckpoint(checkpointFile, network, identity) : undefined;
    if (resume) out.info(`resuming from ${checkpointFile}: ${resume.epochsDone} of ${options.epochs} epochs done`);
    else if (flags.resume) out.info(`no checkpoint at ${checkpointFile}: training from scratch`);
    else if (existsSync(checkpointFile)) out.info(`training from scratch: ${checkpointFile} of an earlier run is replaced (--resume continues it instead)`);
    const before = resume?.seconds ?? 0;
    const t0 = Date.now();
    const cb = progress ? trainProgressCallbacks(progress, options.epochs) : undefined;
    let last;
    try {
      last = await trainNetworkInWorkers(
        network,
        dataset,
        options,
        {
          seed: record.seed,
          ...(cb ? { onStep: cb.onStep, onEpoch: cb.onEpoch } : {}),
          ...(resume ? { resume } : {}),
          onCheckpoint: (state) => saveTrainCheckpoint(checkpointFile, network, identity, state, before + (Date.now() - t0) / 1000),
        },
        { workers, compose: { architectureFile: file, ...backendOverride } },
      );
    } finally {
      if (resume) tf.dispose(Object.values(resume.slots));
    }
    progress?.stop();
    let test: Evaluation | undefined;
    if (dataset.test && dataset.test.size > 0) test = evaluateNetwork(network, dataset.test);
    // Relative paths in the record (e.g. a data folder) keep resolving against the architecture file's folder.
    const saved = { ...record, $source: record.$source ?? { file, dir: dirname(file) } };
    const metrics = { options, workers, train: last, ...(test ? { test } : {}), seconds: before + (Date.now() - t0) / 1000, ...(resume ? { resumedAfterEpoch: resume.epochsDone } : {}) };
    saveModelDir(modelDir, { network, record: saved, metrics });
    rmSync(checkpointFile, { force: true }); // the model directory now holds the result

    out.result(`trained ${options.epochs} epoch${options.epochs === 1 ? '' : 's'} in ${duration(metrics.seconds)}`);
    out.result(`train loss ${num(last.trainLoss)}, accuracy ${num(last.trainAccuracy)}`);
    out.result(`validation loss ${num(last.validationLoss)}, accuracy ${num(last.validationAccuracy)}`);
    if (test) out.result(`test loss ${num(test.loss)}, accuracy ${num(test.accuracy)} (${test.count} examples)`);
    else out.result('test: the dataset has no test split');
    out.result(`model directory: ${modelDir}`);
    out.emitJson({ command: 'train', modelDir, architecture: record.architecture, ...metrics });
    return 0;
  } finally {
    removeSigint();
    progress?.stop();
  }
}
