import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient, resolveApiBase } from './api.js';
import { jsonResponse, probabilitiesFor, image28 } from './test/helpers.js';

const png = () => new Blob([new Uint8Array(100)], { type: 'image/png' });

describe('resolveApiBase', () => {
  const location = (search = '') => ({ protocol: 'http:', hostname: 'example.org', search });

  it("calls the page's own origin in production: the server's UI port answers every API route", () => {
    expect(resolveApiBase({ env: {}, location: location() })).toBe('');
  });
  it('prefers VITE_API_URL, without a trailing slash', () => {
    expect(resolveApiBase({ env: { VITE_API_URL: 'https://api.example.org/v1/' }, location: location() })).toBe('https://api.example.org/v1');
  });
  it('takes ?api-port= for the same host', () => {
    expect(resolveApiBase({ env: {}, location: location('?api-port=40123') })).toBe('http://example.org:40123');
  });
  it('ignores an ?api-port= that is not a port', () => {
    expect(resolveApiBase({ env: {}, location: location('?api-port=evil.com') })).toBe('');
    expect(resolveApiBase({ env: {}, location: location('?api-port=70000') })).toBe('');
    expect(resolveApiBase({ env: {}, location: location('?api-port=0') })).toBe('');
  });
  it('goes through the dev server proxy in development', () => {
    expect(resolveApiBase({ env: { DEV: true }, location: location() })).toBe('/api');
  });
  it('still takes ?api-port= in development', () => {
    expect(resolveApiBase({ env: { DEV: true }, location: location('?api-port=5001') })).toBe('http://example.org:5001');
  });
});

