import { describe, expect, it } from 'vitest';
import { answerChances } from './chances.js';
import { formatPercent } from './format.js';

// Ten probabilities summing to 1: `best` for the digit, the rest split unevenly among the others.
function probabilitiesFor(digit, best) {
  const weights = Array.from({ length: 10 }, (_, k) => (k === digit ? 0 : k + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w, k) => (k === digit ? best : ((1 - best) * w) / total));
}

const sum = (chances) => chances.digits.reduce((a, b) => a + b, chances.notADigit);

describe('answerChances', () => {
  it("draws each digit's joint chance and the not-a-digit share the server sends", () => {
    const probabilities = probabilitiesFor(1, 0.998);
    const n = 0.048;
    const answer = { digit: 1, confidence: 0.998 * (1 - n), probabilities, notADigitProbability: n };
    const chances = answerChances(answer);
    expect(chances.notADigit).toBeCloseTo(n, 12);
    chances.digits.forEach((c, k) => expect(c).toBeCloseTo(probabilities[k] * (1 - n), 12));
    expect(chances.digits[1]).toBe(answer.confidence);
    expect(formatPercent(chances.digits[1])).toBe('95%');
    expect(sum(chances)).toBeCloseTo(1, 12);
  });

  it("keeps the chosen digit's chance the printed confidence where the server's figures were rounded apart", () => {
    // 0.5 × (1 − 0.11) = 0.445 would print 45%; the confidence, rounded to 6 decimals on its own, prints 44%.
    const answer = { digit: 4, confidence: 0.444999, probabilities: probabilitiesFor(4, 0.5), notADigitProbability: 0.11 };
    expect(formatPercent(0.5 * (1 - 0.11))).toBe('45%');
    const chances = answerChances(answer);
    expect(formatPercent(chances.digits[4])).toBe('44%');
    expect(sum(chances)).toBeCloseTo(1, 12);
  });

  it('derives the not-a-digit share from an older server, which does not send it', () => {
    const probabilities = probabilitiesFor(7, 0.8);
    const chances = answerChances({ digit: 7, confidence: 0.6, probabilities, notADigitProbability: null });
    expect(chances.digits[7]).toBe(0.6);
    expect(chances.notADigit).toBeCloseTo(1 - 0.6 / 0.8, 12);
    chances.digits.forEach((c, k) => expect(c).toBeCloseTo(probabilities[k] * 0.75, 12));
    expect(sum(chances)).toBeCloseTo(1, 12);
  });

  it('clamps the derived share to 0 when an older confidence exceeds the probability, still summing to 1', () => {
    const probabilities = probabilitiesFor(2, 0.7);
    const chances = answerChances({ digit: 2, confidence: 0.85, probabilities });
    expect(chances.notADigit).toBe(0);
    expect(chances.digits[2]).toBe(0.85);
    expect(sum(chances)).toBeCloseTo(1, 12);
    // The other digits keep their order and proportions.
    expect(chances.digits[9] / chances.digits[0]).toBeCloseTo(probabilities[9] / probabilities[0], 12);
  });

  it('gives a model without a not-a-digit output (0, or no field) the probabilities themselves', () => {
    const probabilities = probabilitiesFor(3, 0.9);
    for (const notADigitProbability of [0, null]) {
      const chances = answerChances({ digit: 3, confidence: 0.9, probabilities, notADigitProbability });
      expect(chances.notADigit).toBe(0);
      chances.digits.forEach((c, k) => expect(c).toBeCloseTo(probabilities[k], 12));
    }
  });
});
