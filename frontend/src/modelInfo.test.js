import { describe, expect, it } from 'vitest';
import { feedbackEnabled, testAccuracy } from './modelInfo.js';

describe('testAccuracy', () => {
  it('reads the training metadata as a number or a numeric string', () => {
    expect(testAccuracy({ training: { test_accuracy: 0.9951 } })).toBe(0.9951);
    expect(testAccuracy({ training: { test_accuracy: '0.9942' } })).toBe(0.9942);
    expect(testAccuracy({ training: { test_accuracy: null } })).toBeNull();
    expect(testAccuracy(null)).toBeNull();
  });
});

describe('feedbackEnabled', () => {
  it('is true only when the server says "feedback": {"enabled": true}', () => {
    expect(feedbackEnabled({ feedback: { enabled: true } })).toBe(true);
    expect(feedbackEnabled({ feedback: { enabled: false } })).toBe(false);
    expect(feedbackEnabled({ feedback: { enabled: 'yes' } })).toBe(false);
    expect(feedbackEnabled({})).toBe(false);
    expect(feedbackEnabled(null)).toBe(false);
  });
});
