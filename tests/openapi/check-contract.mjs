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
// (503) have been checked. The corrections' and the operator's routes are asked there too (a SQLite store in
// a temporary folder, an operator token file), and on a few more servers started beside it, each for the
// answers one configuration gives: no --feedback-db (404) and a model file that is reloaded, then broken
// (422); a tiny rate and store (429, 507); a PostgreSQL on a closed port (503). At the end every response the
// document lists, for every operation, must have been seen at least once: a documented answer that the
// server never gives is a finding too.
//
// Prints one line per request and ends with "openapi-contract: N passed, N failed"; exit status 0 only if all
// pass. The npm modules come from tests/openapi/package-lock.json (`scripts/setup.sh test` runs `npm ci`).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
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

// The document's path (with {templated} segments) that names this concrete path, or null. As OpenAPI says, a
// path of fewer templated segments goes first (/feedback/export before /feedback/{id}).
function documentedPath(path) {
  const templated = (template) => (template.match(/\{[^}/]+\}/g) ?? []).length;
  const templates = Object.keys(document.paths).sort((a, b) => templated(a) - templated(b));
  for (const template of templates) {
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
    if (!response.content) {
      // A response without content (204): no body at all.
      if (answer.text !== '') problems.push(`a body, where the document says none: ${answer.text.slice(0, 100)}`);
    } else if (!media) {
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
    // A documented header must be there, unless the document says it may not be (`"required": false`).
    for (const [header, about] of Object.entries(response.headers ?? {})) {
      if (resolveRef(about)?.required !== false && !answer.headers.has(header)) problems.push(`no ${header} header`);
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

// ---- The servers ---------------------------------------------------------------------------------------

const usedPorts = new Set();
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  }).then((port) => (usedPorts.has(port) ? freePort() : (usedPorts.add(port), port)));
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One digit-server on free loopback ports, its log (stderr: start-up, access log) kept.
async function startServer(name, model, args, { ui = false } = {}) {
  const port = await freePort();
  const ui_port = ui ? await freePort() : -1;
  const child = spawn(config.server, ['--model', model, '--host', '127.0.0.1', '--port', String(port), '--ui-port', String(ui_port),
    '--threads', '2', '--heavy-threads', '2', '--max-upload-bytes', String(MAX_UPLOAD_BYTES), ...args],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  const server = { name, port, uiPort: ui_port, child, log: '' };
  child.stderr.on('data', (data) => {
    server.log = (server.log + data).slice(-20000);
  });
  server.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return server;
}

// Waits until the server answers `path` with `status`.
async function waitFor(server, path, status, timeoutMs, hint = '') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await send(server.port, 'GET', path)).status === status) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      // What the server said, without its access log.
      const said = server.log.split('\n').filter((line) => line && !/^[A-Z]+ \/\S* \d{3} /.test(line)).slice(-20).join('\n');
      throw new Error(`${server.name}: no ${status} on ${path} within ${timeoutMs / 1000} s${hint}; its log:\n${said}`);
    }
    await sleep(50);
  }
}

async function stopServer(server) {
  server.child.kill('SIGTERM');
  const stopped = await Promise.race([server.exited.then(() => true), sleep(5000).then(() => false)]);
  if (!stopped) server.child.kill('SIGKILL');
}