describe('predict', () => {
  it('posts the image as multipart field "file" to /predict?debug=1 and returns the prediction', async () => {
    const fetchImpl = vi.fn(async () =>
      jsonResponse({ predicted_digit: 3, confidence: 0.91, probabilities: probabilitiesFor(3, 0.91), input: image28() }),
    );
    const client = createApiClient({ baseUrl: 'http://h:5001', fetchImpl });
    const result = await client.predict(png(), { filename: 'three.png' });

    expect(fetchImpl).toHaveBeenCalledTimes(1);
    const [url, init] = fetchImpl.mock.calls[0];
    expect(url).toBe('http://h:5001/predict?debug=1');
    expect(init.method).toBe('POST');
    expect(init.body).toBeInstanceOf(FormData);
    expect(init.body.get('file').name).toBe('three.png');
    expect(result.digit).toBe(3);
    expect(result.confidence).toBeCloseTo(0.91);
    expect(result.probabilities).toHaveLength(10);
    expect(result.input).toHaveLength(28);
  });

  it('calls relative paths on the same origin', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse({ predicted_digit: 4, confidence: 0.9, probabilities: probabilitiesFor(4, 0.9) }));
    await createApiClient({ baseUrl: '', fetchImpl }).predict(png());
    expect(fetchImpl.mock.calls[0][0]).toBe('/predict?debug=1');
  });

  it('names the page origin when the same-origin server is unreachable', async () => {
    const fetchImpl = async () => {
      throw new TypeError('Failed to fetch');
    };
    const err = await createApiClient({ baseUrl: '', fetchImpl }).predict(png()).catch((e) => e);
    expect(err.kind).toBe('network');
    expect(err.message).toContain(globalThis.location.origin);
  });

  it('leaves input null when the server does not send a 28×28 image', async () => {
    const fetchImpl = async () => jsonResponse({ predicted_digit: 1, confidence: 0.8, probabilities: probabilitiesFor(1, 0.8) });
    const result = await createApiClient({ baseUrl: '', fetchImpl }).predict(png());
    expect(result.input).toBeNull();
  });

  it('reports an unreachable server as a network error naming the address', async () => {
    const fetchImpl = async () => {
      throw new TypeError('Failed to fetch');
    };
    const err = await createApiClient({ baseUrl: 'http://h:5001', fetchImpl }).predict(png()).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.kind).toBe('network');
    expect(err.message).toContain('http://h:5001');
  });

  it("passes the server's message for a rejected file", async () => {
    const fetchImpl = async () => jsonResponse({ error: 'not a decodable image (PNG, JPEG, BMP, GIF)', code: 'unsupported_media_type' }, 415);
    const err = await createApiClient({ baseUrl: '', fetchImpl }).predict(png()).catch((e) => e);
    expect(err.kind).toBe('rejected');
    expect(err.message).toBe('not a decodable image (PNG, JPEG, BMP, GIF)');
    expect(err.code).toBe('unsupported_media_type');
    expect(err.status).toBe(415);
  });

  it('treats HTTP 413 as a file too large', async () => {
    const fetchImpl = async () => jsonResponse({ error: 'upload over 10485760 bytes', code: 'payload_too_large' }, 413);
    const err = await createApiClient({ baseUrl: '', fetchImpl }).predict(png()).catch((e) => e);
    expect(err.kind).toBe('too_large');
    expect(err.message).toBe('upload over 10485760 bytes');
  });

  it('refuses a file over the upload limit without sending it', async () => {
    const fetchImpl = vi.fn();
    const big = new Blob([new Uint8Array(2048)], { type: 'image/png' });
    const err = await createApiClient({ baseUrl: '', fetchImpl, maxUploadBytes: 1024 }).predict(big).catch((e) => e);
    expect(err.kind).toBe('too_large');
    expect(err.message).toContain('2.0 KB');
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it('reports a 5xx without JSON as a server error', async () => {
    const fetchImpl = async () => new Response('oops', { status: 502 });
    const err = await createApiClient({ baseUrl: '', fetchImpl }).predict(png()).catch((e) => e);
    expect(err.kind).toBe('server');
    expect(err.message).toContain('502');
  });

  it('rejects a 200 that is not a prediction', async () => {
    const fetchImpl = async () => jsonResponse({ hello: 'world' });
    const err = await createApiClient({ baseUrl: '', fetchImpl }).predict(png()).catch((e) => e);
    expect(err.kind).toBe('bad_response');
  });

  it('lets an abort through as an AbortError', async () => {
    const fetchImpl = async () => {
      throw new DOMException('aborted', 'AbortError');
    };
    const err = await createApiClient({ baseUrl: '', fetchImpl }).predict(png()).catch((e) => e);
    expect(err.name).toBe('AbortError');
  });
});

describe('predict: not a digit, several digits', () => {
  const body = (extra) => ({ predicted_digit: 3, confidence: 0.41, probabilities: probabilitiesFor(3, 0.41), ...extra });

  it('passes is_digit, reason and digit_count on', async () => {
    const fetchImpl = async () => jsonResponse(body({ is_digit: false, reason: 'not_a_digit', digit_count: 1 }));
    const result = await createApiClient({ baseUrl: '', fetchImpl }).predict(png());
    expect(result).toMatchObject({ digit: 3, confidence: 0.41, isDigit: false, reason: 'not_a_digit', digitCount: 1 });
  });

  it('leaves them null when an older server does not send them', async () => {
    const fetchImpl = async () => jsonResponse(body({}));
    const result = await createApiClient({ baseUrl: '', fetchImpl }).predict(png());
    expect(result).toMatchObject({ isDigit: null, reason: null, digitCount: null });
  });
});

