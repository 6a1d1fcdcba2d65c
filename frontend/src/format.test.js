import { describe, expect, it } from 'vitest';
import { formatBytes, formatPercent } from './format.js';

describe('formatPercent', () => {
  it('rounds sensibly', () => {
    expect(formatPercent(0.9999)).toBe('100%');
    expect(formatPercent(0.0001)).toBe('0%');
    expect(formatPercent(0.053)).toBe('5.3%');
    expect(formatPercent(0.5)).toBe('50%');
  });
});

describe('formatBytes', () => {
  it('uses B, KB and MB', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(12 * 1024 * 1024)).toBe('12.0 MB');
  });
});
