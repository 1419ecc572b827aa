import { fileURLToPath } from 'node:url';
import { LookupTableLatencyProvider } from './lookup-table-provider.js';
import { readLatencyTable, type LatencyTable } from './latency-table.js';

/**
 * The Google Pixel 1 table of ProxylessNAS (TF-Lite, batch 1, 72 entries, ms), shipped in this
 * package's `tables/` folder (see its README for the provenance). It covers the `imagenet` MBConv
 * preset at width 1.0.
 */
export const PIXEL1_TABLE_FILE: string = fileURLToPath(new URL('../tables/pixel1-mobile_trim.yaml', import.meta.url));

let pixel1: LatencyTable | undefined;

/** The shipped Pixel 1 table (read once). */
export function pixel1Table(): LatencyTable {
  pixel1 ??= readLatencyTable(PIXEL1_TABLE_FILE);
  return pixel1;
}

/** The `mobile` target: latency from the shipped Pixel 1 table. */
export function mobileLatencyProvider(): LookupTableLatencyProvider {
  return new LookupTableLatencyProvider(pixel1Table(), 'mobile', `${PIXEL1_TABLE_FILE} (Pixel 1)`);
}
