import cliProgress from 'cli-progress';
import { duration, latency as fmtLatency, lr as fmtLr, num } from './format.js';
import type { WritableText } from './output.js';

export interface EpochProgressOptions {
  /** Where progress goes (stderr). */
  readonly stream: WritableText & { isTTY?: boolean };
  /** Draw animated bars (default: `stream.isTTY`). Without bars, plain lines are printed. */
  readonly tty?: boolean;
  /** Clock in ms (tests). */
  readonly now?: () => number;
}

export interface EpochStartInfo {
  /** 0-based. */
  readonly epoch: number;
  readonly epochs: number;
  /** Batches in this epoch. */
  readonly total: number;
  /** First batch run (non-zero after a mid-epoch resume). */
  readonly startBatch: number;
  /** `warmup` / `search`, shown after the epoch number. */
  readonly phase?: string;
  /** When the epoch began (ms, default: now), for the ETA when it is started late. */
  readonly startedAt?: number;
}

export interface StepStats {
  /** 0-based index of the batch just finished. */
  readonly batch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly lr: number;
}

const BAR_FORMAT = '{prefix} |{bar}| {value}/{total} | ETA {eta_formatted}{run_eta} | {stats}';

/** What a whole run will do: its epochs, batches per epoch and (when known) how many are warm-up epochs. */
export interface RunPlan {
  readonly epochs: number;
  readonly batchesPerEpoch: number;
  /** Epochs `0 … warmupEpochs-1` are warm-up (weights only, faster); unknown: later epochs are timed like the current one. */
  readonly warmupEpochs?: number;
}

/**
 * The remaining time of a whole run (every epoch left, warm-up and search, not only the current one):
 * seconds per batch measured separately for each phase (a search batch adds an architecture step,
 * so it costs more than a warm-up batch; a phase not seen yet is timed like the other), plus the time
 * each finished epoch spent after its last batch (validation, checkpoint), for every epoch left.
 */
export class RunEta {
  private readonly perBatch = new Map<string, { seconds: number; batches: number }>();
  private tail = { seconds: 0, epochs: 0 };
  private epoch = -1;
  private phase = '';
  private done = 0;
  private lastAt = 0;

  constructor(readonly plan: RunPlan, private readonly now: () => number) {}

  beginEpoch(epoch: number, phase: string | undefined, startBatch: number, at = this.now()): void {
    this.epoch = epoch;
    this.phase = phase ?? '';
    this.done = startBatch;
    this.lastAt = at;
  }

  /** Batch `batch` (0-based) of the current epoch just finished. */
  step(batch: number): void {
    const t = this.now();
    const n = batch + 1 - this.done;
    if (n > 0) {
      const m = this.perBatch.get(this.phase) ?? { seconds: 0, batches: 0 };
      this.perBatch.set(this.phase, { seconds: m.seconds + (t - this.lastAt) / 1000, batches: m.batches + n });
    }
    this.done = batch + 1;
    this.lastAt = t;
  }

  /** The current epoch ended (after its validation): the time since its last batch is its tail. */
  endEpoch(): void {
    this.tail = { seconds: this.tail.seconds + (this.now() - this.lastAt) / 1000, epochs: this.tail.epochs + 1 };
    this.epoch += 1;
    this.done = 0;
    this.lastAt = this.now();
  }

  private rate(phase: string): number {
    const m = this.perBatch.get(phase);
    if (m && m.batches > 0) return m.seconds / m.batches;
    const all = [...this.perBatch.values()].reduce((a, b) => ({ seconds: a.seconds + b.seconds, batches: a.batches + b.batches }), { seconds: 0, batches: 0 });
    return all.batches > 0 ? all.seconds / all.batches : NaN;
  }

  private phaseOf(epoch: number): string {
    const w = this.plan.warmupEpochs;
    if (w === undefined || this.phase === '') return this.phase;
    return epoch < w ? 'warmup' : 'search';
  }

  /** Seconds left in the whole run (NaN until a batch has been timed). */
  remainingSeconds(): number {
    const { epochs, batchesPerEpoch } = this.plan;
    const tail = this.tail.epochs > 0 ? this.tail.seconds / this.tail.epochs : 0;
    if (this.epoch < 0 || this.epoch >= epochs) return this.epoch >= epochs ? 0 : NaN;
    let left = (batchesPerEpoch - this.done) * this.rate(this.phaseOf(this.epoch)) + tail;
    for (let e = this.epoch + 1; e < epochs; e++) left += batchesPerEpoch * this.rate(this.phaseOf(e)) + tail;
    return left;
  }
}

/**
 * Progress of an epoch-based loop, on stderr. On a TTY: one cli-progress bar per epoch (batch/total,
 * ETA, loss, accuracy, lr, E[lat]) that is replaced by a summary line when the epoch ends. Elsewhere
 * (CI, pipes, files): no bars, a plain line about every 10% of an epoch plus the summary line.
 */
