#!/usr/bin/env node
// End-to-end test of the web UI in a real browser (Debian's chromium through playwright-core) against a
// real digit-server with the shipped model, started here on free ports (neither 3000 nor 5001). The page is
// loaded from the UI port without ?api-port=, so it calls the API on its own origin, as it does by default.
//
//   node frontend/e2e/e2e.mjs SERVER_BINARY MODEL MNIST_DIR
//
// The three arguments may also come from DIGIT_SERVER, DIGIT_MODEL and MNIST_DIR. Optional environment:
// UI_DIR (the built UI, default frontend/dist), SCREENSHOT_DIR (default build/screenshots at the top of
// the repository), CHROMIUM (default /usr/bin/chromium).
//
// At desktop (1280×800) and phone (390×844) sizes: upload a PNG of a handwritten 7 made from an MNIST test
// digit → the page shows 7 and eleven bars (the ten digits and "not a digit", summing to 100%, the 7's the
// confidence printed, "not a digit" the server's figure); draw a 1 with the mouse → the page shows 1 (live
// prediction), its chart checked the same way;
// upload a text file → the page shows the server's message; every API call goes to the page's own origin.
// Number mode, at those sizes and on a phone held sideways (844×390): write 2024 with mouse strokes on the
// wide canvas → the page shows 2024 and four boxes, each over its digit; write 3.14 (the point a short dab) →
// the reading holds 3.14, a box over each character, the point's a mark's; write 314 above 27 → two rows,
// the boxes over the characters of both lines; upload a photo-like picture of 3759 (ink on unevenly lit,
// noisy paper) → the page shows 3759, boxes over the photo's digits, and the canvas is emptied; a photo of
// 3.14 turned a quarter clockwise → the reading, "The picture was turned 90° anticlockwise to read it", and
// the boxes over the characters of the photo as it is shown. On the desktop
// also: two digits drawn on the square canvas → the page offers to read them as a number, and does; a star
// → the page shows the server's verdict (not a digit, or the digit). Also: ?api-port= still points the page
// at the API port, and the page reports an unreachable server.
// Corrections (the server keeps them in a temporary SQLite file, --feedback-db): at desktop and phone sizes,
// the drawn 1 → Wrong?, another digit, consent, Send → "Thanks — kept.", the POST carrying the very PNG of
// the /predict request, and the operator's GET /feedback lists the row; Delete it → "Deleted." and the row is
// gone; a new answer closes the correction. On the desktop the same for the number drawn in Number mode.
// Last, a server started without --feedback-db: the page offers no "Wrong?".
// A screenshot of each step goes to SCREENSHOT_DIR. Exit status 0 only if every check passes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { STROKE_WIDTH, WIDE_CANVAS_WIDTH } from '../src/drawing.js';
import { formatPercent } from '../src/format.js';
import { idxImage, parseIdx } from '../src/idx.js';
import { multipartFields } from './multipart.mjs';
import { mnistDigitToPng } from './png.mjs';
import { inkBox, isMark, layoutDigits, numberStrokes, photoOfNumber, photoOfStrokes } from './strokes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const [argServer, argModel, argMnist] = process.argv.slice(2);
const config = {
  server: argServer || process.env.DIGIT_SERVER || join(repo, 'build/bin/digit-server'),
  model: argModel || process.env.DIGIT_MODEL || join(repo, 'models/digitnet.cnn'),
  mnist: argMnist || process.env.MNIST_DIR || join(repo, 'data/mnist'),
  uiDir: process.env.UI_DIR || join(repo, 'frontend/dist'),
  screenshots: process.env.SCREENSHOT_DIR || join(repo, 'build/screenshots'),
  chromium: process.env.CHROMIUM || '/usr/bin/chromium',
};
const STEP_TIMEOUT_MS = 20_000;
// steps: the single-digit steps ('digit') and Number mode's ('number').
const VIEWPORTS = [
  { name: 'desktop', viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, isMobile: false, hasTouch: false, steps: ['digit', 'number'] },
  { name: 'phone', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, steps: ['digit', 'number'] },
  { name: 'phone-landscape', viewport: { width: 844, height: 390 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, steps: ['number'] },
];
const DRAWN_NUMBER = '2024';
const PHOTO_NUMBER = '3759';
const DECIMAL = '3.14'; // drawn, and in a photo turned a quarter clockwise
const TWO_LINES = ['314', '27']; // drawn one above the other
const CONSENT = 'Keep this image to improve the model. You can delete it with the link shown.';

const results = [];
function record(name, ok, detail = '') {
  results.push({ name, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? ` — ${detail}` : ''}`);
}
async function check(name, fn) {
  try {
    const detail = await fn();
    record(name, true, detail || '');
    return true;
  } catch (err) {
    record(name, false, err.message.split('\n')[0]);
    return false;
  }
}

function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(1);
}

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

async function waitForHttp(url, isDone, deadline) {
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (await isDone(response)) return;
      last = `HTTP ${response.status} ${(await response.text()).slice(0, 200)}`;
    } catch (err) {
      last = err.cause?.code || err.message; // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${url} did not become ready (last answer: ${last})`);
}

// Every digit-server started, for the watchdog to stop.
const servers = [];

// extraArgs: more flags (the feedback database, the operator's token).
function startServer(apiPort, uiPort, extraArgs = []) {
  const args = ['--model', config.model, '--host', '127.0.0.1', '--port', String(apiPort), '--ui-port', String(uiPort), '--ui-dir', config.uiDir, '--threads', '2', ...extraArgs];
  const child = spawn(config.server, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  const log = [];
  const keep = (data) => {
    log.push(String(data));
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  child.log = () => log.join('');
  return child;
}

// The first MNIST test digit with this label, as a dark-on-light PNG four times its size.
function mnistPng(label) {
  const images = parseIdx(readFileSync(join(config.mnist, 't10k-images-idx3-ubyte')));
  const labels = parseIdx(readFileSync(join(config.mnist, 't10k-labels-idx1-ubyte')));
  const index = labels.data.indexOf(label);
  if (index < 0) throw new Error(`no ${label} in the MNIST test labels`);
  const [, rows, cols] = images.dims;
  return { index, png: mnistDigitToPng(idxImage(images, index), rows, cols, 4) };
}

// A five-pointed star drawn in one stroke on paper: not a digit.
function starPng() {
  const points = Array.from({ length: 6 }, (_, i) => {
    const angle = ((i * 144 - 90) * Math.PI) / 180;
    return { x: 160 + 110 * Math.cos(angle), y: 160 + 110 * Math.sin(angle) };
  });
  return photoOfStrokes([points], { width: 320, height: 320, strokeWidth: 16 });
}

const testId = (page, id) => page.locator(`[data-testid="${id}"]`);

async function waitForDigit(page, digit) {
  const shown = testId(page, 'predicted-digit');
  try {
    await page.waitForFunction(
      (d) => {
        const el = document.querySelector('[data-testid="predicted-digit"]');
        const body = document.querySelector('.result-body');
        return el && el.textContent.trim() === String(d) && body && !body.classList.contains('is-stale');
      },
      digit,
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch {
    const now = (await shown.count()) ? await shown.textContent() : 'no digit';
    const error = (await testId(page, 'error').count()) ? await testId(page, 'error').textContent() : '';
    throw new Error(`expected ${digit}, the page shows ${now}${error ? ` and the error "${error}"` : ''}`);
  }
  return (await testId(page, 'confidence').textContent()).trim();
}

// The chart beside the answer on screen (`answer`: the /predict JSON; `printed`: the confidence the page prints
// for it, e.g. "95%"): eleven bars, the ten digits then "not a digit"; the chosen digit's bar shows the printed
// confidence, "not a digit" the server's not_a_digit_probability (from an older server, which does not send it,
// 1 − confidence / probabilities[chosen]), and the eleven add up to 100% within their rounding.
async function checkChart(page, answer, printed) {
  const bars = await page.locator('[data-testid="probability-bars"] > li').evaluateAll((items) =>
    items.map((li) => ({
      name: li.getAttribute('aria-label'),
      value: li.querySelector('.bar-value').textContent.trim(),
      label: li.querySelector('.bar-label').textContent.replace(/\s+/g, ' ').trim(),
    })),
  );
  const labels = bars.map((b) => b.label).join(' ');
  if (labels !== '0 1 2 3 4 5 6 7 8 9 not a digit') throw new Error(`the bars are labelled "${labels}"`);
  const unread = bars.find((b) => b.name !== `${b.label}: ${b.value}`);
  if (unread) throw new Error(`a bar shows ${unread.value} but reads "${unread.name}" to a screen reader`);
  const digit = answer.predicted_digit;
  const chosen = bars[digit];
  if (chosen.value !== printed) throw new Error(`the ${digit}'s bar shows ${chosen.value}, the page prints ${printed}`);
  const sent = typeof answer.not_a_digit_probability === 'number';
  const notADigit = sent
    ? answer.not_a_digit_probability
    : Math.max(0, Math.min(1, 1 - answer.confidence / answer.probabilities[digit]));
  if (bars[10].value !== formatPercent(notADigit)) {
    throw new Error(`"not a digit" shows ${bars[10].value}, the server's figure is ${formatPercent(notADigit)}`);
  }
  const values = bars.map((b) => Number.parseFloat(b.value));
  const total = values.reduce((a, b) => a + b, 0);
  const slack = values.reduce((a, v) => a + (v >= 10 ? 0.5 : 0.05), 0);
  if (Math.abs(total - 100) > slack + 1e-9) throw new Error(`the bars add up to ${total.toFixed(1)}%`);
  return `the ${digit}'s bar ${chosen.value}, not a digit ${bars[10].value} (${sent ? 'sent' : 'derived: the server sends no not_a_digit_probability'}), total ${total.toFixed(1)}%`;
}

const answerOf = async (request) => (await request.response()).json();

async function selectTab(page, name) {
  await page.getByRole('tab', { name }).click();
}

// Moves the mouse along each stroke, button down, as a person draws; points are relative to `at` (x, y).
async function drawStrokes(page, at, strokes) {
  for (const stroke of strokes) {
    await page.mouse.move(at.x + stroke[0].x, at.y + stroke[0].y);
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(at.x + point.x, at.y + point.y, { steps: 3 });
    await page.mouse.up();
  }
}

// The rows of the reading on screen, top to bottom.
const shownLines = (page) => page.locator('[data-testid="number-line"]').evaluateAll((rows) => rows.map((row) => row.textContent.trim()));

// Waits until the page shows `text` (lines joined with "\n"), the reading settled (not dimmed while a newer
// request runs); returns the confidence printed.
async function waitForNumber(page, text) {
  try {
    await page.waitForFunction(
      (t) => {
        const rows = [...document.querySelectorAll('[data-testid="number-text"] [data-testid="number-line"]')];
        const body = document.querySelector('.number-body');
        return rows.length > 0 && rows.map((row) => row.textContent.trim()).join('\n') === t && body && !body.classList.contains('is-stale');
      },
      text,
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch {
    const shown = (await shownLines(page)).join(' / ') || (await page.evaluate(() => document.querySelector('[data-testid="no-digits"]')?.textContent ?? 'nothing'));
    const error = (await testId(page, 'error').count()) ? await testId(page, 'error').textContent() : '';
    throw new Error(`expected ${JSON.stringify(text)}, the page shows ${shown}${error ? ` and the error "${error}"` : ''}`);
  }
  return (await testId(page, 'number-confidence').textContent()).trim();
}

// Draws the strokes (drawStrokes) and waits for the reading of the whole drawing: the live /read request sent
// after the last stroke, its answer, and the page showing it. Returns that answer (the /read JSON).
async function drawAndRead(page, at, strokes) {
  await drawStrokes(page, at, strokes);
  // The live reading comes a moment after the last stroke ends: that request is about the whole drawing.
  const request = await page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/read', { timeout: STEP_TIMEOUT_MS });
  const answer = await (await request.response()).json();
  if (typeof answer.text !== 'string') throw new Error(`/read answered ${JSON.stringify(answer).slice(0, 200)}`);
  await page.waitForFunction(() => {
    const body = document.querySelector('.number-body');
    return body && !body.classList.contains('is-stale');
  });
  const rows = await shownLines(page);
  const lines = answer.text.split('\n').filter(Boolean);
  if (rows.join('\n') !== lines.join('\n')) throw new Error(`the server read ${JSON.stringify(answer.text)}, the page shows the rows ${JSON.stringify(rows)}`);
  return answer;
}

// Runs check(); its error, if any, names what the server read (answer: the /read JSON).
async function readAs(answer, check) {
  try {
    return await check();
  } catch (err) {
    throw new Error(`the server read ${JSON.stringify(answer.text)}; ${err.message}`, { cause: err });
  }
}

const DIGIT_BOXES = '[data-testid="digit-box"]';
const CHARACTER_BOXES = '[data-testid="digit-box"], [data-testid="mark-box"]';

// The boxes drawn over the image that was read, in fractions of the image as shown, in the order of the
// characters, once there are `count` of them (a photo's boxes wait for the photo to load). selector: the
// digits' boxes, or every character's (CHARACTER_BOXES).
async function shownBoxes(page, count, selector = DIGIT_BOXES) {
  await page.waitForFunction(
    ([n, sel]) => {
      const img = document.querySelector('[data-testid="annotated-image"] img');
      return img?.complete && img.naturalWidth > 0 && document.querySelectorAll(sel).length === n;
    },
    [count, selector],
    { timeout: 5000 },
  ).catch(async () => {
    throw new Error(`expected ${count} boxes over the image, the page shows ${await page.locator(selector).count()}`);
  });
  return page.evaluate((sel) => {
    const frame = document.querySelector('[data-testid="annotated-image"]');
    const f = frame.getBoundingClientRect();
    const img = frame.querySelector('img').getBoundingClientRect();
    const fraction = (r) => ({ x: (r.left - f.left) / f.width, y: (r.top - f.top) / f.height, w: r.width / f.width, h: r.height / f.height });
    return {
      frame: { width: f.width, height: f.height },
      image: fraction(img),
      boxes: [...frame.querySelectorAll(sel)].map((el) => ({
        ...fraction(el.getBoundingClientRect()),
        label: el.querySelector('.digit-box-label').textContent,
        mark: el.dataset.testid === 'mark-box',
      })),
    };
  }, selector);
}

// Each box must sit over the character that was written there: it holds the character's centre, and a
// digit's box is about the digit's size. expected: [{ cx, cy, w, h, mark }] in fractions of the image (a
// mark's: the box round its ink). Along the line (across, when the picture is turned) a digit's box may be
// narrower than its cell: a 1 is thin. A mark's box must be a mark's (mark-box), a digit's a digit's.
function checkBoxesOverDigits(shown, expected, { turned = false } = {}) {
  const { image, boxes } = shown;
  if (Math.abs(image.x) > 0.01 || Math.abs(image.y) > 0.01 || Math.abs(image.w - 1) > 0.01 || Math.abs(image.h - 1) > 0.01) {
    throw new Error(`the image does not fill the frame its boxes are placed in: ${JSON.stringify(image)}`);
  }
  if (boxes.length !== expected.length) throw new Error(`${boxes.length} boxes for ${expected.length} characters`);
  const round = (v) => v.toFixed(3);
  const within = (v, e, low, high) => v > low * e && v < high * e;
  boxes.forEach((b, i) => {
    const e = expected[i];
    const holds = e.cx > b.x && e.cx < b.x + b.w && e.cy > b.y && e.cy < b.y + b.h;
    const sized = e.mark || (turned ? within(b.w, e.w, 0.6, 1.4) && within(b.h, e.h, 0.4, 1.6) : within(b.w, e.w, 0.4, 1.6) && within(b.h, e.h, 0.6, 1.4));
    if (!holds || !sized || Boolean(b.mark) !== Boolean(e.mark)) {
      throw new Error(
        `box ${i + 1} (${b.mark ? 'a mark' : 'a digit'} "${b.label.trim()}") at x ${round(b.x)} y ${round(b.y)} w ${round(b.w)} h ${round(b.h)} is not over ` +
          `${e.mark ? 'mark' : 'digit'} ${i + 1} (centre ${round(e.cx)}, ${round(e.cy)}, size ${round(e.w)} × ${round(e.h)})`,
      );
    }
  });
  return `${boxes.length} boxes (${boxes.map((b) => b.label.trim()).join(', ')}) over a ${Math.round(shown.frame.width)}×${Math.round(shown.frame.height)} image`;
}

// Where the characters of `layout` (layoutDigits) were drawn on the wide canvas, shown as `box`, as
// checkBoxesOverDigits takes them: a digit's cell grown by the pen's width (the ink reaches half a stroke
// beyond the points it was drawn through).
function drawnCharacters(text, layout, box) {
  const pen = (STROKE_WIDTH * box.width) / WIDE_CANVAS_WIDTH;
  return layoutDigits(text, layout).map((d) => {
    const cell = isMark(d.digit)
      ? { ...inkBox(d.strokes), mark: true }
      : { cx: d.centreX, cy: layout.cy, w: 0.6 * layout.height + pen, h: layout.height + pen };
    return { cx: cell.cx / box.width, cy: cell.cy / box.height, w: cell.w / box.width, h: cell.h / box.height, mark: cell.mark };
  });
}

// The corrections the server keeps, as its operator lists them (GET /feedback with the bearer token).
async function keptCorrections(admin) {
  const response = await fetch(`${admin.api}/feedback?limit=1000`, { headers: { Authorization: `Bearer ${admin.token}` } });
  if (response.status !== 200) throw new Error(`GET /feedback answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return (await response.json()).corrections;
}

// The answer on screen came from the latest /predict or /read request (`route`): Wrong?, then choose(panel)
// gives the right label, consent, Send. The POST /feedback must carry that request's very image and the
// answer's model_version; the operator's list must hold the row; Delete it must remove it again.
// shots: { open, kept }, names for screenshots of the screen scrolled to the panel (either may be null).
async function correctAndDelete({ page, shot, admin, lastSent }, { route, kind, predicted, label, choose, shots = null }) {
  const answerRequest = lastSent[route];
  if (!answerRequest) throw new Error(`the page made no ${route} request`);
  const answer = await (await answerRequest.response()).json();
  await page.getByRole('button', { name: 'Wrong?' }).click();
  const panel = testId(page, 'correction');
  await choose(panel);
  const send = panel.getByRole('button', { name: 'Send' });
  if (await send.isEnabled()) throw new Error('Send is enabled before consent is given');
  await panel.getByRole('checkbox', { name: CONSENT, exact: true }).check();
  if (!(await send.isEnabled())) throw new Error('Send stays disabled after consent');
  await panel.evaluate((el) => el.scrollIntoView({ block: 'center' }));
  const shotOpen = shots?.open && (await shot(shots.open, { fullPage: false }));

  const posted = page.waitForResponse((r) => new URL(r.url()).pathname === '/feedback' && r.request().method() === 'POST');
  await send.click();
  const response = await posted;
  if (response.status() !== 201) throw new Error(`POST /feedback answered ${response.status()}: ${(await response.text()).slice(0, 200)}`);
  const { id } = await response.json();
  const fieldsOf = async (request) => multipartFields(request.postDataBuffer(), await request.headerValue('content-type'));
  const sent = await fieldsOf(response.request());
  const image = (await fieldsOf(answerRequest)).file?.data;
  if (!image || !sent.file?.data.equals(image)) {
    throw new Error(`the image sent to /feedback (${sent.file?.data.length} bytes) is not the one sent to ${route} (${image?.length} bytes)`);
  }
  const wanted = { label, kind, consent: 'true', predicted, model_version: answer.model_version };
  for (const [name, value] of Object.entries(wanted)) {
    const got = sent[name]?.data.toString();
    if (got !== value) throw new Error(`the field ${name} is ${got === undefined ? 'missing' : `"${got}"`}, not "${value}"`);
  }
  const message = testId(page, 'correction-message');
  await page.waitForFunction(() => document.querySelector('[data-testid="correction-message"]')?.textContent.startsWith('Thanks — kept.'));
  const row = (await keptCorrections(admin)).find((c) => c.id === id);
  if (!row) throw new Error(`the server lists no correction ${id}`);
  const rowWanted = { kind, label, predicted, model_version: answer.model_version, upload_bytes: image.length };
  for (const [name, value] of Object.entries(rowWanted)) {
    if (row[name] !== value) throw new Error(`the kept row has ${name} ${JSON.stringify(row[name])}, not ${JSON.stringify(value)}`);
  }
  const shotKept = shots?.kept && (await shot(shots.kept, { fullPage: false }));

  const removed = page.waitForResponse((r) => new URL(r.url()).pathname === `/feedback/${id}` && r.request().method() === 'DELETE');
  await panel.getByRole('button', { name: 'Delete it' }).click();
  const removal = await removed;
  if (removal.status() !== 204) throw new Error(`DELETE /feedback/${id} answered ${removal.status()}`);
  await page.waitForFunction(() => document.querySelector('[data-testid="correction-message"]')?.textContent === 'Deleted.');
  if ((await keptCorrections(admin)).some((c) => c.id === id)) throw new Error(`correction ${id} is still listed after Delete`);
  const said = (await message.textContent()).trim();
  return [`${kind} ${JSON.stringify(predicted)} → ${JSON.stringify(label)}: kept (${id.slice(0, 8)}…, the ${image.length}-byte image of the ${route} request, ${answer.model_version}), then "${said}" and gone`, shotOpen, shotKept]
    .filter(Boolean)
    .join('; ');
}

// Draw and Upload: one digit.
async function singleDigitSteps(t) {
  const { page, v, shot, inputs, lastSent } = t;
  await check(`${v}: upload an MNIST 7 → shows 7 and eleven bars, the 7's the confidence printed`, async () => {
    await selectTab(page, 'Upload');
    await testId(page, 'file-input').setInputFiles({ name: 'mnist-seven.png', mimeType: 'image/png', buffer: inputs.seven.png });
    const preview = page.getByAltText('Preview of mnist-seven.png');
    await preview.waitFor();
    await page.waitForFunction(() => document.querySelector('img.preview')?.naturalWidth > 0, null, { timeout: 5000 }).catch(() => {
      throw new Error('the preview image did not load (Content-Security-Policy img-src blob:?)');
    });
    await page.getByRole('tabpanel', { name: 'Upload' }).getByRole('button', { name: 'Predict' }).click();
    const confidence = await waitForDigit(page, 7);
    const chart = await checkChart(page, await answerOf(lastSent['/predict']), confidence.replace(/ confident$/, ''));
    await testId(page, 'model-input').waitFor();
    return `${confidence}; ${chart}; ${await shot('1-upload-7')}`;
  });

  await check(`${v}: draw a 1 with the mouse → shows 1 (live prediction)`, async () => {
    await selectTab(page, 'Draw');
    const canvas = testId(page, 'draw-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    const x = box.x + box.width * 0.5;
    await page.mouse.move(x + box.width * 0.03, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(x - box.width * 0.03, box.y + box.height * 0.85, { steps: 25 });
    await page.mouse.up();
    // No click on Predict: the live prediction must come by itself.
    await page.getByText('for your drawing').waitFor();
    const confidence = await waitForDigit(page, 1);
    if (!(await page.getByRole('tabpanel', { name: 'Draw' }).getByRole('button', { name: 'Predict' }).isEnabled())) {
      throw new Error('Predict is disabled with a drawing on the canvas');
    }
    const chart = await checkChart(page, await answerOf(lastSent['/predict']), confidence.replace(/ confident$/, ''));
    return `${confidence}; ${chart}; ${await shot('2-draw-1')}`;
  });

  await check(`${v}: Wrong? → another digit, consent, Send → kept on the server; Delete it → gone`, async () => {
    const predicted = (await testId(page, 'predicted-digit').textContent()).trim();
    const label = predicted === '7' ? '4' : '7';
    const choose = async (panel) => {
      const radio = panel.getByRole('radio', { name: label, exact: true });
      // The visible key, as a person presses it (the radio itself is visually hidden).
      await panel.locator('label.digit-choice').filter({ has: page.getByRole('radio', { name: label, exact: true }) }).click();
      if (!(await radio.isChecked())) throw new Error(`the ${label} is not chosen`);
    };
    return correctAndDelete(t, { route: '/predict', kind: 'digit', predicted, label, choose, shots: { open: '11-correction-panel', kept: '12-correction-kept' } });
  });

  await check(`${v}: a new answer closes the correction`, async () => {
    await page.getByRole('tabpanel', { name: 'Draw' }).getByRole('button', { name: 'Predict' }).click();
    await page.getByRole('button', { name: 'Wrong?' }).waitFor();
    if (await testId(page, 'correction').count()) throw new Error('the correction of the previous answer is still shown');
  });

  await check(`${v}: Clear empties the canvas and disables Predict`, async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('img', { name: 'Drawing area, empty' }).waitFor();
    if (await page.getByRole('tabpanel', { name: 'Draw' }).getByRole('button', { name: 'Predict' }).isEnabled()) {
      throw new Error('Predict is enabled on an empty canvas');
    }
  });

  await check(`${v}: upload a text file → shows the server's message`, async () => {
    await selectTab(page, 'Upload');
    await testId(page, 'file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: inputs.text });
    await page.getByText('No preview for this file').waitFor();
    await page.getByRole('tabpanel', { name: 'Upload' }).getByRole('button', { name: 'Predict' }).click();
    const message = testId(page, 'error-message');
    await message.waitFor();
    const shown = (await message.textContent()).trim();
    if (shown !== inputs.textError.error) throw new Error(`the page shows "${shown}", the server said "${inputs.textError.error}"`);
    return `"${shown}"; ${await shot('3-text-file-error')}`;
  });

  await check(`${v}: the page keeps working after an error`, async () => {
    await page.getByRole('button', { name: 'Random test digit' }).click();
    await page.locator('.prediction-digit').waitFor();
    const note = await testId(page, 'file-info').textContent();
    const label = Number(/labelled (\d)/.exec(note)?.[1]);
    const digit = Number((await testId(page, 'predicted-digit').textContent()).trim());
    if (await testId(page, 'error').count()) throw new Error('the error is still shown');
    return `random test digit labelled ${label}, predicted ${digit}`;
  });
}

// Number mode: a number written with the mouse on the wide canvas, then a photo of one.
async function numberSteps(t) {
  const { page, spec, v, shot, inputs } = t;
  const panel = () => page.getByRole('tabpanel', { name: 'Number' });

  await check(`${v}: Number mode: the wide canvas fits the screen with its buttons`, async () => {
    await selectTab(page, 'Number');
    const canvas = testId(page, 'number-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    const read = await panel().getByRole('button', { name: 'Read', exact: true }).boundingBox();
    const ratio = box.width / box.height;
    if (Math.abs(ratio - 3) > 0.05) throw new Error(`the canvas is ${box.width}×${box.height}, not about 3:1`);
    if (box.height < 100) throw new Error(`the canvas is only ${box.height} px tall`);
    if (box.x < 0 || box.x + box.width > spec.viewport.width) throw new Error(`the canvas (${box.x} + ${box.width} px) overflows the screen`);
    const needed = read.y + read.height - box.y;
    if (needed > spec.viewport.height) throw new Error(`the canvas and its Read button take ${needed} px; the screen is ${spec.viewport.height} px tall`);
    await canvas.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    return `${Math.round(box.width)}×${Math.round(box.height)} px; ${await shot('5-number-canvas', { fullPage: false })}`;
  });

  await check(`${v}: Number mode: write ${DRAWN_NUMBER} with the mouse → shows ${DRAWN_NUMBER} and a box over each digit`, async () => {
    const canvas = testId(page, 'number-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    const layout = { cx: box.width / 2, cy: box.height / 2, height: 0.66 * box.height };
    await drawStrokes(page, box, numberStrokes(DRAWN_NUMBER, layout));
    // No click on Read: the live reading must come by itself.
    const confidence = await waitForNumber(page, DRAWN_NUMBER);
    const boxes = checkBoxesOverDigits(await shownBoxes(page, DRAWN_NUMBER.length), drawnCharacters(DRAWN_NUMBER, layout, box));
    const tiles = await page.locator('[data-testid="digit-tiles"] canvas').count();
    if (tiles !== DRAWN_NUMBER.length) throw new Error(`${tiles} 28×28 images instead of ${DRAWN_NUMBER.length}`);
    return `${confidence}; ${boxes}; ${await shot('6-number-draw-2024')}`;
  });

  if (spec.name === 'desktop') {
    await check(`${v}: Number mode: Wrong? → the text read, corrected, consent, Send → kept; Delete it → gone`, async () => {
      const predicted = (await testId(page, 'number-text').textContent()).trim();
      const label = predicted === '2025' ? '2024' : '2025';
      const choose = async (panel) => {
        const field = panel.getByRole('textbox', { name: 'The right number' });
        const shown = await field.inputValue();
        if (shown !== predicted) throw new Error(`the field holds "${shown}", not the text read, "${predicted}"`);
        await field.fill(label);
      };
      return correctAndDelete(t, { route: '/read', kind: 'number', predicted, label, choose, shots: { open: '13-number-correction', kept: null } });
    });
  }

  // Clear, so that the next drawing is read alone.
  const clearCanvas = async () => {
    const clear = panel().getByRole('button', { name: 'Clear' });
    if (await clear.isEnabled()) await clear.click();
    await page.getByRole('img', { name: 'Drawing area, empty' }).waitFor();
  };

  await check(`${v}: Number mode: write ${DECIMAL} (the point a short dab) → the reading holds ${DECIMAL}, a box over each character`, async () => {
    await clearCanvas();
    const canvas = testId(page, 'number-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    const layout = { cx: box.width / 2, cy: box.height / 2, height: 0.66 * box.height };
    const answer = await drawAndRead(page, box, numberStrokes(DECIMAL, layout));
    const rows = await shownLines(page);
    if (!rows.some((row) => row.includes(DECIMAL))) throw new Error(`the server read ${JSON.stringify(answer.text)}: the page shows ${JSON.stringify(rows)}, no ${DECIMAL}`);
    const boxes = await readAs(answer, async () => checkBoxesOverDigits(await shownBoxes(page, DECIMAL.length, CHARACTER_BOXES), drawnCharacters(DECIMAL, layout, box)));
    const confidence = (await testId(page, 'number-confidence').textContent()).trim();
    await testId(page, 'number-text').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    return `read ${JSON.stringify(answer.text)}, ${confidence}; ${boxes}; ${await shot('6b-number-draw-decimal')}`;
  });

  await check(`${v}: Number mode: write ${TWO_LINES.join(' above ')} → two lines, one row each, the boxes in two rows`, async () => {
    await clearCanvas();
    const canvas = testId(page, 'number-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    const layouts = [0.27, 0.73].map((cy) => ({ cx: box.width / 2, cy: cy * box.height, height: 0.375 * box.height }));
    const answer = await drawAndRead(page, box, TWO_LINES.flatMap((text, i) => numberStrokes(text, layouts[i])));
    const rows = await shownLines(page);
    if (rows.length !== 2) throw new Error(`the server read ${JSON.stringify(answer.text)}: the page shows ${rows.length} line(s), ${JSON.stringify(rows)}`);
    const placed = await page.locator('[data-testid="number-line"]').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().top));
    if (!(placed[1] > placed[0])) throw new Error(`the second row is not below the first (tops ${placed.join(', ')})`);
    const expected = TWO_LINES.flatMap((text, i) => drawnCharacters(text, layouts[i], box));
    const count = TWO_LINES.join('').length;
    const boxes = await readAs(answer, async () => checkBoxesOverDigits(await shownBoxes(page, count, CHARACTER_BOXES), expected));
    const asDrawn = rows.join('\n') === TWO_LINES.join('\n') ? 'as drawn' : `drawn ${JSON.stringify(TWO_LINES.join('\n'))}`;
    await testId(page, 'number-text').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    return `read ${JSON.stringify(answer.text)} (${asDrawn}), rows ${JSON.stringify(rows)}; ${boxes}; ${await shot('6c-number-draw-two-lines')}`;
  });

  await check(`${v}: Number mode: upload a photo of ${PHOTO_NUMBER} → shows ${PHOTO_NUMBER} and a box over each digit; the canvas is emptied`, async () => {
    const { photo } = inputs;
    if (await page.getByRole('img', { name: 'Drawing area, empty' }).count()) throw new Error('the canvas is empty before the photo is chosen');
    await testId(page, 'number-file-input').setInputFiles({ name: 'number-photo.png', mimeType: 'image/png', buffer: photo.png });
    const confidence = await waitForNumber(page, PHOTO_NUMBER);
    const expected = photo.digits.map((d) => ({ cx: d.cx / photo.width, cy: d.cy / photo.height, w: d.w / photo.width, h: d.h / photo.height }));
    const boxes = checkBoxesOverDigits(await shownBoxes(page, PHOTO_NUMBER.length), expected);
    await page.getByRole('img', { name: 'Drawing area, empty' }).waitFor({ timeout: 2000 }).catch(() => {
      throw new Error('the old drawing stays on the canvas beside the photo');
    });
    if (await testId(page, 'number-turned').count()) throw new Error('the page says an upright photo was turned');
    return `${confidence}; ${boxes}; canvas empty; ${await shot('7-number-photo-3759')}`;
  });

  await check(`${v}: Number mode: a photo of ${DECIMAL} turned a quarter → the reading, a note that it was turned, boxes over the photo as shown`, async () => {
    const { turnedPhoto: photo } = inputs;
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/read' && r.request().method() === 'POST');
    await testId(page, 'number-file-input').setInputFiles({ name: 'turned-photo.png', mimeType: 'image/png', buffer: photo.png });
    const answer = await (await answered).json();
    const confidence = await waitForNumber(page, answer.text);
    if (!answer.text.includes(DECIMAL)) throw new Error(`the server read the turned photo as ${JSON.stringify(answer.text)}`);
    if (answer.orientation !== 270) throw new Error(`the server says it turned the photo ${answer.orientation}°, not 270° (a quarter anticlockwise)`);
    const note = (await testId(page, 'number-turned').textContent()).trim();
    if (note !== 'The picture was turned 90° anticlockwise to read it.') throw new Error(`the note says "${note}"`);
    const expected = photo.digits.map((d) => ({ cx: d.cx / photo.width, cy: d.cy / photo.height, w: d.w / photo.width, h: d.h / photo.height, mark: d.mark }));
    const boxes = checkBoxesOverDigits(await shownBoxes(page, DECIMAL.length, CHARACTER_BOXES), expected, { turned: true });
    return `read ${JSON.stringify(answer.text)}, ${confidence}, "${note}"; ${boxes}; ${await shot('7b-number-photo-turned')}`;
  });
}

// From the single digit: two digits drawn → the offer to read them as a number; a star → the server's verdict.
async function offerAndVerdictSteps({ page, v, shot, inputs }) {
  await check(`${v}: two digits drawn on the square canvas → an offer to read them as a number, which reads them`, async () => {
    await selectTab(page, 'Draw');
    const draw = page.getByRole('tabpanel', { name: 'Draw' });
    if (await draw.getByRole('button', { name: 'Clear' }).isEnabled()) await draw.getByRole('button', { name: 'Clear' }).click();
    const canvas = testId(page, 'draw-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    await drawStrokes(page, box, numberStrokes('12', { cx: box.width / 2, cy: box.height / 2, height: 0.4 * box.height, gap: 0.7 }));
    await testId(page, 'number-offer').waitFor();
    const offer = (await testId(page, 'number-offer').locator('p').textContent()).trim();
    await shot('8-number-offer');
    await page.getByRole('button', { name: 'Read it as a number' }).click();
    if ((await page.getByRole('tab', { name: 'Number' }).getAttribute('aria-selected')) !== 'true') throw new Error('Number mode did not open');
    await page.getByRole('img', { name: 'Drawing area with 2 strokes' }).waitFor();
    await waitForNumber(page, '12');
    return `"${offer}"; ${await shot('9-offer-read-12')}`;
  });

  await check(`${v}: a star → the page shows the server's verdict (not a digit, or the digit)`, async () => {
    await selectTab(page, 'Upload');
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/predict' && r.request().method() === 'POST');
    await testId(page, 'file-input').setInputFiles({ name: 'star.png', mimeType: 'image/png', buffer: inputs.star });
    await page.getByRole('tabpanel', { name: 'Upload' }).getByRole('button', { name: 'Predict' }).click();
    const body = await (await answer).json();
    if (body.is_digit === false) {
      await testId(page, 'not-a-digit').waitFor();
      const title = (await testId(page, 'not-a-digit').textContent()).trim();
      const wanted = body.reason === 'low_confidence' ? /^Not sure this is a digit$/ : /^This doesn.t look like a digit$/;
      if (!wanted.test(title)) throw new Error(`the server said ${body.reason}, the page says "${title}"`);
      const guess = (await testId(page, 'best-guess').textContent()).trim();
      if (!guess.startsWith(`best guess: ${body.predicted_digit},`)) throw new Error(`the best guess reads "${guess}"`);
      if (await testId(page, 'predicted-digit').count()) throw new Error('the big digit is shown too');
      const chart = await checkChart(page, body, guess.split(', ').at(-1));
      return `"${title}", ${guess}; ${chart}; ${await shot('10-not-a-digit')}`;
    }
    const confidence = await waitForDigit(page, body.predicted_digit);
    const chart = await checkChart(page, body, confidence.replace(/ confident$/, ''));
    return `the server calls it a digit (is_digit ${body.is_digit ?? 'not sent'}): the page shows ${body.predicted_digit}; ${chart}`;
  });
}

async function runViewport(browser, spec, ports, inputs, admin) {
  const context = await browser.newContext({
    viewport: spec.viewport,
    deviceScaleFactor: spec.deviceScaleFactor,
    isMobile: spec.isMobile,
    hasTouch: spec.hasTouch,
    reducedMotion: 'reduce', // no bar animation half-way through in the screenshots
  });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const problems = [];
  // Every request the page makes, to check that it stays on its own origin.
  const requested = [];
  page.on('request', (request) => requested.push(request.url()));
  // The latest /predict and /read requests: a correction must send the very image the answer was about.
  // Chromium shows a request's body only to an interception (a body of Blobs is not in the network events),
  // hence the route that lets every upload through unchanged.
  const lastSent = {};
  await page.route((url) => ['/predict', '/read', '/feedback'].includes(url.pathname), (route) => route.continue());
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (request.method() === 'POST' && (path === '/predict' || path === '/read')) lastSent[path] = request;
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    // A 4xx answer is logged by the browser as a failed resource; that is the error step working.
    if (msg.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) {
      problems.push(`console: ${text}`);
    }
  });
  const shot = async (step, { fullPage = true } = {}) => {
    const file = join(config.screenshots, `${spec.name}-${step}.png`);
    await page.screenshot({ path: file, fullPage });
    return file;
  };
  const v = spec.name;
  const t = { page, spec, v, shot, inputs, admin, lastSent };

  const origin = `http://127.0.0.1:${ports.ui}`;
  await check(`${v}: page loads and reaches the API on its own origin`, async () => {
    await page.goto(`${origin}/`);
    await page.getByRole('heading', { name: 'Handwritten Digit Recognizer' }).waitFor();
    await page.getByText('Model ready').waitFor();
    const touchAction = await testId(page, 'draw-canvas').evaluate((el) => getComputedStyle(el).touchAction);
    if (touchAction !== 'none') throw new Error(`the canvas has touch-action: ${touchAction}`);
    return `${(await page.title())}`;
  });

  if (spec.steps.includes('digit')) await singleDigitSteps(t);
  if (spec.steps.includes('number')) await numberSteps(t);
  if (spec.name === 'desktop') await offerAndVerdictSteps(t);

  await check(`${v}: every API call went to the page's own origin`, async () => {
    const predictions = requested.filter((url) => ['/predict', '/read'].includes(new URL(url).pathname));
    if (!predictions.length) throw new Error('the page made no /predict or /read request');
    const elsewhere = requested.filter((url) => url.startsWith('http') && new URL(url).origin !== origin);
    if (elsewhere.length) throw new Error(`requests off the page's origin: ${elsewhere.slice(0, 3).join(', ')}`);
    return `${predictions.length} predictions, ${requested.length} requests`;
  });

  if (spec.name === 'desktop') {
    await check(`${v}: ?api-port= still points the page at the API port`, async () => {
      const before = requested.length;
      await page.goto(`${origin}/?api-port=${ports.api}`);
      await page.getByText('Model ready').waitFor();
      const api = `http://127.0.0.1:${ports.api}`;
      if (!requested.slice(before).some((url) => url.startsWith(`${api}/`))) throw new Error(`no request to ${api}`);
      await selectTab(page, 'Upload');
      await testId(page, 'file-input').setInputFiles({ name: 'mnist-seven.png', mimeType: 'image/png', buffer: inputs.seven.png });
      await page.getByRole('tabpanel', { name: 'Upload' }).getByRole('button', { name: 'Predict' }).click();
      return await waitForDigit(page, 7);
    });

    await check(`${v}: a file over the upload limit is refused plainly`, async () => {
      await selectTab(page, 'Upload');
      const big = Buffer.alloc(11 * 1024 * 1024);
      await testId(page, 'file-input').setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: big });
      await page.getByRole('tabpanel', { name: 'Upload' }).getByRole('button', { name: 'Predict' }).click();
      await page.getByRole('alert').getByText('File too large').waitFor();
      return (await testId(page, 'error-message').textContent()).trim();
    });

    await check(`${v}: an unreachable server is reported plainly`, async () => {
      const quiet = problems.length;
      await page.goto(`http://127.0.0.1:${ports.ui}/?api-port=${ports.closed}`);
      await page.getByText('Server unreachable').waitFor();
      await selectTab(page, 'Upload');
      await testId(page, 'file-input').setInputFiles({ name: 'mnist-seven.png', mimeType: 'image/png', buffer: inputs.seven.png });
      await page.getByRole('tabpanel', { name: 'Upload' }).getByRole('button', { name: 'Predict' }).click();
      await page.getByRole('alert').getByText('Cannot reach the server').waitFor();
      problems.splice(quiet); // the refused connections are logged as console errors: expected here
      return await shot('4-server-unreachable');
    });
  }

  await check(`${v}: no script errors or Content-Security-Policy violations`, async () => {
    if (problems.length) throw new Error(problems.join(' | '));
  });
  await context.close();
}

// A server without --feedback-db keeps no corrections: its /model says so, and the page offers no "Wrong?".
async function withoutCorrections(browser, ports, inputs) {
  const server = startServer(ports.api, ports.ui);
  const context = await browser.newContext({ viewport: VIEWPORTS[0].viewport });
  try {
    await check('without --feedback-db: no "Wrong?" under the answer', async () => {
      await Promise.race([
        waitForHttp(`http://127.0.0.1:${ports.ui}/readyz`, (r) => r.status === 200, Date.now() + 30_000),
        server.exited.then(({ code, signal }) => {
          throw new Error(`digit-server exited (${signal || `status ${code}`}):\n${server.log()}`);
        }),
      ]);
      const page = await context.newPage();
      page.setDefaultTimeout(STEP_TIMEOUT_MS);
      await page.goto(`http://127.0.0.1:${ports.ui}/`);
      await page.getByText('Model ready').waitFor();
      await selectTab(page, 'Upload');
      await testId(page, 'file-input').setInputFiles({ name: 'mnist-seven.png', mimeType: 'image/png', buffer: inputs.seven.png });
      await page.getByRole('tabpanel', { name: 'Upload' }).getByRole('button', { name: 'Predict' }).click();
      await waitForDigit(page, 7);
      if (await page.getByRole('button', { name: 'Wrong?' }).count()) throw new Error('the page offers "Wrong?" though the server keeps no corrections');
      const footer = (await page.locator('footer').textContent()).trim();
      if (!footer.endsWith('Images are not stored.')) throw new Error(`the footer says "${footer}"`);
      return `the answer 7, no "Wrong?"; "${footer.split('. ').at(-1)}"`;
    });
  } finally {
    await context.close();
    server.kill('SIGTERM');
    await Promise.race([server.exited, sleep(5000)]);
    server.kill('SIGKILL');
  }
}

async function main() {
  for (const [what, path] of [
    ['digit-server', config.server],
    ['model', config.model],
    ['MNIST test images', join(config.mnist, 't10k-images-idx3-ubyte')],
    ['MNIST test labels', join(config.mnist, 't10k-labels-idx1-ubyte')],
    ['built UI (npm run build)', join(config.uiDir, 'index.html')],
    ['chromium', config.chromium],
  ]) {
    if (!existsSync(path)) fail(`${what} not found at ${path}`);
  }
  mkdirSync(config.screenshots, { recursive: true });

  const inputs = {
    seven: mnistPng(7),
    text: Buffer.from('These are notes, not an image.\n'),
    photo: photoOfNumber(PHOTO_NUMBER),
    turnedPhoto: photoOfNumber(DECIMAL, { turn: 90 }),
    star: starPng(),
  };
  // Three different ports: the kernel may hand out a port it just handed out, and a "closed" port equal to
  // the API's would make the unreachable-server check reach the server.
  const ports = { api: await freePort(), ui: await freePort(), closed: await freePort() };
  while (ports.ui === ports.api) ports.ui = await freePort();
  while (ports.closed === ports.api || ports.closed === ports.ui) ports.closed = await freePort();
  console.log(`e2e: digit-server on API port ${ports.api}, UI port ${ports.ui}; MNIST test digit #${inputs.seven.index} as the 7`);

  // Corrections go to a SQLite file of this run; the operator's token lets the test list them.
  const feedbackDir = mkdtempSync(join(tmpdir(), 'digit-e2e-feedback-'));
  const admin = { api: `http://127.0.0.1:${ports.api}`, token: randomBytes(16).toString('hex') };
  writeFileSync(join(feedbackDir, 'admin-token'), `${admin.token}\n`, { mode: 0o600 });
  const server = startServer(ports.api, ports.ui, [
    '--feedback-db', `sqlite:${join(feedbackDir, 'feedback.sqlite')}`,
    '--admin-token-file', join(feedbackDir, 'admin-token'),
  ]);
  const profile = mkdtempSync(join(tmpdir(), 'digit-e2e-chromium-'));
  let browser = null;
  const watchdog = setTimeout(() => {
    console.error('e2e: timed out after 240 s');
    for (const child of servers) child.kill('SIGKILL');
    process.exit(1);
  }, 240_000);
  try {
    const deadline = Date.now() + 60_000;
    const died = server.exited.then(({ code, signal }) => {
      throw new Error(`digit-server exited (${signal || `status ${code}`}) before it was ready:\n${server.log()}`);
    });
    await Promise.race([
      Promise.all([
        waitForHttp(`http://127.0.0.1:${ports.api}/readyz`, (r) => r.status === 200, deadline),
        waitForHttp(`http://127.0.0.1:${ports.ui}/`, (r) => r.ok, deadline),
      ]),
      died,
    ]);
    died.catch(() => {});

    // What the server says about a text file: the page must show exactly this.
    const form = new FormData();
    form.append('file', new Blob([inputs.text], { type: 'text/plain' }), 'notes.txt');
    const answer = await fetch(`http://127.0.0.1:${ports.api}/predict`, { method: 'POST', body: form });
    inputs.textError = await answer.json();
    if (answer.ok || !inputs.textError.error) fail(`the server accepted a text file: ${JSON.stringify(inputs.textError)}`);

    browser = await chromium.launch({
      executablePath: config.chromium,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
      env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: profile, XDG_CACHE_HOME: profile },
    });
    for (const spec of VIEWPORTS) await runViewport(browser, spec, ports, inputs, admin);
    const plain = { api: await freePort(), ui: await freePort() };
    while (plain.ui === plain.api) plain.ui = await freePort();
    await withoutCorrections(browser, plain, inputs);
  } catch (err) {
    record('setup', false, err.message);
  } finally {
    clearTimeout(watchdog);
    await browser?.close().catch(() => {});
    server.kill('SIGTERM');
    const stopped = await Promise.race([server.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!stopped) server.kill('SIGKILL');
    rmSync(profile, { recursive: true, force: true });
    rmSync(feedbackDir, { recursive: true, force: true });
  }

  const failed = results.filter((r) => !r.ok);
  console.log(`\nScreenshots: ${config.screenshots}`);
  if (failed.length) {
    console.log('\nFailed:');
    for (const r of failed) console.log(`  ${r.name}: ${r.detail}`);
    console.log('\ndigit-server log (last lines):\n' + server.log().split('\n').slice(-30).join('\n'));
  }
  console.log(`\ne2e: ${results.length - failed.length} passed, ${failed.length} failed`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((err) => fail(err.stack || err.message));