let apiPort = 0;
let uiPort = 0;
const ADMIN_TOKEN = 'contract-operator-token-0123456789';
const operator = { Authorization: `Bearer ${ADMIN_TOKEN}` };
// The servers beside the main one, each for the answers of one configuration.
const others = {};

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'digit-contract-'));
  const pipe = join(work, 'model.cnn');
  execFileSync('mkfifo', [pipe]);
  const tokenFile = join(work, 'admin-token');
  writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`);
  // A copy of the model alone, which the reloading server reads and the test then breaks.
  mkdirSync(join(work, 'reload'));
  const reloadModel = join(work, 'reload', basename(config.model));
  copyFileSync(config.model, reloadModel);

  const primary = await startServer('main', pipe, ['--ui-dir', join(work, 'no-ui'), '--feedback-db', `sqlite:${join(work, 'fb.sqlite')}`,
    '--admin-token-file', tokenFile, '--feedback-per-minute', '0'], { ui: true });
  apiPort = primary.port;
  uiPort = primary.uiPort;
  // No --feedback-db: the corrections' routes are off; the operator's reload reads the copy above.
  others.plain = await startServer('no feedback store', reloadModel, ['--admin-token-file', tokenFile]);
  // A store of one correction, two corrections at once and one a minute; no operator token.
  others.small = await startServer('tiny store and rate', config.model, ['--feedback-db', `sqlite:${join(work, 'small.sqlite')}`,
    '--feedback-per-minute', '1', '--feedback-burst', '2', '--feedback-max-rows', '1']);
  // A PostgreSQL that is not there (a closed port): the server starts, its store answers 503.
  others.down = await startServer('database down', config.model, ['--feedback-db', 'postgresql://digit@127.0.0.1:1/none',
    '--admin-token-file', tokenFile]);
  const servers = [primary, ...Object.values(others)];

  const watchdog = setTimeout(() => {
    console.error('check-contract: timed out after 120 s');
    for (const server of servers) server.child.kill('SIGKILL');
    process.exit(1);
  }, 120_000);
  try {
    // Up, the model not yet in: it is read from the pipe, which nobody writes yet.
    await waitFor(primary, '/healthz', 200, 15_000);
    await loadingChecks();
    writeFileSync(pipe, readFileSync(config.model)); // the model arrives
    await waitFor(primary, '/readyz', 200, 30_000, ' (the model went through the pipe once: a server that opens the model file a second time waits for it)');
    await serviceChecks();
    await recognitionChecks();
    await protocolChecks();
    await feedbackChecks();
    await operatorChecks();
    await methodAndPathChecks();
    await sameOriginChecks();
    for (const server of Object.values(others)) await waitFor(server, '/readyz', 200, 30_000);
    await feedbackOffChecks(others.plain);
    await reloadChecks(others.plain, reloadModel);
    await limitChecks(others.small);
    await storeDownChecks(others.down);
  } catch (error) {
    report(false, 'setup', error.message);
  } finally {
    clearTimeout(watchdog);
    await Promise.all(servers.map(stopServer));
    rmSync(work, { recursive: true, force: true });
  }
  const errors = servers.flatMap((server) => server.log.split('\n').filter((l) => l.includes(' 500 ')).map((l) => `${server.name}: ${l}`));
  report(!errors.length, 'no request answered 500', errors.join(' | '));
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
  await check('a correction of a number while the model loads', 'POST', '/feedback', 503,
    correction({ file: twoDigitPng, kind: 'number', label: '11', consent: 'true' }), { extra: codeIs('not_ready') });
}

async function serviceChecks() {
  await check('welcome', 'GET', '/', 200);
  await check('liveness', 'GET', '/healthz', 200);
  await check('readiness', 'GET', '/readyz', 200);
  await check('model information', 'GET', '/model', 200, {}, {
    extra: (body) => {
      modelVersion = body.model_version;
      return body.feedback?.enabled === true ? '' : `feedback ${JSON.stringify(body.feedback)} on a server with --feedback-db`;
    },
  });
  await check('the document itself', 'GET', '/openapi.json', 200, {}, {
    extra: (body) => (isDeepStrictEqual(body, document) ? '' : 'GET /openapi.json is not server/openapi.json'),
  });
  // Last, so that it holds the requests above.
  await check('metrics', 'GET', '/metrics', 200, {}, {
    extra: (text) => (String(text).includes('digit_http_requests_total{route="/readyz",status="503"}') ? '' : 'the 503s are not counted')
      || (String(text).includes('digit_feedback_total{result="stored"}') ? '' : 'no digit_feedback_total'),
  });
}

async function recognitionChecks() {
  const sameModel = (body) => (body.model_version === modelVersion ? '' : `model_version ${body.model_version}, GET /model says ${modelVersion}`);
  await check('predict: a PNG digit as multipart', 'POST', '/predict', 200, { body: form(['file', digitPng, 'digit.png', 'image/png']) }, { extra: sameModel });
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
    extra: (body) => (body.digits.length === body.text.length ? '' : 'not one entry in "digits" per digit of "text"') || sameModel(body),
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
      && body.results[2].status === 415 ? '' : 'not one result per file, in order')
      || sameModel(body) || sameModel(body.results[0]),
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
  // Every documented path, asked with a method it does not take; Allow names every one it does.
  for (const [template, item] of Object.entries(document.paths)) {
    const path = template.replace('{model_name}', 'digitnet').replace('{id}', unknownId);
    const taken = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
    const wrong = ['GET', 'POST', 'PUT'].find((m) => !taken.includes(m));
    const init = wrong === 'GET' ? {} : { body: '{}', ...json };
    await check(`wrong method: ${wrong} ${path}`, wrong, path, 405, init, {
      extra: (body, answer) => {
        const allow = (answer.headers.get('allow') ?? '').split(',').map((m) => m.trim());
        return taken.every((m) => allow.includes(m)) ? '' : `Allow: ${answer.headers.get('allow')}`;
      },
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
  await check('UI port: a correction', 'POST', '/feedback', 201, consented(), {
    ...ui, extra: (body) => { kept.push({ ...body, kind: 'digit', label: '7' }); return ''; },
  });
  await check('UI port: the operator\'s list', 'GET', '/feedback', 200, { headers: operator }, {
    ...ui, extra: (body) => (body.total === kept.length ? '' : `total ${body.total}, ${kept.length} kept`),
  });
  await check('UI port: no reload there', 'POST', '/admin/reload', 405, { headers: operator }, ui);
}

// ---- Corrections and the operator's routes ---------------------------------------------------------------

// A correction's multipart body: the image as `file` (unless null), the other fields as text.
function correction({ file = digitPng, filename = 'digit.png', type = 'image/png', ...fields } = {}) {
  const body = new FormData();
  if (file !== null) body.append('file', new Blob([file], { type }), filename);
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return { body };
}
const consented = (fields = {}) => correction({ label: '7', consent: 'true', ...fields });
// Two strokes apart: a number of two digits for kind `number`.
const twoDigitPng = greyPng(220, 112, (x, y) => y >= 16 && y < 96 && ((x >= 50 && x < 62) || (x >= 150 && x < 162)));
const retryAfter = (body, answer) => (/^[1-9][0-9]*$/.test(answer.headers.get('retry-after') ?? '') ? ''
  : `Retry-After: ${answer.headers.get('retry-after')}`);
const codeIs = (code) => (body) => (body?.code === code ? '' : `code ${body?.code}, expected ${code}`);
const both = (...extras) => (body, answer) => extras.map((extra) => extra(body, answer)).filter(Boolean).join('; ');
const unknownId = '0123456789abcdef0123456789abcdef';
// The corrections the main server keeps, as POST /feedback answered: { id, delete_token, kind, label }.
const kept = [];
let modelVersion = '';

async function feedbackChecks() {
  const keep = async (name, fields) => {
    const receipt = await check(name, 'POST', '/feedback', 201, consented(fields));
    if (receipt?.id) kept.push({ ...receipt, kind: fields.kind ?? 'digit', label: fields.label ?? '7' });
    return receipt;
  };
  await keep('feedback: a digit, with what was predicted and by which model', { label: '7', predicted: '1', model_version: modelVersion });
  await keep('feedback: a number (kind number)', { file: twoDigitPng, kind: 'number', label: '11' });
  // Lines apart by "\n", as the document says, in a multipart body written by hand; and as browsers send a
  // form (FormData turns every line break of a field into CRLF, as the HTML standard says).
  const lines = Buffer.concat([
    ...[['kind', 'number'], ['label', '1\n1'], ['consent', 'true']].map(([name, value]) => Buffer.from(
      `--contract\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)),
    Buffer.from('--contract\r\nContent-Disposition: form-data; name="file"; filename="two.png"\r\nContent-Type: image/png\r\n\r\n'),
    twoDigitPng, Buffer.from('\r\n--contract--\r\n')]);
  const receipt = await check('feedback: a number of two lines', 'POST', '/feedback', 201, { body: lines, type: 'multipart/form-data; boundary=contract' });
  if (receipt?.id) kept.push({ ...receipt, kind: 'number', label: '1\n1' });
  await keep('feedback: a number of two lines, as a browser\'s form sends it', { file: twoDigitPng, kind: 'number', label: '1\n1' });
  const doomed = await keep('feedback: a digit to delete', { label: '1' });

  await check('feedback: no consent', 'POST', '/feedback', 400, correction({ label: '7' }), { extra: codeIs('consent_required') });
  await check('feedback: consent other than "true"', 'POST', '/feedback', 400, correction({ label: '7', consent: 'yes' }), { extra: codeIs('consent_required') });
  await check('feedback: an image body (no fields, so no consent)', 'POST', '/feedback', 400, { body: digitPng, type: 'image/png' }, { extra: codeIs('consent_required') });
  await check('feedback: a label of two digits for a digit', 'POST', '/feedback', 400, consented({ label: '12' }), { extra: codeIs('bad_label') });
  await check('feedback: a label that is not a digit', 'POST', '/feedback', 400, consented({ label: 'x' }), { extra: codeIs('bad_label') });
  await check('feedback: a number label with letters', 'POST', '/feedback', 400, consented({ kind: 'number', label: '12a' }), { extra: codeIs('bad_label') });
  await check('feedback: an empty label', 'POST', '/feedback', 400, consented({ label: '' }), { extra: codeIs('bad_label') });
  await check('feedback: an unknown kind', 'POST', '/feedback', 400, consented({ kind: 'letter' }), { extra: codeIs('bad_request') });
  await check('feedback: a predicted over 64 characters', 'POST', '/feedback', 400, consented({ predicted: '1'.repeat(65) }), { extra: codeIs('bad_request') });
  await check('feedback: no file field', 'POST', '/feedback', 400, consented({ file: null }), { extra: codeIs('missing_file') });
  await check('feedback: an empty file', 'POST', '/feedback', 400, consented({ file: Buffer.alloc(0) }), { extra: codeIs('empty_file') });
  await check('feedback: malformed multipart', 'POST', '/feedback', 400, { body: 'whatever', type: 'multipart/form-data; boundary=abc' }, { extra: codeIs('malformed_multipart') });
  await check('feedback: a text file', 'POST', '/feedback', 415, consented({ file: textFile, filename: 'notes.png' }));
  await check('feedback: a text body', 'POST', '/feedback', 415, { body: textFile, type: 'text/plain' });
  await check('feedback: a blank image', 'POST', '/feedback', 422, consented({ file: blankPng }), { extra: codeIs('empty_image') });
  await check('feedback: 100000×100000 pixels', 'POST', '/feedback', 422, consented({ file: hugePngHeader }), { extra: codeIs('image_too_large') });
  await check('feedback: over --max-upload-bytes', 'POST', '/feedback', 413, consented({ file: Buffer.alloc(MAX_UPLOAD_BYTES + 1000) }));

  const path = `/feedback/${doomed?.id ?? unknownId}`;
  const token = doomed?.delete_token ?? unknownId;
  await check('delete: no X-Delete-Token', 'DELETE', path, 401);
  await check('delete: a wrong token', 'DELETE', path, 404, { headers: { 'X-Delete-Token': token.replace(/^./, (c) => (c === '0' ? '1' : '0')) } });
  await check('delete: the token of another correction', 'DELETE', path, 404, { headers: { 'X-Delete-Token': kept[0]?.delete_token ?? unknownId } });
  await check('delete: an unknown id', 'DELETE', `/feedback/${unknownId}`, 404, { headers: { 'X-Delete-Token': token } });
  await check('delete: with its token', 'DELETE', path, 204, { headers: { 'X-Delete-Token': token } }, {
    extra: (body, answer) => (answer.text === '' ? '' : `a body: ${answer.text.slice(0, 100)}`),
  });
  if (doomed) kept.splice(kept.findIndex((c) => c.id === doomed.id), 1);
  await check('delete: again', 'DELETE', path, 404, { headers: { 'X-Delete-Token': token } });
}

