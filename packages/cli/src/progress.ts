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

const BAR_FORMAT = '{prefix} |{bar}| {value}/{total} | ETA {eta_formatted} | {stats}';

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

  constructor(options: EpochProgressOptions) {
    this.stream = options.stream;
    this.tty = options.tty ?? options.stream.isTTY === true;
    this.now = options.now ?? Date.now;
  }

  startEpoch(info: EpochStartInfo): void {
    this.finishBar();
    this.epoch = info;
    this.epochStartedAt = info.startedAt ?? this.now();
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
      this.bar = this.multibar.create(info.total, info.startBatch, { prefix: this.prefix(), stats: '' });
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
    const done = s.batch + 1;
    if (this.bar) {
      this.bar.update(done, { stats: this.stats(s) });
      return;
    }
    const decile = Math.floor((10 * done) / Math.max(1, e.total));
    if (decile > this.lastDecile && done < e.total) {
      this.lastDecile = decile;
      const ran = done - e.startBatch;
      const eta = ran > 0 ? (((this.now() - this.epochStartedAt) / 1000) * (e.total - done)) / ran : NaN;
      const pct = `${Math.floor((100 * done) / e.total)}%`.padStart(4);
      this.write(`${this.prefix()}  batch ${done}/${e.total} ${pct}  ${this.stats(s)}  ETA ${duration(eta)}`);
    }
  }

  /** Ends the epoch's bar and prints its summary line. */
  endEpoch(line: string): void {
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
