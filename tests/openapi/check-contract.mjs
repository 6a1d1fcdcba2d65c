#!/usr/bin/env node
// The contract test of server/openapi.json: the real digit-server, started here on free loopback ports, is
// sent real requests on every route, good and bad, and every answer (status, Content-Type, documented
// headers, body) is validated against what the document says of that route and status, with Ajv (OpenAPI
// 3.1 schemas are JSON Schema 2020-12).
//
//   node tests/openapi/check-contract.mjs --server build/bin/digit-server [--model models/digitnet.cnn]
//                                         [--document server/openapi.json]
//
// The model reaches the server through a named pipe, written only once the answers of a loading server
// (503) have been checked. At the end every response the document lists, for every operation, must have
// been seen at least once: a documented answer that the server never gives is a finding too.
//
// Prints one line per request and ends with "openapi-contract: N passed, N failed"; exit status 0 only if all
// pass. The npm modules come from tests/openapi/package-lock.json (`scripts/setup.sh test` runs `npm ci`).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const { values: options } = parseArgs({
  options: {
    server: { type: 'string' },
    model: { type: 'string' },
    document: { type: 'string' },
  },
});
const config = {
  server: resolve(options.server || process.env.DIGIT_SERVER || join(root, 'build/bin/digit-server')),
  model: resolve(options.model || process.env.DIGIT_MODEL || join(root, 'models/digitnet.cnn')),
  document: resolve(options.document || join(root, 'server/openapi.json')),
};
const MAX_UPLOAD_BYTES = 300_000; // small, so that 413 costs little to provoke
const MAX_BATCH = 64; // the server's max_batch_files
const REQUEST_TIMEOUT_MS = 10_000;

let Ajv2020;
try {
  Ajv2020 = (await import('ajv/dist/2020.js')).default;
} catch (error) {
  console.error(`check-contract: the npm modules are missing (${error.message.split('\n')[0]});`);
  console.error('run `scripts/setup.sh test` (or `npm ci` in tests/openapi)');
  process.exit(1);
}

// ---- Reporting ---------------------------------------------------------------------------------------

let passed = 0;
let failed = 0;
function report(ok, name, detail = '') {
  console.log(`${ok ? 'ok   ' : 'FAIL '} ${name}${detail ? ` — ${detail}` : ''}`);
  if (ok) passed += 1;
  else failed += 1;
}

// ---- The document: operations, responses, schemas ----------------------------------------------------

const document = JSON.parse(readFileSync(config.document, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SCHEMAS_ID = 'https://digit-server.invalid/openapi.json';

// The document's component schemas under one JSON Schema resource, its references pointed there, so that
// Ajv compiles each response's schema in strict mode without meeting OpenAPI's own keywords.
function pointRefs(value) {
  if (Array.isArray(value)) return value.map(pointRefs);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')) {
        return [key, `${SCHEMAS_ID}#/$defs/${inner.slice('#/components/schemas/'.length)}`];
      }
      return [key, pointRefs(inner)];
    }));
  }
  return value;
}
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addSchema({ $id: SCHEMAS_ID, $defs: pointRefs(document.components?.schemas ?? {}) });
const validators = new Map();
function validatorFor(schema) {
  const key = JSON.stringify(schema);
  if (!validators.has(key)) validators.set(key, ajv.compile(pointRefs(schema)));
  return validators.get(key);
}

