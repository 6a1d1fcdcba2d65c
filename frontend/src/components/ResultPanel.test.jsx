import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import ResultPanel from './ResultPanel.jsx';
import { prediction } from '../test/helpers.js';

const source = { kind: 'drawing', label: 'your drawing' };

// Ten probabilities summing to 1: the given ones, the rest split evenly among the other digits.
function probabilitiesWith(given) {
  const rest = (1 - Object.values(given).reduce((a, b) => a + b, 0)) / (10 - Object.keys(given).length);
  return Array.from({ length: 10 }, (_, k) => given[k] ?? rest);
}

// What each bar shows: its label and value as drawn, and its name as a screen reader reads it.
function barFigures() {
  return within(screen.getByTestId('probability-bars'))
    .getAllByRole('listitem')
    .map((bar) => ({
      label: bar.querySelector('.bar-label').textContent.replace(/\s+/g, ' '), // a no-break space in "not a digit"
      value: bar.querySelector('.bar-value').textContent,
      name: bar.getAttribute('aria-label'),
    }));
}

// The figures drawn add up to 100%, within what rounding each one can move it (formatPercent: whole percents
// from 10%, tenths below).
function expectHundredPercent(bars) {
  const values = bars.map((b) => Number.parseFloat(b.value));
  const total = values.reduce((a, b) => a + b, 0);
  const slack = values.reduce((a, v) => a + (v >= 10 ? 0.5 : 0.05), 0);
  expect(Math.abs(total - 100)).toBeLessThanOrEqual(slack);
}

describe('ResultPanel', () => {
  it('invites the user before anything is predicted', () => {
    render(<ResultPanel state={{ status: 'idle', result: null, error: null, source: null }} />);
    expect(screen.getByText(/appears here/)).toBeInTheDocument();
  });

  it('shows the digit, its confidence, eleven bars and the 28×28 input', () => {
    render(<ResultPanel state={{ status: 'done', result: prediction(7, 0.97), error: null, source }} />);
    expect(screen.getByTestId('predicted-digit')).toHaveTextContent('7');
    expect(screen.getByTestId('confidence')).toHaveTextContent('97% confident');
    expect(screen.getByText('Chance of each answer')).toBeInTheDocument();
    const bars = within(screen.getByTestId('probability-bars')).getAllByRole('listitem');
    expect(bars).toHaveLength(11);
    expect(bars[7]).toHaveClass('is-predicted');
    expect(bars[7]).toHaveAccessibleName('7: 97%');
    expect(bars[10]).toHaveAccessibleName('not a digit: 0%');
    expect(screen.getByRole('img', { name: /28 by 28 pixel image the model saw/ })).toBeInTheDocument();
    expect(screen.queryByTestId('low-confidence')).not.toBeInTheDocument();
    expect(screen.getByText('for your drawing')).toBeInTheDocument();
  });

  it('sets each bar height through a CSS custom property', () => {
    const { container } = render(<ResultPanel state={{ status: 'done', result: prediction(2, 0.8), error: null, source }} />);
    const fills = container.querySelectorAll('.bar-fill');
    expect(fills[2].style.getPropertyValue('--p')).toBe('0.8');
  });

  it('gives a hint naming the runner-up, with its chance as the chart draws it, when the server is unsure', () => {
    const probabilities = probabilitiesWith({ 4: 0.5, 9: 0.4 });
    const result = { digit: 4, confidence: 0.45, probabilities, notADigitProbability: 0.1, isDigit: false, reason: 'low_confidence' };
    render(<ResultPanel state={{ status: 'done', result, error: null, source }} />);
    // 0.4 × (1 − 0.1): the joint chance, not the 40% among the digits only.
    expect(screen.getByTestId('low-confidence')).toHaveTextContent('could also be a 9 (36%)');
    expect(screen.getByRole('listitem', { name: '9: 36%' })).toBeInTheDocument();
  });

  it("draws the joint chances the server sends: the chosen digit's bar is the confidence printed, and the eleven make 100%", () => {
    // The answer of the defect: 1 at 99.8% among the digits, 4.8% "not a digit", 95% confident.
    const probabilities = probabilitiesWith({ 1: 0.998, 7: 0.0015 });
    const result = { digit: 1, confidence: 0.998 * (1 - 0.048), probabilities, notADigitProbability: 0.048, isDigit: true };
    render(<ResultPanel state={{ status: 'done', result, error: null, source }} />);
    const printed = screen.getByTestId('confidence').textContent.replace(' confident', '');
    expect(printed).toBe('95%');
    const bars = barFigures();
    expect(bars).toHaveLength(11);
    expect(bars[1]).toEqual({ label: '1', value: printed, name: `1: ${printed}` });
    expect(bars[10]).toEqual({ label: 'not a digit', value: '4.8%', name: 'not a digit: 4.8%' });
    expectHundredPercent(bars);
  });

  it('derives the chart from an older server, which sends no not_a_digit_probability', () => {
    const probabilities = probabilitiesWith({ 1: 0.998, 7: 0.0015 });
    const result = { ...prediction(1), confidence: 0.948, probabilities, notADigitProbability: null };
    render(<ResultPanel state={{ status: 'done', result, error: null, source }} />);
    const bars = barFigures();
    expect(bars[1].value).toBe(screen.getByTestId('confidence').textContent.replace(' confident', ''));
    // 1 − 0.948 / 0.998
    expect(bars[10].value).toBe('5.0%');
    expectHundredPercent(bars);
  });

  it('keeps the previous result, dimmed, while recognising', () => {
    const { container } = render(<ResultPanel state={{ status: 'loading', result: prediction(3), error: null, source }} />);
    expect(screen.getByRole('status', { name: 'Recognising' })).toBeInTheDocument();
    expect(container.querySelector('.result-body')).toHaveClass('is-stale');
  });

  it.each([
    ['network', 'Cannot reach the server'],
    ['rejected', 'The server could not use this file'],
    ['too_large', 'File too large'],
  ])('shows a %s error plainly, with the message', (kind, title) => {
    const error = { kind, message: 'the message from the server', code: 'some_code', status: 415 };
    render(<ResultPanel state={{ status: 'error', result: null, error, source }} />);
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent(title);
    expect(alert).toHaveTextContent('the message from the server');
    expect(alert).toHaveTextContent('Code: some_code · HTTP 415');
  });
});