export class EpochProgress {
  readonly tty: boolean;
  private readonly stream: WritableText;
  private readonly now: () => number;
  private multibar: cliProgress.MultiBar | undefined;
  private bar: cliProgress.SingleBar | undefined;
  private epoch: EpochStartInfo | undefined;
  private epochStartedAt = 0;
  private lastDecile = 0;
  private last: StepStats | undefined;
  private expectedLatency: { value: number; unit: string | undefined } | undefined;
  private run: RunEta | undefined;

  constructor(options: EpochProgressOptions) {
    this.stream = options.stream;
    this.tty = options.tty ?? options.stream.isTTY === true;
    this.now = options.now ?? Date.now;
  }

  /** Shows the ETA of the whole run from now on (after the epoch's own), for this plan. */
  startRun(plan: RunPlan): void {
    this.run = new RunEta(plan, this.now);
  }

  /** Seconds left in the whole run, when `startRun` was called (NaN until a batch has been timed). */
  runRemainingSeconds(): number | undefined {
    return this.run?.remainingSeconds();
  }

  startEpoch(info: EpochStartInfo): void {
    this.finishBar();
    this.epoch = info;
    this.epochStartedAt = info.startedAt ?? this.now();
    this.run?.beginEpoch(info.epoch, info.phase, info.startBatch, this.epochStartedAt);
    this.lastDecile = Math.floor((10 * info.startBatch) / Math.max(1, info.total));
    this.last = undefined;
    if (this.tty) {
      this.multibar ??= new cliProgress.MultiBar(
        {
          stream: this.stream as NodeJS.WritableStream,
          format: BAR_FORMAT,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          stopOnComplete: false,
          gracefulExit: false,
          autopadding: true,
          etaBuffer: 20,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multibar.create(info.total, info.startBatch, { prefix: this.prefix(), stats: '', run_eta: this.runEta() });
    }
  }

  /** The expected latency to show from now on (architecture steps report it). */
  setExpectedLatency(value: number | undefined, unit: string | undefined): void {
    this.expectedLatency = value === undefined ? undefined : { value, unit };
    if (this.bar && this.last) this.bar.update({ stats: this.stats(this.last) });
  }

  step(s: StepStats): void {
    const e = this.epoch;
    if (!e) return;
    this.last = s;
    this.run?.step(s.batch);
    const done = s.batch + 1;
    if (this.bar) {
      this.bar.update(done, { stats: this.stats(s), run_eta: this.runEta() });
      return;
    }
    const decile = Math.floor((10 * done) / Math.max(1, e.total));
    if (decile > this.lastDecile && done < e.total) {
      this.lastDecile = decile;
      const ran = done - e.startBatch;
      const eta = ran > 0 ? (((this.now() - this.epochStartedAt) / 1000) * (e.total - done)) / ran : NaN;
      const pct = `${Math.floor((100 * done) / e.total)}%`.padStart(4);
      this.write(`${this.prefix()}  batch ${done}/${e.total} ${pct}  ${this.stats(s)}  ETA ${duration(eta)}${this.run ? `  run ETA ${duration(this.run.remainingSeconds())}` : ''}`);
    }
  }

  /** Ends the epoch's bar and prints its summary line. */
  endEpoch(line: string): void {
    this.run?.endEpoch();
    this.finishBar(line);
    this.epoch = undefined;
  }

  /** A line printed above the bar (or plainly). */
  log(line: string): void {
    if (this.multibar && this.bar) this.multibar.log(`${line}\n`);
    else this.write(line);
  }

  /** Removes any bar and restores the cursor (call on success, failure and before exiting). */
  stop(): void {
    this.finishBar();
    if (this.multibar) {
      this.multibar.stop();
      this.multibar = undefined;
    }
  }

  private finishBar(line?: string): void {
    if (this.multibar && this.bar) {
      this.multibar.remove(this.bar);
      this.bar = undefined;
      // Stopping clears the (now empty) bar area and shows the cursor; the next epoch starts afresh.
      this.multibar.stop();
      this.multibar = undefined;
    }
    if (line !== undefined) this.write(line);
  }

  /** The run's ETA as the bar shows it after the epoch's (empty without a run plan). */
  private runEta(): string {
    return this.run ? ` | run ETA ${duration(this.run.remainingSeconds())}` : '';
  }

  private prefix(): string {
    const e = this.epoch!;
    const w = String(e.epochs).length;
    return `epoch ${String(e.epoch + 1).padStart(w)}/${e.epochs}${e.phase ? ` ${e.phase.padEnd(6)}` : ''}`;
  }

  private stats(s: StepStats): string {
    const lat = this.expectedLatency ? `  E[lat] ${fmtLatency(this.expectedLatency.value, this.expectedLatency.unit)}` : '';
    return `loss ${num(s.loss)}  acc ${num(s.accuracy, 3)}  lr ${fmtLr(s.lr)}${lat}`;
  }

  private write(line: string): void {
    this.stream.write(`${line}\n`);
  }
}