async function operatorChecks() {
  await check('operator: the list without a token', 'GET', '/feedback', 401);
  await check('operator: the list with a wrong token', 'GET', '/feedback', 401, { headers: { Authorization: 'Bearer not-the-operator-token' } });
  await check('operator: the list with the token as Basic', 'GET', '/feedback', 401, { headers: { Authorization: `Basic ${ADMIN_TOKEN}` } });
  await check('operator: the list', 'GET', '/feedback', 200, { headers: operator }, {
    extra: (body) => {
      const ids = body.corrections.map((c) => c.id).sort();
      if (body.engine !== 'sqlite') return `engine ${body.engine}`;
      if (body.total !== kept.length || !isDeepStrictEqual(ids, kept.map((c) => c.id).sort())) {
        return `holds ${ids.join(',')} (total ${body.total}), not the ${kept.length} kept (refused and deleted ones are not kept)`;
      }
      const first = body.corrections.find((c) => c.id === kept[0]?.id);
      if (first && (first.label !== '7' || first.predicted !== '1' || first.model_version !== modelVersion || first.input_count !== 1)) {
        return `the first correction reads ${JSON.stringify(first)}`;
      }
      const number = body.corrections.find((c) => c.id === kept[1]?.id);
      return !number || (number.kind === 'number' && number.input_count === 2) ? '' : `the number reads ${JSON.stringify(number)}`;
    },
  });
  await check('operator: a page of the list', 'GET', '/feedback?limit=1&offset=1', 200, { headers: operator }, {
    extra: (body) => (body.corrections.length === 1 && body.total === kept.length ? '' : `${body.corrections.length} corrections, total ${body.total}`),
  });
  await check('operator: the export without a token', 'GET', '/feedback/export', 401);
  await check('operator: the export', 'GET', '/feedback/export', 200, { headers: operator }, {
    extra: (body) => {
      if (body.total !== kept.length || body.offset !== 0 || body.corrections.length !== kept.length) return `total ${body.total}, offset ${body.offset}`;
      const times = body.corrections.map((c) => c.created_at);
      if (times.some((t, i) => i && t < times[i - 1])) return 'not oldest first';
      const bad = body.corrections.flatMap((c) => c.inputs).find((input) => Buffer.from(input, 'base64').length !== PIXELS);
      return bad === undefined ? '' : 'an input that is not 784 bytes';
    },
  });
  await check('operator: a page of the export', 'GET', '/feedback/export?limit=1&offset=2', 200, { headers: operator }, {
    extra: (body) => (body.offset === 2 && body.corrections.length === Math.min(1, kept.length - 2) ? '' : `offset ${body.offset}, ${body.corrections.length} corrections`),
  });
  // Refused before the model is read again, so the pipe this server's model came through is not asked.
  await check('operator: reload without a token', 'POST', '/admin/reload', 401);
  await check('operator: reload with a wrong token', 'POST', '/admin/reload', 401, { headers: { Authorization: 'Bearer not-the-operator-token' } });
}

