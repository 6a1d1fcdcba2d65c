// The client for digit-server's HTTP API (POST /predict, POST /read, GET /model, and the corrections: POST
// /feedback, DELETE /feedback/{id}). Every failure becomes an ApiError whose `kind` says what the page should
// tell the user.
import { formatBytes } from './format.js';

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024; // the server's default --max-upload-bytes
export const ACCEPTED_TYPES = 'image/png,image/jpeg,image/bmp,image/gif'; // what the server decodes

export class ApiError extends Error {
  // kind: 'network' (server unreachable), 'too_large', 'rejected' (4xx: the server's message),
  //       'server' (5xx), 'bad_response' (not the JSON the contract promises)
  // retryAfter: the seconds the server asked to wait (its Retry-After header), or null.
  constructor(kind, message, { status = null, code = null, retryAfter = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// Where the API lives. In order: VITE_API_URL at build time (an API on another host); `?api-port=N` (the
// same host, another port, for one visit); the dev server's /api proxy; else the page's own origin: the
// port of digit-server that serves the page answers every API route too, whatever ports it was given.
export function resolveApiBase({ env = import.meta.env, location = globalThis.location } = {}) {
  if (env.VITE_API_URL) return env.VITE_API_URL.replace(/\/+$/, '');
  const port = new URLSearchParams(location.search).get('api-port');
  if (port && /^\d{1,5}$/.test(port) && Number(port) > 0 && Number(port) < 65536) {
    return `${location.protocol}//${location.hostname}:${port}`;
  }
  if (env.DEV) return '/api';
  return '';
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// Retry-After in seconds (the server sends a whole number of them); null when absent or not a number.
function retryAfterSeconds(response) {
  const value = response.headers?.get?.('Retry-After');
  return value && /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
}

const modelVersionOf = (body) => (typeof body.model_version === 'string' && body.model_version ? body.model_version : null);

function isProbabilityList(p) {
  return Array.isArray(p) && p.length === 10 && p.every((x) => typeof x === 'number' && Number.isFinite(x));
}

// not_a_digit_probability: the share the answer's confidence leaves to "not a digit" (chances.js); null from
// an older server, which does not send it.
function notADigitOf(body) {
  const p = body.not_a_digit_probability;
  return typeof p === 'number' && p >= 0 && p <= 1 ? p : null;
}

function isImage28(input) {
  return Array.isArray(input) && input.length === 28 && input.every((row) => Array.isArray(row) && row.length === 28);
}

function isBox(box) {
  return Array.isArray(box) && box.length === 4 && box.every((v) => typeof v === 'number' && Number.isFinite(v));
}

// The server's verdict on an answer (a /predict answer, or one digit of a /read answer): isDigit true | false,
// or null when the server does not say; reason (when false) 'not_a_digit' or 'low_confidence' (torn between
// two digits).
function digitVerdict(body) {
  return {
    isDigit: typeof body.is_digit === 'boolean' ? body.is_digit : null,
    reason: typeof body.reason === 'string' && body.reason ? body.reason : null,
  };
}

function readDigit(entry) {
  if (!entry || !Number.isInteger(entry.digit) || !isBox(entry.box)) return null;
  const probabilities = isProbabilityList(entry.probabilities) ? entry.probabilities : null;
  return {
    digit: entry.digit,
    confidence: typeof entry.confidence === 'number' ? entry.confidence : (probabilities?.[entry.digit] ?? null),
    box: entry.box,
    probabilities,
    notADigitProbability: notADigitOf(entry),
    input: isImage28(entry.input) ? entry.input : null,
    ...digitVerdict(entry),
  };
}

// One character of a /read line: { char (one of 0-9 . , - / :), confidence (null when not given), box }.
function readCharacter(entry) {
  if (!entry || typeof entry.char !== 'string' || entry.char.length !== 1 || !isBox(entry.box)) return null;
  return { char: entry.char, confidence: typeof entry.confidence === 'number' ? entry.confidence : null, box: entry.box };
}

// One line of a /read answer: { text, confidence (null when not given), box (null when not given), characters }.
function readLine(entry) {
  if (!entry || typeof entry.text !== 'string' || !Array.isArray(entry.characters)) return null;
  const characters = entry.characters.map(readCharacter);
  if (characters.includes(null)) return null;
  return {
    text: entry.text,
    confidence: typeof entry.confidence === 'number' ? entry.confidence : null,
    box: isBox(entry.box) ? entry.box : null,
    characters,
  };
}

const TURNS = [0, 90, 180, 270];

export function createApiClient({ baseUrl = resolveApiBase(), fetchImpl = (...a) => globalThis.fetch(...a), maxUploadBytes = MAX_UPLOAD_BYTES } = {}) {
  // For messages: the address the page calls ('' is its own origin).
  const serverAddress = baseUrl || globalThis.location?.origin || 'this page’s server';

  async function request(path, init) {
    try {
      return await fetchImpl(`${baseUrl}${path}`, init);
    } catch (err) {
      if (err?.name === 'AbortError') throw err;
      throw new ApiError('network', `Cannot reach the recognition server at ${serverAddress}. Check that digit-server is running, then try again.`);
    }
  }

  async function failure(response) {
    const body = await readJson(response);
    const serverMessage = typeof body?.error === 'string' && body.error ? body.error : null;
    const code = typeof body?.code === 'string' ? body.code : null;
    const status = response.status;
    const details = { status, code, retryAfter: retryAfterSeconds(response) };
    if (status === 413) {
      return new ApiError('too_large', serverMessage || 'The file is larger than the server accepts.', details);
    }
    if (status >= 400 && status < 500) {
      return new ApiError('rejected', serverMessage || `The server rejected the request (HTTP ${status}).`, details);
    }
    return new ApiError('server', serverMessage || `The server failed (HTTP ${status}). Try again in a moment.`, details);
  }

  // A multipart form whose field `file` is the image, then the given text fields.
  function imageForm(image, filename, fields = {}) {
    if (image.size > maxUploadBytes) {
      throw new ApiError('too_large', `This file is ${formatBytes(image.size)}; the server accepts at most ${formatBytes(maxUploadBytes)}.`, { code: 'payload_too_large' });
    }
    const form = new FormData();
    form.append('file', image, filename);
    for (const [name, value] of Object.entries(fields)) {
      if (value !== null && value !== undefined && value !== '') form.append(name, String(value));
    }
    return form;
  }

  async function postImage(path, image, filename, signal) {
    const response = await request(path, { method: 'POST', body: imageForm(image, filename), signal });
    if (!response.ok) throw await failure(response);
    return { response, body: await readJson(response) };
  }

  // Sends one image (a Blob or File) and returns { digit, confidence, probabilities[10], notADigitProbability
  // (null when not given), input (28×28 | null), isDigit (true | false | null when the server does not say), reason, digitCount (null when not given),
  // modelVersion (null when not given) }.
  async function predict(image, { filename = image?.name || 'image.png', signal } = {}) {
    const { response, body } = await postImage('/predict?debug=1', image, filename, signal);
    if (!body || !Number.isInteger(body.predicted_digit) || !isProbabilityList(body.probabilities)) {
      throw new ApiError('bad_response', 'The server answered, but not with a prediction.', { status: response.status });
    }
    return {
      digit: body.predicted_digit,
      confidence: typeof body.confidence === 'number' ? body.confidence : body.probabilities[body.predicted_digit],
      probabilities: body.probabilities,
      notADigitProbability: notADigitOf(body),
      input: isImage28(body.input) ? body.input : null,
      ...digitVerdict(body),
      digitCount: Number.isInteger(body.digit_count) ? body.digit_count : null,
      modelVersion: modelVersionOf(body),
    };
  }

  // Reads the number(s) written in an image, line by line. Returns { text (the lines top to bottom, joined
  // with "\n"), confidence, orientation (the turn the server gave the picture to read it, degrees clockwise:
  // 0, 90, 180 or 270; 0 from an older server), lines: [{ text, confidence, box, characters: [{ char,
  // confidence, box }] }] (null from an older server, which reads one line of digits and sends no lines),
  // digits: [{ digit, confidence, box, probabilities, notADigitProbability, input (28×28 | null), isDigit,
  // reason }] (the digit characters, line by line, left to right), ignored: [{ box, reason }], modelVersion }.
  // Every box is [x, y, w, h] in the pixels of the image as a viewer shows it.
  async function read(image, { filename = image?.name || 'image.png', signal } = {}) {
    const { response, body } = await postImage('/read?debug=1', image, filename, signal);
    const digits = Array.isArray(body?.digits) ? body.digits.map(readDigit) : null;
    const lines = Array.isArray(body?.lines) ? body.lines.map(readLine) : null;
    if (!body || typeof body.text !== 'string' || !digits || digits.includes(null) || lines?.includes(null)) {
      throw new ApiError('bad_response', 'The server answered, but not with a reading.', { status: response.status });
    }
    const ignored = Array.isArray(body.ignored)
      ? body.ignored.filter((mark) => isBox(mark?.box)).map((mark) => ({ box: mark.box, reason: typeof mark.reason === 'string' ? mark.reason : null }))
      : [];
    return {
      text: body.text,
      confidence: typeof body.confidence === 'number' ? body.confidence : null,
      orientation: TURNS.includes(body.orientation) ? body.orientation : 0,
      lines,
      digits,
      ignored,
      modelVersion: modelVersionOf(body),
    };
  }

  // GET /model: the architecture and training metadata (shown in the page's footer).
  async function modelInfo({ signal } = {}) {
    const response = await request('/model', { signal });
    if (!response.ok) throw await failure(response);
    const body = await readJson(response);
    if (!body || typeof body !== 'object') throw new ApiError('bad_response', 'The server answered, but not with model information.');
    return body;
  }

  // POST /feedback: keeps a correction, with the user's consent. correction: { image (the exact Blob that was
  // sent to /predict or /read), filename, kind ('digit' | 'number'), label (the right digit or number),
  // predicted (what the server answered), modelVersion (the answer's model_version) }. Returns { id,
  // deleteToken }, which the page keeps in memory only, to let the user delete the correction again.
  async function sendFeedback({ image, filename = image?.name || 'image.png', kind, label, predicted = null, modelVersion = null }, { signal } = {}) {
    const form = imageForm(image, filename, { label, kind, consent: 'true', predicted, model_version: modelVersion });
    const response = await request('/feedback', { method: 'POST', body: form, signal });
    if (!response.ok) throw await failure(response);
    const body = await readJson(response);
    if (typeof body?.id !== 'string' || !body.id || typeof body.delete_token !== 'string' || !body.delete_token) {
      throw new ApiError('bad_response', 'The server answered, but did not say which correction it kept.', { status: response.status });
    }
    return { id: body.id, deleteToken: body.delete_token };
  }

  // DELETE /feedback/{id} with the correction's delete token.
  async function deleteFeedback(id, deleteToken, { signal } = {}) {
    const response = await request(`/feedback/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: { 'X-Delete-Token': deleteToken },
      signal,
    });
    if (!response.ok) throw await failure(response);
  }

  return { baseUrl, predict, read, modelInfo, sendFeedback, deleteFeedback };
}