describe('read', () => {
  const answer = {
    text: '2024',
    confidence: 0.97,
    digits: [2, 0, 2, 4].map((digit, i) => ({
      digit,
      confidence: 0.99,
      box: [10 + 100 * i, 20, 80, 150],
      probabilities: probabilitiesFor(digit, 0.99),
      input: image28(),
    })),
  };

  it('posts the image as multipart field "file" to /read?debug=1 and returns the number, boxes and 28×28s', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(answer));
    const result = await createApiClient({ baseUrl: 'http://h:5001', fetchImpl }).read(png(), { filename: 'year.png' });
    const [url, init] = fetchImpl.mock.calls[0];
    expect(url).toBe('http://h:5001/read?debug=1');
    expect(init.method).toBe('POST');
    expect(init.body.get('file').name).toBe('year.png');
    expect(result.text).toBe('2024');
    expect(result.confidence).toBeCloseTo(0.97);
    expect(result.digits).toHaveLength(4);
    expect(result.digits[3]).toMatchObject({ digit: 4, confidence: 0.99, box: [310, 20, 80, 150] });
    expect(result.digits[0].input).toHaveLength(28);
    expect(result.ignored).toEqual([]);
  });

  it("passes each digit's is_digit and reason on (null when the server does not say)", async () => {
    const unsure = { ...answer.digits[1], confidence: 0.08, is_digit: false, reason: 'low_confidence' };
    const fetchImpl = async () => jsonResponse({ ...answer, digits: [{ ...answer.digits[0], is_digit: true }, unsure, answer.digits[2]] });
    const result = await createApiClient({ baseUrl: '', fetchImpl }).read(png());
    expect(result.digits[0]).toMatchObject({ isDigit: true, reason: null });
    expect(result.digits[1]).toMatchObject({ digit: 0, confidence: 0.08, isDigit: false, reason: 'low_confidence' });
    expect(result.digits[2]).toMatchObject({ isDigit: null, reason: null });
  });

  it('keeps the marks the server left out, with their boxes', async () => {
    const fetchImpl = async () => jsonResponse({ ...answer, ignored: [{ box: [500, 30, 40, 40], reason: 'not_a_digit' }, { box: 'bad' }] });
    const result = await createApiClient({ baseUrl: '', fetchImpl }).read(png());
    expect(result.ignored).toEqual([{ box: [500, 30, 40, 40], reason: 'not_a_digit' }]);
  });

  it('reads an answer with no digits in it', async () => {
    const fetchImpl = async () => jsonResponse({ text: '', confidence: 0, digits: [] });
    const result = await createApiClient({ baseUrl: '', fetchImpl }).read(png());
    expect(result).toMatchObject({ text: '', digits: [] });
  });

  it('rejects a 200 that is not a reading', async () => {
    for (const body of [{ predicted_digit: 3 }, { text: '1', digits: [{ digit: 1 }] }]) {
      const fetchImpl = async () => jsonResponse(body);
      const err = await createApiClient({ baseUrl: '', fetchImpl }).read(png()).catch((e) => e);
      expect(err.kind).toBe('bad_response');
    }
  });

  it('reports a blank image and a model still loading with the server’s code', async () => {
    const blank = async () => jsonResponse({ error: 'the image holds no ink (it is blank or uniform)', code: 'empty_image' }, 422);
    const empty = await createApiClient({ baseUrl: '', fetchImpl: blank }).read(png()).catch((e) => e);
    expect(empty).toMatchObject({ kind: 'rejected', status: 422, code: 'empty_image' });
    const loading = async () => jsonResponse({ error: 'the model is still loading; retry shortly', code: 'not_ready' }, 503);
    const notReady = await createApiClient({ baseUrl: '', fetchImpl: loading }).read(png()).catch((e) => e);
    expect(notReady).toMatchObject({ kind: 'server', status: 503, code: 'not_ready' });
  });

  it('refuses a file over the upload limit without sending it', async () => {
    const fetchImpl = vi.fn();
    const big = new Blob([new Uint8Array(2048)], { type: 'image/png' });
    const err = await createApiClient({ baseUrl: '', fetchImpl, maxUploadBytes: 1024 }).read(big).catch((e) => e);
    expect(err.kind).toBe('too_large');
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});

describe('modelInfo', () => {
  it('GETs /model', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse({ architecture: [] }));
    await createApiClient({ baseUrl: 'http://h', fetchImpl }).modelInfo();
    expect(fetchImpl.mock.calls[0][0]).toBe('http://h/model');
  });
});
