import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFileAtomic, type DeviceDescription, type OpSpec } from '@proxyless/core';
import { buildLatencyTable, robustEntry, type BuildTableOptions, type BuildTableResult } from '@proxyless/latency';
import { BrowserRuntime, type BrowserRuntimeOptions, type PageTiming } from './browser-runtime.js';

/** The file next to a browser-measured table that says where it was measured (`<table>.device.json`). */
export function deviceFileOf(table: string): string {
  return `${resolve(table)}.device.json`;
}

/** Refuses to add entries measured on another browser or backend to an existing table. */
export function checkSameDevice(table: string, device: DeviceDescription): void {
  const file = deviceFileOf(table);
  if (!existsSync(file)) return;
  const was = JSON.parse(readFileSync(file, 'utf8')) as DeviceDescription;
  if (was.backend !== device.backend || was.device !== device.device) {
    throw new Error(`browser latency: ${table} was measured on ${was.backend} · ${was.device} (${file}); this run measures on ${device.backend} · ${device.device}. Use another table file for this target`);
  }
}

export function writeDevice(table: string, device: DeviceDescription): void {
  writeFileAtomic(deviceFileOf(table), `${JSON.stringify(device, null, 2)}\n`);
}

export interface BrowserTableOptions extends Omit<BuildTableOptions, 'measure' | 'readback'>, Omit<BrowserRuntimeOptions, 'log'> {
  readonly readback?: PageTiming['readback'];
  readonly log?: (line: string) => void;
  /** Called once the browser runs, with where the table is measured. */
  readonly onDevice?: (device: DeviceDescription) => void;
}

/**
 * `buildLatencyTable` with every op timed inside headless Chromium: same table format and keys, same
 * resume (each entry written as soon as it is measured), same noise retries. The browser starts only
 * when an entry is missing; `<table>.device.json` records browser, version and backend, and a table
 * measured elsewhere is not continued.
 */
export async function buildBrowserLatencyTable(o: BrowserTableOptions): Promise<BuildTableResult & { device?: DeviceDescription }> {
  let runtime: BrowserRuntime | undefined;
  let device: DeviceDescription | undefined;
  const timing: Partial<PageTiming> = {
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
    ...(o.minRuns !== undefined ? { minRuns: o.minRuns } : {}),
    ...(o.minDurationMs !== undefined ? { minDurationMs: o.minDurationMs } : {}),
    ...(o.readback !== undefined ? { readback: o.readback } : {}),
  };
  try {
    const r = await buildLatencyTable({
      ...o,
      measure: async (op: OpSpec) => {
        if (!runtime) {
          runtime = await BrowserRuntime.start({ backend: o.backend, space: o.space, ...(o.threads ? { threads: o.threads } : {}), ...(o.executablePath ? { executablePath: o.executablePath } : {}), ...(o.log ? { log: o.log } : {}) });
          device = runtime.describe();
          checkSameDevice(o.file, device);
          writeDevice(o.file, device);
          o.onDevice?.(device);
        }
        const [samples] = await runtime.measureOps([op.features], timing);
        return robustEntry(samples!);
      },
    });
    return { ...r, ...(device ? { device } : {}) };
  } finally {
    await runtime?.close();
  }
}
