import { describe, expect, it, vi } from 'vitest';
import { act, renderHook, waitFor } from '@testing-library/react';
import {
  initialState,
  isLowConfidence,
  leastCertainDigit,
  looksLikeNumber,
  notDigitVerdict,
  predictionReducer,
  topTwo,
  usePrediction,
  useReading,
} from './state.js';
import { ApiError } from './api.js';
import { fakeClient, prediction, reading } from './test/helpers.js';

const source = { kind: 'upload', label: 'seven.png', filename: 'seven.png' };

describe('predictionReducer', () => {
  it('keeps the previous result while a new request runs', () => {
    const done = predictionReducer(initialState, { type: 'success', result: prediction(7), source });
    const loading = predictionReducer(done, { type: 'start', source });
    expect(loading.status).toBe('loading');
    expect(loading.result.digit).toBe(7);
  });
  it('drops the result on failure and keeps the error', () => {
    const done = predictionReducer(initialState, { type: 'success', result: prediction(7), source });
    const failed = predictionReducer(done, { type: 'failure', error: { kind: 'network', message: 'down' }, source });
    expect(failed).toMatchObject({ status: 'error', result: null, error: { kind: 'network' } });
  });
  it('resets to idle', () => {
    expect(predictionReducer({ status: 'done' }, { type: 'reset' })).toBe(initialState);
  });
});

describe('predictionReducer: which image the result is about', () => {
  it('keeps the answered source while a newer request runs', () => {
    const older = { ...source, label: 'older' };
    const done = predictionReducer(initialState, { type: 'success', result: prediction(7), source: older });
    const loading = predictionReducer(done, { type: 'start', source });
    expect(loading.source).toBe(source);
    expect(loading.resultSource).toBe(older);
  });
});

describe('notDigitVerdict and looksLikeNumber', () => {
  it('says nothing when the answer is a digit, or when the server does not say', () => {
    expect(notDigitVerdict({ ...prediction(3), isDigit: true })).toBeNull();
    expect(notDigitVerdict({ ...prediction(3), isDigit: null })).toBeNull();
    expect(notDigitVerdict(prediction(3))).toBeNull();
  });
  it('says plainly when it is not a digit, and when the model is unsure it is one', () => {
    expect(notDigitVerdict({ ...prediction(3), isDigit: false, reason: 'not_a_digit' })).toEqual({
      title: 'This doesn’t look like a digit',
      reason: 'not_a_digit',
    });
    expect(notDigitVerdict({ ...prediction(3), isDigit: false, reason: 'low_confidence' }).title).toBe('Not sure this is a digit');
    expect(notDigitVerdict({ ...prediction(3), isDigit: false, reason: null }).title).toBe('This doesn’t look like a digit');
  });
  it('takes more than one digit-like mark for a number', () => {
    expect(looksLikeNumber({ ...prediction(3), digitCount: 4 })).toBe(true);
    expect(looksLikeNumber({ ...prediction(3), digitCount: 1 })).toBe(false);
    expect(looksLikeNumber(prediction(3))).toBe(false);
  });
});

describe('topTwo and isLowConfidence', () => {
  it('orders the two most likely digits', () => {
    const p = [0.01, 0.5, 0, 0, 0.3, 0, 0, 0.19, 0, 0];
    expect(topTwo(p).map((x) => x.digit)).toEqual([1, 4]);
  });
  it('flags what the server answers low_confidence, whatever the figure', () => {
    expect(isLowConfidence({ ...prediction(1, 0.55), isDigit: false, reason: 'low_confidence' })).toBe(true);
    expect(isLowConfidence({ ...prediction(1, 0.08), isDigit: true })).toBe(false);
    expect(isLowConfidence({ ...prediction(1, 0.3), isDigit: false, reason: 'not_a_digit' })).toBe(false);
    expect(isLowConfidence(prediction(1, 0.2))).toBe(false);
  });
  it('finds the least confident of the digits the server is unsure of', () => {
    const digits = reading('381', 0.95).digits;
    expect(leastCertainDigit(digits)).toBeNull();
    Object.assign(digits[0], { confidence: 0.09, isDigit: false, reason: 'low_confidence' });
    Object.assign(digits[2], { confidence: 0.07, isDigit: false, reason: 'low_confidence' });
    expect(leastCertainDigit(digits)).toMatchObject({ digit: 1, confidence: 0.07, index: 2 });
  });
});

describe('usePrediction', () => {
  it('goes loading → done', async () => {
    const client = fakeClient();
    const { result } = renderHook(() => usePrediction(client));
    act(() => {
      result.current.predict(new Blob(['x']), source);
    });
    expect(result.current.state.status).toBe('loading');
    await waitFor(() => expect(result.current.state.status).toBe('done'));
    expect(result.current.state.result.digit).toBe(7);
    expect(client.predict).toHaveBeenCalledWith(expect.any(Blob), expect.objectContaining({ filename: 'seven.png' }));
  });

  it('shows an ApiError as a plain error', async () => {
    const client = fakeClient({ predict: vi.fn(async () => Promise.reject(new ApiError('rejected', 'not an image', { status: 415, code: 'unsupported_media_type' }))) });
    const { result } = renderHook(() => usePrediction(client));
    await act(() => result.current.predict(new Blob(['x']), source));
    expect(result.current.state).toMatchObject({ status: 'error', error: { kind: 'rejected', message: 'not an image', status: 415 } });
  });

  it('ignores the answer to an older request that arrives last', async () => {
    let resolveFirst;
    const predict = vi
      .fn()
      .mockImplementationOnce(() => new Promise((resolve) => (resolveFirst = resolve)))
      .mockImplementationOnce(async () => prediction(1));
    const { result } = renderHook(() => usePrediction(fakeClient({ predict })));
    act(() => {
      result.current.predict(new Blob(['a']), source);
    });
    await act(() => result.current.predict(new Blob(['b']), source));
    expect(result.current.state.result.digit).toBe(1);
    await act(async () => resolveFirst(prediction(8)));
    expect(result.current.state.result.digit).toBe(1);
    expect(predict.mock.calls[0][1].signal.aborted).toBe(true);
  });

  it('reset cancels and returns to idle', async () => {
    const { result } = renderHook(() => usePrediction(fakeClient()));
    await act(() => result.current.predict(new Blob(['x']), source));
    act(() => result.current.reset());
    expect(result.current.state).toBe(initialState);
  });
});

describe('useReading', () => {
  it('reads a number, keeping the image it was asked about', async () => {
    const client = fakeClient();
    const { result } = renderHook(() => useReading(client));
    const image = new Blob(['x']);
    await act(() => result.current.read(image, source));
    expect(result.current.state.status).toBe('done');
    expect(result.current.state.result.text).toBe('2024');
    expect(result.current.state.resultSource.image).toBe(image);
    expect(client.read).toHaveBeenCalledWith(image, expect.objectContaining({ filename: 'seven.png' }));
    expect(client.predict).not.toHaveBeenCalled();
  });

  it('ignores the answer to an older reading that arrives last', async () => {
    let resolveFirst;
    const read = vi
      .fn()
      .mockImplementationOnce(() => new Promise((resolve) => (resolveFirst = resolve)))
      .mockImplementationOnce(async () => reading('17'));
    const { result } = renderHook(() => useReading(fakeClient({ read })));
    act(() => {
      result.current.read(new Blob(['a']), source);
    });
    await act(() => result.current.read(new Blob(['b']), source));
    await act(async () => resolveFirst(reading('99')));
    expect(result.current.state.result.text).toBe('17');
  });
});