describe('ResultPanel: not a digit', () => {
  const done = (result) => ({ status: 'done', result, error: null, source });

  it('says plainly that it is not a digit, with the best guess small instead of the big digit', () => {
    render(<ResultPanel state={done({ ...prediction(3, 0.41), isDigit: false, reason: 'not_a_digit' })} />);
    expect(screen.getByTestId('not-a-digit')).toHaveTextContent('This doesn’t look like a digit');
    expect(screen.getByTestId('best-guess')).toHaveTextContent('best guess: 3, 41%');
    expect(screen.queryByTestId('predicted-digit')).not.toBeInTheDocument();
    expect(screen.queryByTestId('low-confidence')).not.toBeInTheDocument();
    // The best guess printed is its bar in the chart.
    expect(screen.getByRole('listitem', { name: '3: 41%' })).toHaveClass('is-predicted');
  });

  it('says it is not sure it is a digit when that is the reason', () => {
    render(<ResultPanel state={done({ ...prediction(8, 0.3), isDigit: false, reason: 'low_confidence' })} />);
    expect(screen.getByTestId('not-a-digit')).toHaveTextContent('Not sure this is a digit');
    expect(screen.getByTestId('best-guess')).toHaveTextContent('best guess: 8, 30%');
  });

  it('shows the digit as before when the server does not say (or says it is one)', () => {
    const { rerender } = render(<ResultPanel state={done({ ...prediction(5, 0.95), isDigit: null })} />);
    expect(screen.getByTestId('predicted-digit')).toHaveTextContent('5');
    rerender(<ResultPanel state={done({ ...prediction(5, 0.95), isDigit: true })} />);
    expect(screen.getByTestId('predicted-digit')).toHaveTextContent('5');
    expect(screen.queryByTestId('not-a-digit')).not.toBeInTheDocument();
  });
});

describe('ResultPanel: several digits', () => {
  const done = (result) => ({ status: 'done', result, error: null, source });

  it('offers to read them as a number', () => {
    const onReadAsNumber = vi.fn();
    render(<ResultPanel state={done({ ...prediction(2, 0.98), digitCount: 4 })} onReadAsNumber={onReadAsNumber} />);
    expect(screen.getByTestId('number-offer')).toHaveTextContent('This looks like 4 digits');
    fireEvent.click(screen.getByRole('button', { name: 'Read it as a number' }));
    expect(onReadAsNumber).toHaveBeenCalledTimes(1);
  });

  it('makes no offer for one digit, or when the server does not count', () => {
    const { rerender } = render(<ResultPanel state={done({ ...prediction(2), digitCount: 1 })} onReadAsNumber={vi.fn()} />);
    expect(screen.queryByTestId('number-offer')).not.toBeInTheDocument();
    rerender(<ResultPanel state={done(prediction(2))} onReadAsNumber={vi.fn()} />);
    expect(screen.queryByTestId('number-offer')).not.toBeInTheDocument();
  });
});

describe('ErrorMessage titles', () => {
  it.each([
    ['empty_image', 'rejected', 422, 'No ink found'],
    ['not_ready', 'server', 503, 'The model is still loading'],
  ])('titles %s plainly', (code, kind, status, title) => {
    const error = { kind, message: 'from the server', code, status };
    render(<ResultPanel state={{ status: 'error', result: null, error, source }} />);
    expect(screen.getByRole('alert')).toHaveTextContent(title);
    expect(screen.getByRole('alert')).toHaveTextContent('from the server');
  });
});
