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
    expect(c.model).toBe('line+layers'); // exact: no form with fewer parameters predicts a left-out network as well
    expect(c.mapeHeldOut).toBeLessThan(1e-6);
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

  it('chooses its form by leave-one-out error: on a noisy calibration from this machine the ratio, not a line in the op sum and the layers', () => {
    // 10 networks of the example's space measured whole on a 2-vCPU VM (the 56-epoch study, 2026-11-30):
    // op-table sum (ms), non-zero layers, measured (ms). Fitted in-sample, a line in both prices a layer
    // at 0.106 ms and an op at 0.23 of its table latency (r(op sum, layers) = 0.93), and predicts the
    // network left out 10.1% off on average; the ratio does 9.7%.
    const samples = [
      [0.3817, 7, 0.305],
      [1.0473, 11, 0.8701],
      [0.7475, 10, 0.7911],
      [0.9018, 11, 0.8522],
      [0.8226, 11, 0.7623],
      [0.8788, 11, 0.8146],
      [0.7368, 10, 0.6477],
      [0.8521, 11, 0.8133],
      [0.7725, 10, 0.6521],
      [0.6927, 9, 0.49],
    ].map(([t, l, m]) => ({ tableSum: t!, layers: l!, measured: m! }));
    const c = fitLatencyCalibration(samples, { minOpLatency: 0.02 });
    expect(c.model).toBe('ratio');
    expect(c.scale).toBeCloseTo(6.998 / 7.8338, 3);
    expect([c.perLayer, c.offset]).toEqual([0, 0]);
    expect(c.mapeHeldOut).toBeCloseTo(9.7, 1);
    // the forms it passed over: fitted on all ten they look better than they predict
    expect(c.mapeAfter).toBeGreaterThan(5.8);
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
