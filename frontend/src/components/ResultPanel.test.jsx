import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import ResultPanel from './ResultPanel.jsx';
import { formatPercent } from './ProbabilityChart.jsx';
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

  it('gives a hint naming the runner-up when confidence is low', () => {
    const result = prediction(4, 0.45);
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

describe('formatPercent', () => {
  it('rounds sensibly', () => {
    expect(formatPercent(0.9999)).toBe('100%');
    expect(formatPercent(0.0001)).toBe('0%');
    expect(formatPercent(0.053)).toBe('5.3%');
    expect(formatPercent(0.5)).toBe('50%');
  });
});
