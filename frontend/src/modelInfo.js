// What the page shows of GET /model's answer.

// The test accuracy from the training metadata (a number, or a number in a string); null when not given.
export function testAccuracy(info) {
  const candidates = [info?.training?.test_accuracy, info?.metadata?.test_accuracy, info?.test_accuracy];
  for (const candidate of candidates) {
    const value = typeof candidate === 'string' ? Number.parseFloat(candidate) : candidate;
    if (typeof value === 'number' && value > 0 && value <= 1) return value;
  }
  return null;
}

// Whether the server keeps corrections (it was started with --feedback-db): GET /model says
// "feedback": {"enabled": true}. Anything else, an older server's silence included, is no.
export function feedbackEnabled(info) {
  return info?.feedback?.enabled === true;
}
