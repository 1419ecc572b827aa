import { describe, expect, it } from 'vitest';
import { parseCandidate, shortLabel } from './candidates.js';

describe('parseCandidate', () => {
  it('reads kernel and expand ratio of MBConv names (legacy and NNI forms)', () => {
    expect(parseCandidate('5x5_MBConv6')).toEqual({ name: '5x5_MBConv6', kind: 'mbconv', kernel: 5, expand: 6 });
    expect(parseCandidate('3x3_MBConv3')).toMatchObject({ kind: 'mbconv', kernel: 3, expand: 3 });
    expect(parseCandidate('k7e3')).toMatchObject({ kind: 'mbconv', kernel: 7, expand: 3 });
    expect(shortLabel(parseCandidate('7x7_MBConv6'))).toBe('K7 E6');
  });

  it('reads plain convs, zero and unknown names', () => {
    expect(parseCandidate('3x3_conv')).toMatchObject({ kind: 'conv', kernel: 3, expand: 1 });
    expect(parseCandidate('zero')).toEqual({ name: 'zero', kind: 'zero' });
    expect(shortLabel(parseCandidate('zero'))).toBe('skip');
    expect(parseCandidate('identity').kind).toBe('identity');
    expect(parseCandidate('max_pool')).toEqual({ name: 'max_pool', kind: 'other' });
  });
});
