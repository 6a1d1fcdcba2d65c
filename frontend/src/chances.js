// The chances the page draws beside an answer, one figure per thing: for each digit the chance that the image
// is a digit and this one, and the chance that it is not a digit at all. The eleven sum to 1, and the chosen
// digit's is the answer's confidence, the very figure the page prints.
//
// The server's `probabilities` are the ten digits' chances given that the image holds a digit (they sum to 1);
// its `not_a_digit_probability` n is the share left to "not a digit", so that confidence =
// probabilities[chosen] × (1 − n) and each digit's joint chance is probabilities[k] × (1 − n). An older server
// does not send n; it is then derived from that identity: 1 − confidence / probabilities[chosen], in [0, 1].

const clamp01 = (x) => Math.max(0, Math.min(1, x));

// answer: { digit, confidence, probabilities[10], notADigitProbability (a number, or null when the server does
// not send it) }. Returns { digits: [10 joint chances], notADigit }.
//
// The chosen digit's chance is the confidence itself and the other digits share what is left, 1 − confidence −
// n, in proportion to their probabilities: with the server's figures that is probabilities[k] × (1 − n)
// exactly, and it keeps both promises (the chosen bar is the printed confidence, the eleven sum to 1) even
// where the figures were rounded apart, or an older server's confidence exceeds probabilities[chosen].
export function answerChances({ digit, confidence, probabilities, notADigitProbability = null }) {
  const chosen = probabilities[digit];
  const derived = chosen > 0 && Number.isFinite(confidence) ? 1 - confidence / chosen : 0;
  const given = Number.isFinite(notADigitProbability) ? notADigitProbability : derived;
  const sure = clamp01(Number.isFinite(confidence) ? confidence : chosen * (1 - clamp01(given)));
  const notADigit = Math.min(clamp01(given), 1 - sure);
  const rest = 1 - sure - notADigit;
  const others = probabilities.reduce((sum, p, k) => (k === digit ? sum : sum + Math.max(0, p)), 0);
  return {
    digits: probabilities.map((p, k) => (k === digit ? sure : others > 0 ? (Math.max(0, p) / others) * rest : 0)),
    notADigit,
  };
}
