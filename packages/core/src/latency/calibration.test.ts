import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitLatencyCalibration, readStoredCalibration } from './calibration.js';

describe('fitLatencyCalibration', () => {
  it('recovers scale, per-layer cost and offset of networks that follow the model exactly', () => {
    const truth = (tableSum: number, layers: number) => 1.2 * tableSum + 0.01 * layers + 0.05;
    const samples = [
      [0.3, 10],
      [0.5, 12],
      [0.45, 9],
      [0.8, 12],
      [0.6, 11],
    ].map(([t, l]) => ({ tableSum: t!, layers: l!, measured: truth(t!, l!) }));
    const c = fitLatencyCalibration(samples);
    expect(c.scale).toBeCloseTo(1.2, 6);
    expect(c.perLayer).toBeCloseTo(0.01, 6);
    expect(c.offset).toBeCloseTo(0.05, 6);
    expect(c.mapeAfter).toBeLessThan(1e-6);
    expect(c.mapeBefore).toBeGreaterThan(20); // the op sum alone is 25–30% low here
  });

  it('fits no per-layer term when every network has the same layers (it would be the offset again)', () => {
    const samples = [0.2, 0.4, 0.7].map((t) => ({ tableSum: t, layers: 8, measured: 1.1 * t + 0.03 }));
    const c = fitLatencyCalibration(samples);
    expect(c.perLayer).toBe(0);
    expect(c.scale).toBeCloseTo(1.1, 6);
    expect(c.offset).toBeCloseTo(0.03, 6);
  });

  it('falls back to the ratio measured / op sum when a line cannot be fitted or would price an op below zero', () => {
    // one network: no line through one point
    const one = fitLatencyCalibration([{ tableSum: 0.5, layers: 6, measured: 0.6 }]);
    expect([one.scale, one.perLayer, one.offset]).toEqual([expect.closeTo(1.2, 9), 0, 0]);
    // measured falls as the op sum rises (noise swamping a narrow range): scale ≤ 0 is refused
    const noisy = fitLatencyCalibration([
      { tableSum: 0.5, layers: 6, measured: 0.7 },
      { tableSum: 0.51, layers: 6, measured: 0.6 },
      { tableSum: 0.52, layers: 6, measured: 0.5 },
    ]);
    expect(noisy.scale).toBeCloseTo(1.8 / 1.53, 9);
    expect([noisy.perLayer, noisy.offset]).toEqual([0, 0]);
    // a negative per-layer cost that would make the cheapest op (0.001) cost less than nothing
    const negative = [
      [0.3, 4],
      [0.5, 12],
      [0.45, 9],
      [0.8, 6],
    ].map(([t, l]) => ({ tableSum: t!, layers: l!, measured: 1.0 * t! - 0.01 * l! + 0.2 }));
    const guarded = fitLatencyCalibration(negative, { minOpLatency: 0.001 });
    expect(guarded.perLayer).toBe(0);
    expect(guarded.scale).toBeGreaterThan(0);
    // with no such op the same fit is kept
    expect(fitLatencyCalibration(negative, { minOpLatency: 0.05 }).perLayer).toBeCloseTo(-0.01, 6);
  });

  it('refuses an empty sample', () => {
    expect(() => fitLatencyCalibration([])).toThrow(/no measured networks/);
  });

  it('reads a stored calibration back only for its own target and unit, and drops an unreadable reference', () => {
    const dir = mkdtempSync(join(tmpdir(), 'calibration-'));
    const file = join(dir, 'latency-calibration.json');
    const calibration = { ...fitLatencyCalibration([{ tableSum: 0.5, layers: 6, measured: 0.6 }]), reference: { architecture: { b0: 'zero' }, latency: 0.31 } };
    writeFileSync(file, JSON.stringify({ target: 'cpu', unit: 'ms', calibration }));
    expect(readStoredCalibration(file, 'cpu', 'ms')).toEqual(calibration);
    expect(readStoredCalibration(file, 'gpu', 'ms')).toBeUndefined();
    expect(readStoredCalibration(join(dir, 'none.json'), 'cpu', 'ms')).toBeUndefined();
    writeFileSync(file, JSON.stringify({ target: 'cpu', unit: 'ms', calibration: { ...calibration, reference: { architecture: { b0: 'zero' }, latency: -1 } } }));
    const { reference: _r, ...withoutReference } = calibration;
    expect(readStoredCalibration(file, 'cpu', 'ms')).toEqual(withoutReference);
    writeFileSync(file, '{ not json');
    expect(readStoredCalibration(file, 'cpu', 'ms')).toBeUndefined();
  });
});