function resolveRef(value) {
  if (!value?.$ref) return value;
  const target = value.$ref.replace(/^#\//, '').split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, part) => node?.[part], document);
  if (!target) throw new Error(`the document has no ${value.$ref}`);
  return resolveRef(target);
}

// The document's path (with {templated} segments) that names this concrete path, or null.
function documentedPath(path) {
  for (const template of Object.keys(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}$`);
    if (pattern.test(path)) return template;
  }
  return null;
}

// Every documented answer, "METHOD TEMPLATE STATUS", to be seen at least once.
const unseen = new Set();
for (const [template, item] of Object.entries(document.paths)) {
  for (const method of METHODS) {
    for (const status of Object.keys(item[method]?.responses ?? {})) unseen.add(`${method.toUpperCase()} ${template} ${status}`);
  }
}

const mediaEssence = (type) => (type || '').split(';')[0].trim().toLowerCase();

// What the document promises for this request and status: { response, label } or an error message.
function documentedResponse(method, path, status) {
  const template = documentedPath(path);
  if (!template) {
    // An unknown path: the server's generic JSON error.
    if (status !== 404) return { error: `${path} is not in the document, yet answered ${status}, not 404` };
    return { response: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }, label: null };
  }
  const item = document.paths[template];
  const operation = item[method.toLowerCase()];
  if (!operation) {
    // Another method on a documented path: 405, as every operation of that path documents it.
    const operations = METHODS.filter((m) => item[m]);
    if (status !== 405) return { error: `${method} ${template} is not documented, yet answered ${status}, not 405` };
    const response = item[operations[0]].responses?.['405'];
    if (!response) return { error: `${operations[0].toUpperCase()} ${template} documents no 405` };
    for (const m of operations) unseen.delete(`${m.toUpperCase()} ${template} 405`);
    return { response: resolveRef(response), label: null };
  }
  const response = operation.responses?.[String(status)];
  if (!response) return { error: `${method} ${template} answered ${status}, which the document does not list` };
  return { response: resolveRef(response), label: `${method} ${template} ${status}` };
}

// ---- Requests --------------------------------------------------------------------------------------

let baseUrl = '';
async function send(port, method, path, { body, type, headers = {} } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (type) init.headers['Content-Type'] = type;
  if (body !== undefined) init.body = body;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

// Sends one request and checks its answer against the document; `expect` is the status it must have.
async function check(name, method, path, expect, init = {}, { port = apiPort, extra } = {}) {
  let answer;
  try {
    answer = await send(port, method, path, init);
  } catch (error) {
    report(false, name, `${method} ${path}: ${error.message}`);
    return null;
  }
  const problems = [];
  if (answer.status !== expect) problems.push(`status ${answer.status}, expected ${expect}: ${answer.text.slice(0, 200)}`);
  const { response, label, error } = documentedResponse(method, path.split('?')[0], answer.status);
  if (error) problems.push(error);
  if (response) {
    if (label) unseen.delete(label);
    const type = mediaEssence(answer.headers.get('content-type'));
    const media = Object.entries(response.content ?? {}).find(([documented]) => mediaEssence(documented) === type)?.[1];
    if (!media) {
      problems.push(`Content-Type ${type || '(none)'} is not among the documented ${Object.keys(response.content ?? {}).join(', ') || '(no body)'}`);
    } else if (media.schema) {
      let body = answer.text;
      if (type === 'application/json') {
        try {
          body = JSON.parse(answer.text);
        } catch {
          problems.push(`the body is not JSON: ${answer.text.slice(0, 100)}`);
        }
      }
      const validate = validatorFor(media.schema);
      if (!problems.length && !validate(body)) {
        problems.push(ajv.errorsText(validate.errors, { dataVar: 'body' }));
      }
    }
    for (const header of Object.keys(response.headers ?? {})) {
      if (!answer.headers.has(header)) problems.push(`no ${header} header`);
    }
  }
  let parsed = null;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    parsed = answer.text;
  }
  if (!problems.length && extra) {
    const more = extra(parsed, answer);
    if (more) problems.push(more);
  }
  report(!problems.length, name, problems.length ? `${method} ${path}: ${problems.join('; ')}` : `${answer.status}`);
  return parsed;
}

// ---- Test inputs -------------------------------------------------------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
// An 8-bit grey PNG; `ink(x, y)` says where it is black on white. `data: false` leaves the pixels out.
function greyPng(width, height, ink, { data = true } = {}) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8);
  const chunks = [pngChunk('IHDR', header)];
  if (data) {
    const raw = Buffer.alloc((width + 1) * height, 255);
    for (let y = 0; y < height; y++) {
      raw[y * (width + 1)] = 0;
      for (let x = 0; x < width; x++) if (ink(x, y)) raw[y * (width + 1) + 1 + x] = 0;
    }
    chunks.push(pngChunk('IDAT', deflateSync(raw)));
  }
  chunks.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ...chunks]);
}
const digitPng = greyPng(112, 112, (x, y) => (y >= 16 && y < 96 && x >= 50 && x < 62) || (y >= 16 && y < 26 && x >= 30 && x < 62));
const blankPng = greyPng(300, 200, () => false);
const hugePngHeader = greyPng(100000, 100000, () => false, { data: false });
const textFile = Buffer.from('These are notes, not an image.\n');

function form(...files) {
  const body = new FormData();
  for (const [field, content, filename, type] of files) body.append(field, new Blob([content], { type }), filename);
  return body;
}

const PIXELS = 28 * 28;
const background = -0.1307 / 0.3081;
function inferBody(shape, data, { datatype = 'FP32', name = 'input', extra = {} } = {}) {
  return JSON.stringify({ ...extra, inputs: [{ name, shape, datatype, data }] });
}
// A normalised vertical stroke, flat.
const strokeTensor = Array.from({ length: PIXELS }, (_, i) => {
  const x = i % 28;
  const y = Math.floor(i / 28);
  return x >= 13 && x < 16 && y >= 4 && y < 24 ? (1 - 0.1307) / 0.3081 : background;
});
const json = { type: 'application/json' };

// ---- The server ----------------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let apiPort = 0;
let uiPort = 0;

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'digit-contract-'));
  const pipe = join(work, 'model.cnn');
  execFileSync('mkfifo', [pipe]);
  apiPort = await freePort();
  do uiPort = await freePort(); while (uiPort === apiPort);
  const child = spawn(config.server, ['--model', pipe, '--host', '127.0.0.1', '--port', String(apiPort), '--ui-port', String(uiPort),
    '--ui-dir', join(work, 'no-ui'), '--threads', '2', '--heavy-threads', '2', '--max-upload-bytes', String(MAX_UPLOAD_BYTES)],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (data) => {
    log = (log + data).slice(-20000);
  });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const watchdog = setTimeout(() => {
    console.error('check-contract: timed out after 120 s');
    child.kill('SIGKILL');
    process.exit(1);
  }, 120_000);
  try {
    // Up, the model not yet in: it is read from the pipe, which nobody writes yet.
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        if ((await send(apiPort, 'GET', '/healthz')).status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`digit-server did not come up:\n${log}`);
      await sleep(100);
    }
    await loadingChecks();
    writeFileSync(pipe, readFileSync(config.model)); // the model arrives
    for (;;) {
      if ((await send(apiPort, 'GET', '/readyz')).status === 200) break;
      if (Date.now() > deadline + 30_000) throw new Error(`digit-server did not load the model:\n${log}`);
      await sleep(50);
    }
    await serviceChecks();
    await recognitionChecks();
    await protocolChecks();
    await methodAndPathChecks();
    await sameOriginChecks();
  } catch (error) {
    report(false, 'setup', error.message);
  } finally {
    clearTimeout(watchdog);
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
    if (!stopped) child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
  report(!log.includes(' 500 '), 'no request answered 500', log.includes(' 500 ') ? log.split('\n').filter((l) => l.includes(' 500 ')).join(' | ') : '');
  report(unseen.size === 0, 'every answer the document lists was given and checked',
    unseen.size ? `never seen: ${[...unseen].join(', ')}` : `${Object.keys(document.paths).length} paths`);
  console.log(`\nopenapi-contract: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// ---- The checks ----------------------------------------------------------------------------------------

async function loadingChecks() {
  await check('readiness while the model loads', 'GET', '/readyz', 503);
  await check('model information while the model loads', 'GET', '/model', 503);
  await check('a good image while the model loads', 'POST', '/predict', 503, { body: digitPng, type: 'image/png' });
  await check('a number while the model loads', 'POST', '/read', 503, { body: digitPng, type: 'image/png' });
  await check('a batch while the model loads', 'POST', '/predict/batch', 503, { body: form(['file', digitPng, 'a.png', 'image/png']) });
  await check('v2 server readiness while the model loads', 'GET', '/v2/health/ready', 503);
  await check('v2 model readiness while the model loads', 'GET', '/v2/models/digitnet/ready', 503);
  await check('v2 model metadata while the model loads', 'GET', '/v2/models/digitnet', 503);
  await check('v2 inference while the model loads', 'POST', '/v2/models/digitnet/infer', 503, { body: inferBody([1, PIXELS], strokeTensor), ...json });
  await check('liveness while the model loads', 'GET', '/healthz', 200);
  await check('v2 liveness while the model loads', 'GET', '/v2/health/live', 200);
}

async function serviceChecks() {
  await check('welcome', 'GET', '/', 200);
  await check('liveness', 'GET', '/healthz', 200);
  await check('readiness', 'GET', '/readyz', 200);
  await check('model information', 'GET', '/model', 200);
  await check('the document itself', 'GET', '/openapi.json', 200, {}, {
    extra: (body) => (isDeepStrictEqual(body, document) ? '' : 'GET /openapi.json is not server/openapi.json'),
  });
  // Last, so that it holds the requests above.
  await check('metrics', 'GET', '/metrics', 200, {}, {
    extra: (text) => (String(text).includes('digit_http_requests_total{route="/readyz",status="503"}') ? '' : 'the 503s are not counted'),
  });
}

async function recognitionChecks() {
  await check('predict: a PNG digit as multipart', 'POST', '/predict', 200, { body: form(['file', digitPng, 'digit.png', 'image/png']) });
  await check('predict: a PNG digit as the body, with debug', 'POST', '/predict?debug=1', 200, { body: digitPng, type: 'image/png' }, {
    extra: (body) => (Array.isArray(body.input) ? '' : 'no "input" with debug=1'),
  });
  await check('predict: no file field', 'POST', '/predict', 400, { body: form(['image', digitPng, 'digit.png', 'image/png']) });
  await check('predict: no body', 'POST', '/predict', 400, { body: '', type: 'multipart/form-data; boundary=x' });
  await check('predict: an empty file', 'POST', '/predict', 400, { body: form(['file', Buffer.alloc(0), 'empty.png', 'image/png']) });
  await check('predict: malformed multipart', 'POST', '/predict', 400, { body: 'whatever', type: 'multipart/form-data; boundary=abc' });
  await check('predict: a text file', 'POST', '/predict', 415, { body: form(['file', textFile, 'notes.png', 'image/png']) });
  await check('predict: a text body', 'POST', '/predict', 415, { body: textFile, type: 'text/plain' });
  await check('predict: a blank image', 'POST', '/predict', 422, { body: form(['file', blankPng, 'blank.png', 'image/png']) });
  await check('predict: 100000×100000 pixels', 'POST', '/predict', 422, { body: hugePngHeader, type: 'image/png' });
  await check('predict: over --max-upload-bytes', 'POST', '/predict', 413, { body: Buffer.alloc(MAX_UPLOAD_BYTES + 1000), type: 'image/png' });

  await check('read: a PNG digit as multipart', 'POST', '/read', 200, { body: form(['file', digitPng, 'digit.png', 'image/png']) }, {
    extra: (body) => (body.digits.length === body.text.length ? '' : 'not one entry in "digits" per digit of "text"'),
  });
  await check('read: a PNG digit as the body, with debug', 'POST', '/read?debug=1', 200, { body: digitPng, type: 'image/png' }, {
    extra: (body) => (body.digits.every((d) => Array.isArray(d.input)) ? '' : 'no "input" per digit with debug=1'),
  });
  await check('read: no file field', 'POST', '/read', 400, { body: form(['image', digitPng, 'digit.png', 'image/png']) });
  await check('read: an empty file', 'POST', '/read', 400, { body: form(['file', Buffer.alloc(0), 'empty.png', 'image/png']) });
  await check('read: malformed multipart', 'POST', '/read', 400, { body: 'whatever', type: 'multipart/form-data; boundary=abc' });
  await check('read: a text file', 'POST', '/read', 415, { body: form(['file', textFile, 'notes.png', 'image/png']) });
  await check('read: a text body', 'POST', '/read', 415, { body: textFile, type: 'text/plain' });
  await check('read: a blank image', 'POST', '/read', 422, { body: form(['file', blankPng, 'blank.png', 'image/png']) });
  await check('read: 100000×100000 pixels', 'POST', '/read', 422, { body: hugePngHeader, type: 'image/png' });
  await check('read: over --max-upload-bytes', 'POST', '/read', 413, { body: Buffer.alloc(MAX_UPLOAD_BYTES + 1000), type: 'image/png' });

  await check('batch: two images and a text file', 'POST', '/predict/batch?debug=1', 200, {
    body: form(['file', digitPng, 'a.png', 'image/png'], ['file', blankPng, 'b.png', 'image/png'], ['file', textFile, 'c.png', 'image/png']),
  }, {
    extra: (body) => (body.results?.length === 3 && 'predicted_digit' in body.results[0] && body.results[1].code === 'empty_image'
      && body.results[2].status === 415 ? '' : 'not one result per file, in order'),
  });
  await check('batch: no file field', 'POST', '/predict/batch', 400, { body: form(['image', digitPng, 'a.png', 'image/png']) });
  await check('batch: a text body', 'POST', '/predict/batch', 415, { body: textFile, type: 'text/plain' });
  const many = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ['file', Buffer.from('x'), `f${i}.png`, 'image/png']);
  await check('batch: more files than a batch holds', 'POST', '/predict/batch', 413, { body: form(...many) });
  await check('batch: over --max-upload-bytes', 'POST', '/predict/batch', 413, { body: Buffer.alloc(MAX_UPLOAD_BYTES + 1000), type: 'image/png' });
}

async function protocolChecks() {
  await check('v2: server liveness', 'GET', '/v2/health/live', 200);
  await check('v2: server readiness', 'GET', '/v2/health/ready', 200);
  await check('v2: server metadata', 'GET', '/v2', 200);
  const metadata = await check('v2: model metadata', 'GET', '/v2/models/digitnet', 200);
  await check('v2: model readiness', 'GET', '/v2/models/digitnet/ready', 200);
  await check('v2: another model\'s metadata', 'GET', '/v2/models/mnist', 404);
  await check('v2: another model\'s readiness', 'GET', '/v2/models/mnist/ready', 404);
  await check('v2: inference on another model', 'POST', '/v2/models/mnist/infer', 404, { body: inferBody([1, PIXELS], strokeTensor), ...json });

  const infer = (name, expect, body, extra) => check(name, 'POST', '/v2/models/digitnet/infer', expect, { body, ...json }, { extra });
  const classes = metadata?.outputs?.[0]?.shape?.[1];
  await infer('v2: inference, [1,784] flat, with an id', 200, inferBody([1, PIXELS], strokeTensor, { extra: { id: 'contract-1' } }), (body) => {
    const output = body.outputs[0];
    return body.id === 'contract-1' && output.data.length === classes && isDeepStrictEqual(output.shape, [1, classes])
      ? '' : `not [1,${classes}] probabilities with the id echoed`;
  });
  const rows = (tensor) => Array.from({ length: 28 }, (_, y) => tensor.slice(y * 28, y * 28 + 28));
  await infer('v2: inference, [2,1,28,28] nested, asking for "probabilities"', 200, JSON.stringify({
    inputs: [{ name: 'input', shape: [2, 1, 28, 28], datatype: 'FP32', data: [[rows(strokeTensor)], [rows(strokeTensor)]] }],
    outputs: [{ name: 'probabilities' }],
  }), (body) => (body.outputs[0].data.length === 2 * classes ? '' : 'not 2 × classes values'));
  await infer('v2: the protocol\'s example (UINT32 and BOOL inputs)', 400, JSON.stringify({
    id: '42',
    inputs: [{ name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
      { name: 'input1', shape: [3], datatype: 'BOOL', data: [true] }],
    outputs: [{ name: 'output0' }],
  }));
  await infer('v2: wrong datatype', 400, inferBody([1, PIXELS], strokeTensor, { datatype: 'FP64' }));
  await infer('v2: wrong input name', 400, inferBody([1, PIXELS], strokeTensor, { name: 'input0' }));
  await infer('v2: wrong shape', 400, inferBody([1, 28, 28], strokeTensor));
  await infer('v2: more images than a batch holds', 400, inferBody([MAX_BATCH + 1, PIXELS], strokeTensor));
  await infer('v2: data shorter than the shape', 400, inferBody([2, PIXELS], strokeTensor));
  await infer('v2: a string among the numbers', 400, inferBody([1, PIXELS], ['0.5', ...strokeTensor.slice(1)]));
  await infer('v2: not JSON', 400, '{"inputs": [');
  await infer('v2: no inputs', 400, '{}');
  await infer('v2: another output', 400, JSON.stringify({ ...JSON.parse(inferBody([1, PIXELS], strokeTensor)), outputs: [{ name: 'logits' }] }));
  await check('v2: multipart instead of JSON', 'POST', '/v2/models/digitnet/infer', 415, { body: form(['file', digitPng, 'a.png', 'image/png']) });
  await check('v2: over --max-upload-bytes', 'POST', '/v2/models/digitnet/infer', 413, { body: ' '.repeat(MAX_UPLOAD_BYTES + 1000), ...json });
}

async function methodAndPathChecks() {
  // Every documented path, asked with a method it does not take.
  for (const [template, item] of Object.entries(document.paths)) {
    const path = template.replace('{model_name}', 'digitnet');
    const wrong = item.get ? 'POST' : 'GET';
    const init = wrong === 'POST' ? { body: '{}', ...json } : {};
    await check(`wrong method: ${wrong} ${path}`, wrong, path, 405, init, {
      extra: (body, answer) => (answer.headers.get('allow')?.includes(item.get ? 'GET' : 'POST') ? '' : `Allow: ${answer.headers.get('allow')}`),
    });
  }
  await check('wrong method: DELETE /predict', 'DELETE', '/predict', 405);
  await check('wrong method: PUT /v2/models/digitnet/infer', 'PUT', '/v2/models/digitnet/infer', 405, { body: '{}', ...json });
  await check('an unknown path', 'GET', '/nope', 404);
  await check('an unknown path under /v2', 'GET', '/v2/models/digitnet/versions/1', 404);
}

async function sameOriginChecks() {
  // The UI's port answers the same routes the same way (the page calls its own origin).
  const ui = { port: uiPort };
  await check('UI port: readiness', 'GET', '/readyz', 200, {}, ui);
  await check('UI port: predict', 'POST', '/predict', 200, { body: form(['file', digitPng, 'digit.png', 'image/png']) }, ui);
  await check('UI port: v2 inference', 'POST', '/v2/models/digitnet/infer', 200, { body: inferBody([1, PIXELS], strokeTensor), ...json }, ui);
  await check('UI port: a text file', 'POST', '/predict', 415, { body: form(['file', textFile, 'notes.png', 'image/png']) }, ui);
  await check('UI port: the document', 'GET', '/openapi.json', 200, {}, ui);
}

main().catch((error) => {
  console.error(error.stack || error.message);
  process.exit(1);
});
