import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { created, microConfig, microModule } from '../../test/micro-plugins.js';
import { composeSearch } from '../compose/compose-search.js';
import { MeasuredLatencyProvider } from './measured-latency-provider.js';
import type { OpFeatures } from '../spaces/op-features.js';
import { TimingTable } from './timing.js';

beforeEach(() => void created.splice(0));

/**
 * Two searches on one machine: the first finds the reference network's quiet latency (the least
 * timing of its calibration), pins it and remembers it in the op cache with the calibration's
 * networks; the second prices against that same value and fits its calibration from memory.
 */
describe("the reference network's quiet latency, remembered per machine", () => {
  const timing = { warmup: 1, minRuns: 3, minDurationMs: 1, calibrate: 3 };

  it('is found by the first search, remembered in the cache file with the calibration, and used as it is by the next search', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxyless-reference-'));
    const cacheFile = join(dir, 'latency-cache.json');
    const file = join(dir, 'search.json');
    writeFileSync(file, JSON.stringify(microConfig({ latency: { use: 'measured', options: { ...timing, cacheFile } } })));

    const logsA: string[] = [];
    const a = await composeSearch({ config: file, runDir: join(dir, 'a'), modules: [microModule], log: (m) => logsA.push(m) });
    const calA = a.session.components.latency!.calibration!;
    const refA = calA.reference!;
    a.release();
    expect(logsA.some((m) => m.startsWith(`latency: the reference network's quiet latency on this machine: ${refA.latency.toFixed(4)} ms, remembered`))).toBe(true);
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8'));
    // the reference's quiet latency, and the calibration's networks (the reference among them)
    const byRole = (role: string) => Object.entries(cache.networks as Record<string, number>).filter(([k]) => JSON.parse(k).role === role).map(([, v]) => v);
    expect(byRole('reference')).toEqual([refA.latency]);
    expect(byRole('network').length).toBeGreaterThanOrEqual(2); // the fastest and the slowest at least (a random draw may repeat one)
    expect(Object.keys(cache.entries).length).toBeGreaterThan(0); // the op table beside it

    const logsB: string[] = [];
    const b = await composeSearch({ config: file, runDir: join(dir, 'b'), modules: [microModule], log: (m) => logsB.push(m) });
    const calB = b.session.components.latency!.calibration!;
    b.release();
    expect(logsB).toContain(`latency: the reference network's quiet latency on this machine, remembered: ${refA.latency.toFixed(4)} ms (every whole network is priced by its ratio to it)`);
    expect(calB.reference).toEqual(refA);
    expect(logsB.some((m) => m.includes('remembered for the next searches'))).toBe(false);
    // the same networks, remembered: B measured none of them and fitted the same calibration
    expect(logsB.some((m) => /^latency calibration: (\d+) of \1 networks measured on this machine before \(remembered\), 0 measured now$/.test(m))).toBe(true);
    expect(logsB.some((m) => m.startsWith('latency calibration: reference network timed'))).toBe(false);
    expect(calB).toEqual(calA);
    expect(JSON.parse(readFileSync(cacheFile, 'utf8')).networks).toEqual(cache.networks);

    // a first search that ran under load remembered too high a value: the next search keeps it
    // (and prices the remembered networks' ratios with it), and lowers it for the searches after
    const refKey = Object.keys(cache.networks).find((k) => JSON.parse(k).role === 'reference')!;
    writeFileSync(cacheFile, JSON.stringify({ ...cache, networks: { ...cache.networks, [refKey]: 5 * refA.latency } }));
    const logsC: string[] = [];
    const cC = await composeSearch({ config: file, runDir: join(dir, 'c'), modules: [microModule], log: (m) => logsC.push(m) });
    try {
      const calC = cC.session.components.latency!.calibration!;
      expect(calC.reference!.latency).toBe(5 * refA.latency);
      calC.samples.forEach((x, i) => expect(x.measured).toBeCloseTo(5 * calA.samples[i]!.measured, 9));
      const [again] = await cC.session.components.measureLatencies!([refA.architecture], 1);
      expect(again).toBeGreaterThan(refA.latency); // priced at this search's pinned value (its ratio to itself is ≈ 1)
      const lowered = JSON.parse(readFileSync(cacheFile, 'utf8')).networks[refKey];
      expect(lowered).toBeLessThan(5 * refA.latency);
      expect(logsC.some((m) => m.startsWith(`latency: the reference network timed ${lowered.toFixed(4)} ms, below the ${(5 * refA.latency).toFixed(4)} ms this machine remembered`))).toBe(true);
    } finally {
      cC.release();
    }
  });

  it('keeps what another process wrote to the cache file meanwhile, and reads older files without networks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxyless-reference-'));
    const cacheFile = join(dir, 'latency-cache.json');
    const layers: OpFeatures[] = [{ type: 'conv', input: [4, 4, 1], output: [4, 4, 2], kernel: 3, stride: 1 }];
    const p1 = new MeasuredLatencyProvider({ cacheFile });
    const p2 = new MeasuredLatencyProvider({ cacheFile }); // read the (missing) file before p1 wrote
    expect(p1.rememberedNetworkLatency('reference', layers)).toBeUndefined();
    p1.rememberNetworkLatency('reference', layers, 0.25);
    p2.rememberNetworkLatency('reference', [{ ...layers[0]!, kernel: 5 }], 0.4);
    p2.rememberNetworkLatency('network', layers, 0.27); // the same network in another role: another entry
    const fresh = new MeasuredLatencyProvider({ cacheFile });
    expect(fresh.rememberedNetworkLatency('reference', layers)).toBe(0.25);
    expect(fresh.rememberedNetworkLatency('network', layers)).toBe(0.27);
    expect(fresh.rememberedNetworkLatency('reference', [{ ...layers[0]!, kernel: 5 }])).toBe(0.4);
    expect(() => fresh.rememberNetworkLatency('reference', layers, 0)).toThrow(/cannot remember a network latency of 0/);
    // a cache file from before networks were remembered
    expect(TimingTable.fromJSON({ version: 1, entries: {} }).toJSON()).toEqual({ version: 1, entries: {} });
  });
});
