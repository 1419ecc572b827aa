import { describe, expect, it } from 'vitest';
import { candidateInfo, shortLabel } from './candidates.js';

describe('candidate descriptions', () => {
  it('reads the stored description of the chosen candidate and labels it', () => {
    const stored = { b0: { name: '7x7_MBConv6', kind: 'mbconv', kernel: 7, expand: 6 }, b1: { name: 'zero', kind: 'zero' } };
    expect(shortLabel(candidateInfo(stored, 'b0', '7x7_MBConv6'))).toBe('K7 E6');
    expect(shortLabel(candidateInfo(stored, 'b1', 'zero'))).toBe('skip');
    expect(shortLabel({ name: '3x3_conv', kind: 'conv', kernel: 3, expand: 1 })).toBe('K3 conv');
  });

  it('shows the bare name without a stored description, or when it names another candidate', () => {
    expect(candidateInfo(undefined, 'b0', 'k5e6')).toEqual({ name: 'k5e6', kind: 'other' });
    expect(candidateInfo({ b0: { name: 'zero', kind: 'zero' } }, 'b0', '5x5_conv')).toEqual({ name: '5x5_conv', kind: 'other' });
    expect(shortLabel(candidateInfo({}, 'b0', 'max_pool'))).toBe('max_pool');
  });
});
