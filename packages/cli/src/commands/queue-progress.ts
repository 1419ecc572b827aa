import cliProgress from 'cli-progress';
import { progressLine, type TrackProgress } from '@proxyless/runner-bullmq';
import type { Output, WritableText } from '../output.js';
import { onSigint } from './common.js';

/**
 * Progress of jobs on queues: on a terminal one bar per queue (done/total, running, failed, jobs
 * per worker); elsewhere a plain line whenever the counts change. Nothing with --json or --quiet.
 */
export class QueueProgress {
  private multi: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, cliProgress.SingleBar>();

  constructor(
    private readonly out: Output,
    private readonly stream: WritableText & { isTTY?: boolean },
    private readonly label: string,
  ) {
    if (out.verbose && stream.isTTY === true) {
      this.multi = new cliProgress.MultiBar(
        { stream: stream as NodeJS.WritableStream, format: '{queue} |{bar}| {value}/{total} | {running} running, {failed} failed | {workers}', barsize: 24, hideCursor: true, clearOnComplete: false, fps: 5 },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  /** A log line above the bars (or a plain line). */
  log(message: string): void {
    if (this.multi) this.multi.log(`${message}\n`);
    else this.out.info(message);
  }

  update(p: TrackProgress): void {
    if (!this.multi) return this.out.info(progressLine(`${this.label} [${p.queue}]`, p));
    const payload = { queue: p.queue, running: p.active, failed: p.failed, workers: [...p.perWorker].map(([w, n]) => `${w} ${n}`).join(', ') || '—' };
    let bar = this.bars.get(p.queue);
    if (!bar) {
      bar = this.multi.create(p.total, p.done, payload);
      this.bars.set(p.queue, bar);
    }
    bar.setTotal(p.total);
    bar.update(p.done, payload);
  }

  stop(): void {
    this.multi?.stop();
    this.multi = undefined;
  }
}

/**
 * Ctrl-C while jobs are on the queues (`latency build --redis`, `sweep`): the bars stop, `message`
 * says what happens to the jobs, and `signal` aborts the waiting; a second Ctrl-C quits at once.
 * `exitCode` is the command's exit status for what the run ended with.
 */
export interface QueueInterrupt {
  readonly signal: AbortSignal;
  /** Removes the Ctrl-C handler. */
  readonly remove: () => void;
  /** 1 when a job failed, 130 when interrupted with work left, else 0. */
  readonly exitCode: (r: { readonly failed: readonly unknown[]; readonly remaining: number }) => number;
}

export function queueInterrupt(progress: QueueProgress, out: Output, message: string): QueueInterrupt {
  const controller = new AbortController();
  const remove = onSigint(
    () => {
      progress.stop();
      out.error(message);
      controller.abort();
      return true;
    },
    () => {},
  );
  return {
    signal: controller.signal,
    remove,
    exitCode: (r) => (r.failed.length ? 1 : controller.signal.aborted && r.remaining > 0 ? 130 : 0),
  };
}
