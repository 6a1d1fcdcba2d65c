import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import ResultPanel from './ResultPanel.jsx';
import { prediction } from '../test/helpers.js';

const source = { kind: 'drawing', label: 'your drawing' };

describe('ResultPanel', () => {
  it('invites the user before anything is predicted', () => {
    render(<ResultPanel state={{ status: 'idle', result: null, error: null, source: null }} />);
    expect(screen.getByText(/appears here/)).toBeInTheDocument();
  });

  it('shows the digit, its confidence, ten bars and the 28×28 input', () => {
    render(<ResultPanel state={{ status: 'done', result: prediction(7, 0.97), error: null, source }} />);
    expect(screen.getByTestId('predicted-digit')).toHaveTextContent('7');
    expect(screen.getByTestId('confidence')).toHaveTextContent('97% confident');
    const bars = within(screen.getByTestId('probability-bars')).getAllByRole('listitem');
    expect(bars).toHaveLength(10);
    expect(bars[7]).toHaveClass('is-predicted');
    expect(bars[7]).toHaveAccessibleName('7: 97%');
    expect(screen.getByRole('img', { name: /28 by 28 pixel image the model saw/ })).toBeInTheDocument();
    expect(screen.queryByTestId('low-confidence')).not.toBeInTheDocument();
    expect(screen.getByText('for your drawing')).toBeInTheDocument();
  });

  it('sets each bar height through a CSS custom property', () => {
    const { container } = render(<ResultPanel state={{ status: 'done', result: prediction(2, 0.8), error: null, source }} />);
    const fills = container.querySelectorAll('.bar-fill');
    expect(fills[2].style.getPropertyValue('--p')).toBe('0.8');
  });

  it('gives a hint naming the runner-up when the server is unsure which digit it is', () => {
    const result = { ...prediction(4, 0.45), isDigit: false, reason: 'low_confidence' };
    result.probabilities[9] = 0.4;
    render(<ResultPanel state={{ status: 'done', result, error: null, source }} />);
    expect(screen.getByTestId('low-confidence')).toHaveTextContent('could also be a 9 (40%)');
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
    // The columns are the digits' shares should it be a digit after all, and the chart says so.
    expect(screen.getByText('If it is a digit at all: probability of each')).toBeInTheDocument();
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
    expect(screen.getByText('Probability of each digit')).toBeInTheDocument();
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
