import cliProgress from 'cli-progress';
import { progressLine, type TrackProgress } from '@proxyless/runner-bullmq';
import type { Output, WritableText } from '../output.js';

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
