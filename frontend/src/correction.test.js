import { describe, expect, it } from 'vitest';
import { closedCorrection, correctionErrorMessage, correctionReducer, labelProblem, predictedField } from './correction.js';
import { prediction } from './test/helpers.js';

describe('correctionReducer', () => {
  const answer = prediction(1);
  const opened = correctionReducer(closedCorrection, { type: 'open', result: answer, label: '' });

  it('opens for one answer, and walks through sending, kept and deleted', () => {
    expect(opened).toMatchObject({ result: answer, step: 'editing', label: '', consent: false });
    let state = correctionReducer(opened, { type: 'label', result: answer, label: '7' });
    state = correctionReducer(state, { type: 'consent', result: answer, consent: true });
    state = correctionReducer(state, { type: 'send', result: answer });
    expect(state.step).toBe('sending');
    state = correctionReducer(state, { type: 'sent', result: answer, kept: { id: 'a', deleteToken: 't' } });
    expect(state).toMatchObject({ step: 'kept', label: '7', kept: { id: 'a', deleteToken: 't' } });
    state = correctionReducer(state, { type: 'delete', result: answer });
    state = correctionReducer(state, { type: 'deleted', result: answer });
    expect(state).toMatchObject({ step: 'deleted', kept: null });
  });

  it('keeps the label and consent when sending fails, with the error', () => {
    let state = correctionReducer(opened, { type: 'label', result: answer, label: '7' });
    state = correctionReducer(state, { type: 'consent', result: answer, consent: true });
    state = correctionReducer(state, { type: 'send', result: answer });
    state = correctionReducer(state, { type: 'send_failed', result: answer, error: 'Not kept' });
    expect(state).toMatchObject({ step: 'editing', label: '7', consent: true, error: 'Not kept' });
  });

  it('ignores what comes for another answer', () => {
    const sending = correctionReducer(opened, { type: 'send', result: answer });
    expect(correctionReducer(sending, { type: 'sent', result: prediction(1), kept: { id: 'a', deleteToken: 't' } })).toBe(sending);
  });
});

describe('labelProblem', () => {
  const digit = { kind: 'digit', predicted: '1', doubted: false };
  const number = { kind: 'number', predicted: '2024', doubted: false };

  it('wants one digit, other than the model’s own answer unless the server doubted it', () => {
    expect(labelProblem(digit, '')).toBe('Choose the digit it is.');
    expect(labelProblem(digit, '7')).toBeNull();
    expect(labelProblem(digit, '1')).toMatch(/what the model read/);
    expect(labelProblem({ ...digit, doubted: true }, '1')).toBeNull();
  });

  it('wants a number written as the server takes it, changed from what was read', () => {
    expect(labelProblem(number, '2025')).toBeNull();
    expect(labelProblem(number, ' 17.50 ')).toBeNull();
    expect(labelProblem(number, '12\n34')).toBeNull();
    expect(labelProblem(number, '')).toBe('Type the number that is written.');
    expect(labelProblem(number, '20x4')).toMatch(/digits and/);
    expect(labelProblem(number, '-.')).toMatch(/digits and/);
    expect(labelProblem(number, '1'.repeat(65))).toBe('At most 64 characters.');
    expect(labelProblem(number, '2024')).toMatch(/what the model read/);
  });
});

describe('predictedField', () => {
  it('writes a reading of several lines on one line, at most 64 characters', () => {
    expect(predictedField('7')).toBe('7');
    expect(predictedField('12\n34')).toBe('12 34');
    expect(predictedField('9'.repeat(80))).toHaveLength(64);
    expect(predictedField(null)).toBe('');
  });
});

describe('correctionErrorMessage', () => {
  const error = (code, status, extra = {}) => ({ kind: status >= 500 ? 'server' : 'rejected', status, code, message: 'the server’s message', retryAfter: null, ...extra });

  it('says how long to wait after too many corrections, from Retry-After', () => {
    expect(correctionErrorMessage(error('too_many_requests', 429, { retryAfter: 12 }), 'send')).toBe('Too many corrections — try again in 12 s.');
    expect(correctionErrorMessage(error('too_many_requests', 429), 'send')).toBe('Too many corrections — try again in a minute.');
  });

  it('says plainly when the store cannot keep it', () => {
    expect(correctionErrorMessage(error('storage_unavailable', 503), 'send')).toMatch(/^Corrections can’t be kept right now/);
    expect(correctionErrorMessage(error('storage_full', 507), 'send')).toMatch(/^Corrections can’t be kept right now: .* full/);
    expect(correctionErrorMessage(error('storage_unavailable', 503), 'delete')).toMatch(/can’t be deleted right now/);
  });

  it("shows the server's message for a refusal", () => {
    expect(correctionErrorMessage(error('bad_label', 400), 'send')).toBe('Not kept: the server’s message');
    expect(correctionErrorMessage(error('unauthorized', 401), 'delete')).toBe('Not deleted: the server’s message');
    expect(correctionErrorMessage({ kind: 'network', message: 'Cannot reach the recognition server.', code: null }, 'send')).toBe(
      'Cannot reach the recognition server.',
    );
  });

  it('says when the correction is gone already, or corrections are not kept', () => {
    expect(correctionErrorMessage(error('not_found', 404), 'delete')).toMatch(/no longer kept/);
    expect(correctionErrorMessage(error('not_found', 404), 'send')).toBe('This server does not keep corrections.');
  });
});
