import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient, resolveApiBase } from './api.js';
import { jsonResponse, probabilitiesFor, image28 } from './test/helpers.js';

const png = () => new Blob([new Uint8Array(100)], { type: 'image/png' });
// jsdom's Blob has no arrayBuffer(); its FileReader reads one.
const bytesOf = (blob) =>
  new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });

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
    expect(result).toMatchObject({ isDigit: null, reason: null, digitCount: null, notADigitProbability: null });
  });

  it('passes not_a_digit_probability on, and drops a value that is no probability', async () => {
    const client = (extra) => createApiClient({ baseUrl: '', fetchImpl: async () => jsonResponse(body(extra)) });
    expect((await client({ not_a_digit_probability: 0.52 }).predict(png())).notADigitProbability).toBe(0.52);
    expect((await client({ not_a_digit_probability: 0 }).predict(png())).notADigitProbability).toBe(0);
    expect((await client({ not_a_digit_probability: 1.5 }).predict(png())).notADigitProbability).toBeNull();
    expect((await client({ not_a_digit_probability: '0.5' }).predict(png())).notADigitProbability).toBeNull();
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

  it("passes each digit's not_a_digit_probability on (null when the server does not send it)", async () => {
    const fetchImpl = async () => jsonResponse({ ...answer, digits: [{ ...answer.digits[0], not_a_digit_probability: 0.01 }, answer.digits[1]] });
    const result = await createApiClient({ baseUrl: '', fetchImpl }).read(png());
    expect(result.digits.map((d) => d.notADigitProbability)).toEqual([0.01, null]);
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

  it('returns the lines read, each with its characters and their boxes, and the turn undone', async () => {
    const lines = [
      {
        text: '3.14',
        confidence: 0.9,
        box: [10, 20, 380, 150],
        characters: [
          { char: '3', confidence: 0.99, box: [10, 20, 80, 150] },
          { char: '.', confidence: 0.95, box: [110, 150, 20, 20] },
          { char: '1', confidence: 0.98, box: [210, 20, 80, 150] },
          { char: '4', confidence: 0.97, box: [310, 20, 80, 150] },
        ],
      },
      { text: '27', confidence: 0.8, box: [10, 200, 180, 150], characters: [{ char: '2', box: [10, 200, 80, 150] }, { char: '7', confidence: 0.8, box: [110, 200, 80, 150] }] },
    ];
    const fetchImpl = async () => jsonResponse({ ...answer, text: '3.14\n27', orientation: 90, lines });
    const result = await createApiClient({ baseUrl: '', fetchImpl }).read(png());
    expect(result.text).toBe('3.14\n27');
    expect(result.orientation).toBe(90);
    expect(result.lines).toHaveLength(2);
    expect(result.lines[0]).toMatchObject({ text: '3.14', confidence: 0.9, box: [10, 20, 380, 150] });
    expect(result.lines[0].characters[1]).toEqual({ char: '.', confidence: 0.95, box: [110, 150, 20, 20] });
    expect(result.lines[1].characters[0]).toEqual({ char: '2', confidence: null, box: [10, 200, 80, 150] });
    expect(result.digits).toHaveLength(4);
  });

  it('takes an answer of an older server, without lines or orientation, as one line, not turned', async () => {
    const result = await createApiClient({ baseUrl: '', fetchImpl: async () => jsonResponse(answer) }).read(png());
    expect(result.lines).toBeNull();
    expect(result.orientation).toBe(0);
    const odd = await createApiClient({ baseUrl: '', fetchImpl: async () => jsonResponse({ ...answer, orientation: 45 }) }).read(png());
    expect(odd.orientation).toBe(0);
  });

  it('rejects lines that are not lines', async () => {
    for (const lines of [[{ text: '1' }], [{ text: '1', characters: [{ char: '1' }] }], [{ text: '1', characters: [{ char: '12', box: [0, 0, 1, 1] }] }]]) {
      const fetchImpl = async () => jsonResponse({ ...answer, lines });
      const err = await createApiClient({ baseUrl: '', fetchImpl }).read(png()).catch((e) => e);
      expect(err.kind).toBe('bad_response');
    }
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

describe('model_version', () => {
  it('comes with every /predict and /read answer (null from an older server)', async () => {
    const version = 'digitnet.cnn@40a38a0f';
    const predicted = async () => jsonResponse({ predicted_digit: 3, confidence: 0.9, probabilities: probabilitiesFor(3), model_version: version });
    expect((await createApiClient({ baseUrl: '', fetchImpl: predicted }).predict(png())).modelVersion).toBe(version);
    const read = async () => jsonResponse({ text: '', confidence: 0, digits: [], model_version: version });
    expect((await createApiClient({ baseUrl: '', fetchImpl: read }).read(png())).modelVersion).toBe(version);
    const older = async () => jsonResponse({ predicted_digit: 3, confidence: 0.9, probabilities: probabilitiesFor(3) });
    expect((await createApiClient({ baseUrl: '', fetchImpl: older }).predict(png())).modelVersion).toBeNull();
  });
});

describe('sendFeedback', () => {
  const correction = (extra = {}) => ({
    image: new Blob([Uint8Array.from({ length: 100 }, (_, i) => i)], { type: 'image/png' }),
    filename: 'drawing.png',
    kind: 'digit',
    label: '7',
    predicted: '1',
    modelVersion: 'digitnet.cnn@40a38a0f',
    ...extra,
  });

  it('posts the image, the label, the kind, consent=true, what was predicted and the model version to /feedback', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse({ id: 'a1b2', delete_token: 'd3e4' }, 201));
    const sent = correction();
    const kept = await createApiClient({ baseUrl: 'http://h:5001', fetchImpl }).sendFeedback(sent);
    const [url, init] = fetchImpl.mock.calls[0];
    expect(url).toBe('http://h:5001/feedback');
    expect(init.method).toBe('POST');
    const form = init.body;
    expect(form.get('file').name).toBe('drawing.png');
    expect(form.get('file').size).toBe(sent.image.size);
    expect(await bytesOf(form.get('file'))).toEqual(await bytesOf(sent.image));
    expect(form.get('label')).toBe('7');
    expect(form.get('kind')).toBe('digit');
    expect(form.get('consent')).toBe('true');
    expect(form.get('predicted')).toBe('1');
    expect(form.get('model_version')).toBe('digitnet.cnn@40a38a0f');
    expect(kept).toEqual({ id: 'a1b2', deleteToken: 'd3e4' });
  });

  it('sends a number with its text, and leaves out what it does not know', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse({ id: 'a1b2', delete_token: 'd3e4' }, 201));
    await createApiClient({ baseUrl: '', fetchImpl }).sendFeedback(correction({ kind: 'number', label: '2025', predicted: '', modelVersion: null }));
    const form = fetchImpl.mock.calls[0][1].body;
    expect(form.get('kind')).toBe('number');
    expect(form.get('label')).toBe('2025');
    expect(form.has('predicted')).toBe(false);
    expect(form.has('model_version')).toBe(false);
  });

  it('gives the wait of a 429 from its Retry-After header', async () => {
    const fetchImpl = async () =>
      new Response(JSON.stringify({ error: 'too many corrections; retry in 12 s', code: 'too_many_requests' }), {
        status: 429,
        headers: { 'Content-Type': 'application/json', 'Retry-After': '12' },
      });
    const err = await createApiClient({ baseUrl: '', fetchImpl }).sendFeedback(correction()).catch((e) => e);
    expect(err).toMatchObject({ kind: 'rejected', status: 429, code: 'too_many_requests', retryAfter: 12 });
  });

  it.each([
    [503, 'storage_unavailable', 'server'],
    [507, 'storage_full', 'server'],
    [400, 'bad_label', 'rejected'],
  ])('passes HTTP %i with the code %s on', async (status, code, kind) => {
    const fetchImpl = async () => jsonResponse({ error: 'the message', code }, status);
    const err = await createApiClient({ baseUrl: '', fetchImpl }).sendFeedback(correction()).catch((e) => e);
    expect(err).toMatchObject({ kind, status, code, message: 'the message', retryAfter: null });
  });

  it('rejects a 201 that does not say what it kept', async () => {
    const fetchImpl = async () => jsonResponse({ id: 'a1b2' }, 201);
    const err = await createApiClient({ baseUrl: '', fetchImpl }).sendFeedback(correction()).catch((e) => e);
    expect(err.kind).toBe('bad_response');
  });
});

describe('deleteFeedback', () => {
  it('sends DELETE /feedback/{id} with the delete token in X-Delete-Token', async () => {
    const fetchImpl = vi.fn(async () => new Response(null, { status: 204 }));
    await createApiClient({ baseUrl: 'http://h:5001', fetchImpl }).deleteFeedback('a1b2', 'd3e4');
    const [url, init] = fetchImpl.mock.calls[0];
    expect(url).toBe('http://h:5001/feedback/a1b2');
    expect(init.method).toBe('DELETE');
    expect(init.headers['X-Delete-Token']).toBe('d3e4');
  });

  it("reports a correction the server no longer has with the server's code", async () => {
    const fetchImpl = async () => jsonResponse({ error: 'no correction with this id and delete token', code: 'not_found' }, 404);
    const err = await createApiClient({ baseUrl: '', fetchImpl }).deleteFeedback('a1b2', 'wrong').catch((e) => e);
    expect(err).toMatchObject({ kind: 'rejected', status: 404, code: 'not_found' });
  });
});