// A server without --feedback-db: the corrections' routes answer 404, the operator's list and export too.
async function feedbackOffChecks(server) {
  const on = { port: server.port };
  await check('no store: model information says so', 'GET', '/model', 200, {}, {
    ...on, extra: (body) => (body.feedback?.enabled === false ? '' : `feedback ${JSON.stringify(body.feedback)}`),
  });
  await check('no store: a correction', 'POST', '/feedback', 404, consented(), { ...on, extra: codeIs('not_found') });
  await check('no store: a delete', 'DELETE', `/feedback/${unknownId}`, 404, { headers: { 'X-Delete-Token': unknownId } }, on);
  await check('no store: the operator\'s list', 'GET', '/feedback', 404, { headers: operator }, on);
  await check('no store: the operator\'s export', 'GET', '/feedback/export', 404, { headers: operator }, on);
}

// POST /admin/reload reads the model file again; a broken one is refused and the old model serves on.
async function reloadChecks(server, modelPath) {
  const on = { port: server.port };
  let version = '';
  await check('reload: the model before', 'GET', '/model', 200, {}, { ...on, extra: (body) => { version = body.model_version; return ''; } });
  await check('reload: the same files', 'POST', '/admin/reload', 200, { headers: operator }, {
    ...on, extra: (body) => (body.model_version === version ? '' : `model_version ${body.model_version}, before ${version}`),
  });
  writeFileSync(modelPath, 'not a model\n');
  await check('reload: a broken model file', 'POST', '/admin/reload', 422, { headers: operator }, { ...on, extra: codeIs('reload_failed') });
  await check('reload: the old model serves on', 'POST', '/predict', 200, { body: digitPng, type: 'image/png' }, {
    ...on, extra: (body) => (body.model_version === version ? '' : `model_version ${body.model_version}, before ${version}`),
  });
  await check('reload: the metrics count both', 'GET', '/metrics', 200, {}, {
    ...on,
    extra: (text) => (String(text).includes('digit_model_reloads_total{result="success"} 1') && String(text).includes('digit_model_reloads_total{result="failure"} 1')
      ? '' : 'digit_model_reloads_total is not 1 success, 1 failure'),
  });
}

