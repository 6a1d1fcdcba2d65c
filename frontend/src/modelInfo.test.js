import { describe, expect, it } from 'vitest';
import { testAccuracy } from './modelInfo.js';

describe('testAccuracy', () => {
  it('reads the training metadata as a number or a numeric string', () => {
    expect(testAccuracy({ training: { test_accuracy: 0.9951 } })).toBe(0.9951);
    expect(testAccuracy({ training: { test_accuracy: '0.9942' } })).toBe(0.9942);
    expect(testAccuracy({ training: { test_accuracy: null } })).toBeNull();
    expect(testAccuracy(null)).toBeNull();
  });
});