// One correction fits the store, two may come at once, one a minute: 201, then 507, then 429.
async function limitChecks(server) {
  const on = { port: server.port };
  await check('tiny store: the first correction', 'POST', '/feedback', 201, consented(), on);
  await check('tiny store: the second, over --feedback-max-rows', 'POST', '/feedback', 507, consented(), { ...on, extra: codeIs('storage_full') });
  await check('tiny store: the third, over the rate', 'POST', '/feedback', 429, consented(), { ...on, extra: both(codeIs('too_many_requests'), retryAfter) });
  await check('tiny store: the metrics count them', 'GET', '/metrics', 200, {}, {
    ...on,
    extra: (text) => ['stored', 'full', 'rate_limited'].every((result) => String(text).includes(`digit_feedback_total{result="${result}"} 1`))
      ? '' : 'digit_feedback_total is not 1 stored, 1 full, 1 rate_limited',
  });
  // No --admin-token-file: the operator's routes are not there.
  await check('no operator token: the list', 'GET', '/feedback', 404, { headers: operator }, on);
  await check('no operator token: the export', 'GET', '/feedback/export', 404, { headers: operator }, on);
  await check('no operator token: reload', 'POST', '/admin/reload', 404, { headers: operator }, on);
}

// The database cannot be reached: every route of the store answers 503 storage_unavailable, Retry-After.
async function storeDownChecks(server) {
  const on = { port: server.port };
  const down = both(codeIs('storage_unavailable'), retryAfter);
  await check('database down: a correction', 'POST', '/feedback', 503, consented(), { ...on, extra: down });
  await check('database down: a delete', 'DELETE', `/feedback/${unknownId}`, 503, { headers: { 'X-Delete-Token': unknownId } }, { ...on, extra: down });
  await check('database down: the operator\'s list', 'GET', '/feedback', 503, { headers: operator }, { ...on, extra: down });
  await check('database down: the operator\'s export', 'GET', '/feedback/export', 503, { headers: operator }, { ...on, extra: down });
  await check('database down: recognition goes on', 'POST', '/predict', 200, { body: digitPng, type: 'image/png' }, on);
}

main().catch((error) => {
  console.error(error.stack || error.message);
  process.exit(1);
});
