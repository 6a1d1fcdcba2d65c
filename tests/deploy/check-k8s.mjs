#!/usr/bin/env node
// Offline checks of the Kubernetes manifests in deploy/k8s (no cluster, no container engine):
//
//   node tests/deploy/check-k8s.mjs --server build/bin/digit-server [--model models/digitnet.cnn]
//                                   [--root REPO] [--no-kubectl]
//
// 1. Render the kustomization: `kubectl kustomize` where kubectl exists, and always this script's own
//    resolver (resources + images), which must give the same documents.
// 2. Validate every document against the Kubernetes schemas (kubernetes-models), unknown fields included:
//    kubectl's strict field validation refuses those, the models' own validate() lets them through.
// 3. Check our own rules: selectors select the pod template; Service targetPorts and probe ports name
//    container ports that the server listens on; the HPA and the PDB point at the Deployment; every
//    container has CPU and memory requests and limits; --threads equals the CPU request; the container is
//    locked down (non-root as the image's user, read-only root filesystem, no privilege escalation, no
//    capabilities, seccomp RuntimeDefault).
// 4. Start the real digit-server the way the container does (the image's scripts/docker-entrypoint.sh with
//    the manifest's args and env, on free loopback ports) and GET every probe path on the port the probe
//    names: each must answer 200 with the API's JSON. Under strace (where it works), the server must open
//    no file for writing, since its root filesystem is read-only.
// 5. Prove that the checks bite: apply mutations to the documents in memory (a wrong selector, a probe path
//    the server lacks, a missing request, a wrong HPA target, a schema-invalid field, ...) and require each
//    to be caught by the check meant for it.
//
// Prints one line per check and ends with "deploy-k8s: N passed, N failed"; exit status 0 only if all pass.
// The npm modules come from tests/deploy/package-lock.json (`scripts/setup.sh test` runs `npm ci`).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: {
    server: { type: 'string' },
    model: { type: 'string' },
    root: { type: 'string' },
    'no-kubectl': { type: 'boolean', default: false },
  },
});
const root = resolve(options.root || join(here, '../..'));
const config = {
  root,
  manifests: join(root, 'deploy/k8s'),
  dockerfile: join(root, 'Dockerfile'),
  entrypoint: join(root, 'scripts/docker-entrypoint.sh'),
  server: resolve(options.server || process.env.DIGIT_SERVER || join(root, 'build/bin/digit-server')),
  model: resolve(options.model || process.env.DIGIT_MODEL || join(root, 'models/digitnet.cnn')),
  useKubectl: !options['no-kubectl'],
};
const SERVER_START_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 3_000;

let YAML;
try {
  YAML = await import('yaml');
  await import('kubernetes-models/apps/v1');
} catch (error) {
  console.error(`check-k8s: the npm modules are missing (${error.message.split('\n')[0]});`);
  console.error('run `scripts/setup.sh test` (or `npm ci` in tests/deploy)');
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
function note(text) {
  console.log(`note  ${text}`);
}

// ---- Rendering the kustomization -----------------------------------------------------------------------

function parseYamlDocuments(text, source) {
  return YAML.parseAllDocuments(text).map((document) => {
    if (document.errors.length) throw new Error(`${source}: ${document.errors[0].message}`);
    return document.toJS();
  }).filter((value) => value !== null);
}

// An image reference as kustomize splits it: name, then ":tag" and/or "@digest".
function splitImage(image) {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  return { name: tagged ? rest.slice(0, colon) : rest, tag: tagged ? rest.slice(colon + 1) : undefined, digest };
}

function podSpecsOf(document) {
  if (document.kind === 'Pod') return [document.spec];
  const template = document.spec?.template?.spec ?? document.spec?.jobTemplate?.spec?.template?.spec;
  return template ? [template] : [];
}

// The kustomization features this repository uses: `resources` (files or folders with their own
// kustomization) and `images`. Anything else is refused rather than silently ignored.
const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'resources', 'images']);
function resolveKustomization(dir) {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization']
    .map((name) => join(dir, name))
    .find(existsSync);
  if (!file) throw new Error(`${dir} has no kustomization.yaml`);
  const kustomization = YAML.parse(readFileSync(file, 'utf8')) ?? {};
  for (const key of Object.keys(kustomization)) {
    if (!KUSTOMIZATION_KEYS.has(key)) {
      throw new Error(`${file} uses "${key}", which this script cannot resolve (kubectl kustomize can)`);
    }
  }
  const documents = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(dir, resource);
    if (!existsSync(path)) throw new Error(`${file}: resource ${resource} does not exist`);
    if (statSync(path).isDirectory()) documents.push(...resolveKustomization(path));
    else documents.push(...parseYamlDocuments(readFileSync(path, 'utf8'), path));
  }
  for (const entry of kustomization.images ?? []) {
    for (const document of documents) {
      for (const pod of podSpecsOf(document)) {
        for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
          const image = splitImage(container.image ?? '');
          if (image.name !== entry.name) continue;
          const tag = entry.newTag ?? image.tag;
          const digest = entry.digest ?? (entry.newTag ? undefined : image.digest);
          container.image =
            (entry.newName ?? image.name) + (tag && !digest ? `:${tag}` : '') + (digest ? `@${digest}` : '');
        }
      }
    }
  }
  return documents;
}

function kubectlAvailable() {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

// A document's identity and a form that compares equal whatever the key order.
const identity = (document) => `${document.apiVersion} ${document.kind} ${document.metadata?.name}`;
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]));
  }
  return value;
}
// The identities of the documents that differ between two renderings (or are in one only).
function differingDocuments(left, right) {
  const index = (documents) => new Map(documents.map((d) => [identity(d), JSON.stringify(canonical(d))]));
  const a = index(left);
  const b = index(right);
  return [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key));
}

// ---- What the image says (Dockerfile) ----------------------------------------------------------------

function imageFacts() {
  const text = readFileSync(config.dockerfile, 'utf8').replace(/\\\n/g, ' ');
  const runtime = text.slice(text.search(/^FROM .* AS runtime\s*$/m));
  const env = {};
  for (const line of runtime.split('\n').filter((l) => /^ENV\s/.test(l))) {
    for (const [, key, value] of line.slice(4).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) {
      env[key] = value.replace(/^"|"$/g, '');
    }
  }
  const users = [...runtime.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1].split(':')[0]);
  const user = users.at(-1);
  let uid = /^\d+$/.test(user ?? '') ? Number(user) : undefined;
  if (uid === undefined && user) {
    const made = runtime.match(new RegExp(`useradd[^\\n]*--uid\\s+(\\d+)[^\\n]*\\s${user}(\\s|$)`, 'm'));
    if (made) uid = Number(made[1]);
  }
  const exposed = [...runtime.matchAll(/^EXPOSE\s+(.+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/)).map(Number);
  return { env, user, uid, exposed };
}

// ---- Kubernetes schemas ------------------------------------------------------------------------------

const modelCache = new Map();
async function modelFor(apiVersion, kind) {
  const key = `${apiVersion} ${kind}`;
  if (!modelCache.has(key)) {
    const module = `kubernetes-models/${apiVersion}`; // core v1 is kubernetes-models/v1
    let model;
    try {
      model = (await import(module))[kind];
    } catch {
      model = undefined;
    }
    modelCache.set(key, model);
  }
  return modelCache.get(key);
}

// The schema validator reads every property its schema declares (and every entry of a map such as labels).
// A document property it never reads is unknown to the schema: a misspelt field, which kubectl's strict
// field validation refuses and the models' validate() alone would let through.
function trackReads(value, path, read) {
  if (value === null || typeof value !== 'object') return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(target, key)) {
        read.add(`${path}/${key}`);
        return trackReads(target[key], `${path}/${key}`, read);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}
function unknownFields(value, path, read, out = []) {
  if (value === null || typeof value !== 'object') return out;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}/${key}`;
    if (!read.has(childPath)) out.push(childPath);
    else unknownFields(child, childPath, read, out);
  }
  return out;
}

async function schemaProblems(document) {
  const where = identity(document);
  const Model = await modelFor(String(document.apiVersion), String(document.kind));
  if (!Model) return [`${where}: no Kubernetes schema for this apiVersion and kind`];
  const read = new Set();
  try {
    Model.prototype.validate.call(trackReads(document, '', read));
  } catch (error) {
    return [`${where}: ${error.message.split('\n')[0].slice(0, 300)}`];
  }
  const unknown = unknownFields(document, '', read);
  if (unknown.length) return [`${where}: field(s) not in the schema: ${unknown.join(', ')}`];
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(document.metadata?.name ?? '')) {
    return [`${where}: metadata.name must be a DNS label`];
  }
  return [];
}

// ---- Quantities, selectors, ports --------------------------------------------------------------------

function cpuCores(quantity) {
  const text = String(quantity);
  const match = text.match(/^([0-9.]+)(m?)$/);
  if (!match) return NaN;
  return Number(match[1]) / (match[2] ? 1000 : 1);
}
const BYTE_SUFFIXES = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
function byteCount(quantity) {
  const match = String(quantity).match(/^([0-9.]+)(e[0-9]+|[kMGTPE]|[KMGTPE]i)?$/);
  if (!match) return NaN;
  const suffix = match[2] ?? '';
  if (suffix.startsWith('e')) return Number(match[1]) * 10 ** Number(suffix.slice(1));
  return Number(match[1]) * BYTE_SUFFIXES[suffix];
}

// A Kubernetes LabelSelector (matchLabels and matchExpressions) against a set of labels.
function selects(selector, labels = {}) {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return key in labels && values.includes(labels[key]);
      case 'NotIn': return !(key in labels) || !values.includes(labels[key]);
      case 'Exists': return key in labels;
      case 'DoesNotExist': return !(key in labels);
      default: return false;
    }
  });
  return byLabel && byExpression;
}
const selectorIsEmpty = (selector) =>
  !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);

// What a container's ports mean to digit-server: the image's entry point passes $API_PORT as --port and
// $UI_PORT as --ui-port (the manifest's env overrides the Dockerfile's ENV).
function serverPorts(container, image) {
  const env = { ...image.env };
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = String(variable.value);
  }
  const roles = new Map();
  if (env.API_PORT !== undefined) roles.set(Number(env.API_PORT), 'api');
  if (env.UI_PORT !== undefined && Number(env.UI_PORT) > 0) roles.set(Number(env.UI_PORT), 'ui');
  return { env, roles };
}
// A port as a probe or a Service's targetPort names it (a number, or a container port's name) → a number.
function containerPortNumber(container, port) {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(String(port))) return Number(port);
  return (container.ports ?? []).find((p) => p.name === port)?.containerPort;
}

// digit-server's arguments after the entry point's own command word (`serve`).
function flagValues(args, flag) {
  const values = [];
  args.forEach((arg, i) => {
    if (arg === flag) values.push(args[i + 1]);
    else if (arg.startsWith(`${flag}=`)) values.push(arg.slice(flag.length + 1));
  });
  return values;
}

// ---- The live server ---------------------------------------------------------------------------------

// Servers started as the container starts them, one per distinct (args, env, traced); all stopped at the end.
const servers = new Map();
const scratch = mkdtempSync(join(tmpdir(), 'check-k8s-'));
let traceAvailable = null;

function straceWorks() {
  if (traceAvailable === null) {
    try {
      execFileSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { stdio: 'ignore', timeout: 10_000 });
      traceAvailable = true;
    } catch {
      traceAvailable = false;
    }
  }
  return traceAvailable;
}

// Runs the image's entry point with the container's args and env, as the container would, but on free
// loopback-reachable ports, with the repository's model and the built digit-server first on PATH. Resolves
// to { ports: { api, ui } } once the server says where it listens, or to { error }.
async function startServer(container, image, { trace = false } = {}) {
  const args = (container.args ?? []).map(String);
  const { env } = serverPorts(container, image);
  const key = JSON.stringify({ args, env, trace });
  if (servers.has(key)) return servers.get(key);
  const childEnv = {
    ...process.env,
    ...env,
    PATH: `${dirname(config.server)}:${process.env.PATH}`,
    MODEL: config.model,
    // Free ports instead of the manifest's: the manifest's numbers map onto these by role (api, ui).
    API_PORT: '0',
    UI_PORT: Number(env.UI_PORT) > 0 ? '0' : String(env.UI_PORT ?? '-1'),
    FETCH_MNIST: 'false', // never fetch MNIST and train here
  };
  const traceLog = trace ? join(scratch, `strace-${servers.size}.log`) : undefined;
  const [program, programArgs] = trace
    ? ['strace', ['-f', '-qq', '-o', traceLog, '-e', 'trace=%file', 'sh', config.entrypoint, ...args]]
    : ['sh', [config.entrypoint, ...args]];
  // A process group of its own, so that stopping it reaches the server under strace too.
  const child = spawn(program, programArgs, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const server = { child, traceLog };
  servers.set(key, server);
  Object.assign(server, await new Promise((resolvePromise) => {
    let stderr = '';
    const lastLines = () => stderr.trim().split('\n').slice(-2).join(' / ');
    const timer = setTimeout(
      () => resolvePromise({ error: `no "API on" line within ${SERVER_START_TIMEOUT_MS} ms: ${lastLines()}` }),
      SERVER_START_TIMEOUT_MS,
    );
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      // "... API on http://HOST:PORT, UI on http://HOST:PORT", written in pieces: wait for the whole line.
      const line = stderr.match(/API on http:\/\/[^\s:]+:(\d+)(?:, UI on http:\/\/[^\s:]+:(\d+))?\n/);
      if (line) {
        clearTimeout(timer);
        resolvePromise({ ports: { api: Number(line[1]), ui: line[2] ? Number(line[2]) : undefined } });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ error: `the server exited with status ${code} at start: ${lastLines()}` });
    });
  }));
  return server;
}

const running = (child) => child.exitCode === null && child.signalCode === null;
function signal(child, name) {
  try {
    process.kill(-child.pid, name);
  } catch {} // already gone
}
// SIGTERM (the server stops in order), SIGKILL after 3 s.
async function stop(child) {
  if (!running(child)) return;
  const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
  signal(child, 'SIGTERM');
  const timer = setTimeout(() => signal(child, 'SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
const stopAll = () => Promise.all([...servers.values()].map((server) => stop(server.child)));
for (const name of ['SIGINT', 'SIGTERM']) {
  process.on(name, () => {
    for (const server of servers.values()) if (running(server.child)) signal(server.child, 'SIGTERM');
    process.exit(1);
  });
}

function httpExchange(port, path, { method = 'GET', body, headers = {} } = {}) {
  return new Promise((resolvePromise) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () =>
        resolvePromise({ status: res.statusCode, type: res.headers['content-type'] ?? '', body: text }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolvePromise({ status: 0, type: '', body: error.message }));
    req.end(body);
  });
}

// A 28×28 PNG of a vertical stroke, for one /predict while the server is traced.
function strokePng() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (bytes) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'ascii');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const raw = Buffer.alloc(28 * 29, 255);
  for (let y = 0; y < 28; y++) {
    raw[y * 29] = 0;
    if (y >= 4 && y < 24) for (let x = 13; x < 16; x++) raw[y * 29 + 1 + x] = 0;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(28, 0);
  header.writeUInt32BE(28, 4);
  header.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// Files a traced process opened for writing, or created, renamed or removed (outside /dev, /proc, /sys,
// which a read-only root filesystem does not cover).
const CHANGING_CALLS = new Set(['creat', 'mkdir', 'mkdirat', 'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat',
  'rmdir', 'link', 'linkat', 'symlink', 'symlinkat', 'truncate', 'mknod', 'mknodat', 'chmod', 'fchmodat', 'chown',
  'fchownat', 'lchown', 'utimensat']);
function writesInTrace(log) {
  const writes = [];
  for (const line of log.split('\n')) {
    const call = line.match(/^\d+\s+(\w+)\((.*)$/);
    if (!call) continue;
    const [, name, rest] = call;
    const path = rest.match(/"([^"]*)"/)?.[1] ?? '';
    if (/^\/(dev|proc|sys)\//.test(path)) continue;
    const writing = /^(open|openat|openat2)$/.test(name)
      ? /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(rest)
      : CHANGING_CALLS.has(name);
    if (writing) writes.push(`${name} ${path}`);
  }
  return writes;
}

// ---- The rules ---------------------------------------------------------------------------------------

// The paths each probe may ask: liveness only whether the process runs, readiness whether the model is in.
const PROBE_PATHS = { startupProbe: ['/readyz', '/healthz'], readinessProbe: ['/readyz'], livenessProbe: ['/healthz'] };

// Each rule: an id (mutations name the rule that must catch them), what it promises, and the check, which
// reports through fail(message). Rules about the pods run only where kinds found one Deployment with a
// container; the kinds rule reports it otherwise.
const json = (value) => JSON.stringify(value);
const RULES = [
  {
    id: 'schema',
    promise: 'every document is valid against the Kubernetes schemas, with no unknown fields',
    async check({ documents }, fail) {
      for (const document of documents) for (const message of await schemaProblems(document)) fail(message);
    },
  },
  {
    id: 'kinds',
    promise: 'one Deployment, a Service, an autoscaling/v2 HPA and a policy/v1 PDB, in one namespace',
    check({ documents, deployments, services, hpas, pdbs }, fail) {
      if (deployments.length !== 1) fail(`${deployments.length} apps/v1 Deployments (want 1)`);
      if (!deployments[0]?.spec?.template?.spec?.containers?.length) fail('the Deployment has no container');
      if (services.length < 1) fail('no v1 Service');
      if (hpas.length < 1) fail('no autoscaling/v2 HorizontalPodAutoscaler');
      if (pdbs.length < 1) fail('no policy/v1 PodDisruptionBudget');
      const namespaces = new Set(documents.map((d) => d.metadata?.namespace ?? ''));
      if (namespaces.size > 1) fail(`documents in several namespaces: ${[...namespaces].join(', ')}`);
    },
  },
  {
    id: 'deployment-selector',
    promise: "the Deployment's selector selects its pod template",
    pods: true,
    check({ deployment, podLabels }, fail) {
      const selector = deployment.spec?.selector;
      if (selectorIsEmpty(selector) || !selects(selector, podLabels)) {
        fail(`selector ${json(selector)} does not select the pod labels ${json(podLabels)}`);
      }
    },
  },
  {
    id: 'no-replicas',
    promise: 'the Deployment leaves spec.replicas to the HPA',
    pods: true,
    check({ deployment }, fail) {
      const { replicas } = deployment.spec ?? {};
      if (replicas !== undefined) fail(`spec.replicas is ${replicas}: every kubectl apply would reset the HPA's count`);
    },
  },
  {
    id: 'container-ports',
    promise: 'every container port is one digit-server listens on, and both of its ports are declared',
    pods: true,
    check({ server, roles, declared, image }, fail) {
      for (const port of server.ports ?? []) {
        if (!roles.has(port.containerPort)) {
          const listening = [...roles.keys()].join(' and ');
          fail(`container port ${port.containerPort} (${port.name}): digit-server listens on ${listening}`);
        }
        if ((port.protocol ?? 'TCP') !== 'TCP') {
          fail(`container port ${port.containerPort} is ${port.protocol}, not TCP`);
        }
      }
      for (const [number, role] of roles) {
        if (!declared.has(number)) fail(`the ${role} port ${number} is not among the container's ports`);
        if (!image.exposed.includes(number)) fail(`the ${role} port ${number} is not EXPOSEd by the Dockerfile`);
      }
    },
  },
  {
    id: 'entrypoint',
    promise: "the container runs the image's entry point (args start with `serve`, no command)",
    pods: true,
    check({ server, args }, fail) {
      if (server.command) fail(`command ${json(server.command)} replaces the image's entry point`);
      if (args[0] !== 'serve') fail(`args start with ${json(args[0])}, not "serve"`);
    },
  },
  {
    id: 'service-selector',
    promise: "the Service's selector selects the Deployment's pods",
    pods: true,
    check({ services, podLabels }, fail) {
      for (const service of services) {
        const selector = service.spec?.selector ?? {};
        if (Object.keys(selector).length === 0 || !selects({ matchLabels: selector }, podLabels)) {
          const where = `Service ${service.metadata?.name}`;
          fail(`${where}: selector ${json(selector)} does not select the pods (${json(podLabels)})`);
        }
      }
    },
  },
  {
    id: 'service-ports',
    promise: 'the Service exposes the API on 5001 and the UI on 3000, targetPorts naming container ports',
    pods: true,
    check({ services, server, roles, declared }, fail) {
      for (const service of services) {
        const where = `Service ${service.metadata?.name}`;
        const exposed = new Map();
        for (const port of service.spec?.ports ?? []) {
          const target = port.targetPort ?? port.port;
          const number = containerPortNumber(server, target);
          if (number === undefined || !declared.has(number)) {
            fail(`${where}: port ${port.port} targets ${json(target)}, which is no container port`);
          } else if (roles.has(number)) {
            exposed.set(roles.get(number), port.port);
          }
        }
        // The page calls the API on port 5001 of the host it came from; the README promises 3000 for the UI.
        for (const [role, wanted] of [['api', 5001], ['ui', 3000]]) {
          if (exposed.get(role) !== wanted) {
            fail(`${where}: the ${role} is on ${exposed.get(role) ?? 'no port'}, not ${wanted}`);
          }
        }
      }
    },
  },
  {
    id: 'probes',
    promise: 'startup, readiness (/readyz) and liveness (/healthz) probes: HTTP GETs on the API port',
    pods: true,
    check({ server, roles }, fail) {
      for (const [kind, paths] of Object.entries(PROBE_PATHS)) {
        const probe = server[kind];
        if (!probe?.httpGet) {
          fail(probe ? `${kind} is not an HTTP GET` : `no ${kind}`);
          continue;
        }
        const { path = '/', port, scheme = 'HTTP' } = probe.httpGet;
        if (!paths.includes(path)) fail(`${kind} asks ${path}, not ${paths.join(' or ')}`);
        if (scheme !== 'HTTP') fail(`${kind} uses ${scheme}; the server speaks plain HTTP`);
        const role = roles.get(containerPortNumber(server, port));
        if (role !== 'api') fail(`${kind} asks port ${json(port)} (${role ?? 'not a server port'}), not the API port`);
      }
    },
  },
  {
    id: 'probes-live',
    promise: 'the server, started as the container starts it, answers every probe with 200 and JSON',
    pods: true,
    async check({ server, roles, image }, fail) {
      const live = await startServer(server, image);
      if (live.error) return fail(live.error);
      for (const kind of Object.keys(PROBE_PATHS)) {
        if (!server[kind]?.httpGet) continue;
        const { path = '/', port } = server[kind].httpGet;
        const role = roles.get(containerPortNumber(server, port));
        if (!role || !live.ports[role]) {
          fail(`${kind}: the server listens on no port ${json(port)}`);
          continue;
        }
        // 200 with the API's JSON: the UI port answers app routes with the page, and that is no health check.
        const answer = await httpExchange(live.ports[role], path);
        let body = null;
        try {
          body = JSON.parse(answer.body);
        } catch {}
        if (answer.status !== 200 || !answer.type.startsWith('application/json') || body?.status === undefined) {
          const excerpt = answer.body.slice(0, 80).replace(/\s+/g, ' ');
          fail(`${kind}: GET ${path} on the ${role} port answered ${answer.status} ${answer.type} ${excerpt}`);
        }
      }
    },
  },
  {
    id: 'resources',
    promise: 'every container has CPU and memory requests and limits, limits not below requests',
    pods: true,
    check({ allContainers }, fail) {
      for (const container of allContainers) {
        const { requests = {}, limits = {} } = container.resources ?? {};
        for (const [resource, parse] of [['cpu', cpuCores], ['memory', byteCount]]) {
          const where = `${container.name}: ${resource}`;
          if (requests[resource] === undefined) fail(`${where}: no request`);
          else if (!(parse(requests[resource]) > 0)) fail(`${where}: request ${requests[resource]} is not positive`);
          if (limits[resource] === undefined) fail(`${where}: no limit`);
          else if (parse(limits[resource]) < parse(requests[resource] ?? 0)) {
            fail(`${where}: limit ${limits[resource]} is below the request ${requests[resource]}`);
          }
        }
      }
    },
  },
  {
    id: 'threads',
    promise: '--threads equals the CPU request (rounded up, at least 1)',
    pods: true,
    check({ server, args }, fail) {
      const request = server.resources?.requests?.cpu;
      const cores = cpuCores(request ?? NaN);
      const threads = flagValues(args, '--threads');
      if (threads.length !== 1) fail(`--threads is given ${threads.length} times (want once, as the CPU request)`);
      else if (!Number.isFinite(cores)) fail('no CPU request to set --threads from');
      else if (Number(threads[0]) !== Math.max(1, Math.ceil(cores))) {
        fail(`--threads ${threads[0]}, but the CPU request ${request} means ${Math.max(1, Math.ceil(cores))}`);
      }
    },
  },
  {
    id: 'security',
    promise:
      'non-root as the image user, read-only root fs, no privilege escalation, no capabilities, seccomp RuntimeDefault',
    pods: true,
    check({ podSpec, allContainers, image }, fail) {
      for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) if (podSpec[flag]) fail(`the pod sets ${flag}`);
      for (const container of allContainers) {
        const own = container.securityContext ?? {};
        const effective = (key) => own[key] ?? podSpec.securityContext?.[key]; // the container's setting wins
        const where = container.name;
        const uid = effective('runAsUser');
        if (effective('runAsNonRoot') !== true) fail(`${where}: runAsNonRoot is not true`);
        if (uid === undefined || uid === 0) {
          const imageUser = `the image's user ${image.user} is ${image.uid}`;
          fail(`${where}: runAsUser ${uid ?? 'unset'} (the kubelet checks non-root only for a numeric user; ${imageUser})`);
        } else if (image.uid !== undefined && uid !== image.uid) {
          fail(`${where}: runAsUser ${uid}, but the image's user ${image.user}, who owns /app/models, is ${image.uid}`);
        }
        if (own.readOnlyRootFilesystem !== true) fail(`${where}: readOnlyRootFilesystem is not true`);
        if (own.allowPrivilegeEscalation !== false) fail(`${where}: allowPrivilegeEscalation is not false`);
        if (own.privileged === true) fail(`${where}: privileged`);
        if (!(own.capabilities?.drop ?? []).includes('ALL')) fail(`${where}: capabilities.drop lacks ALL`);
        const added = own.capabilities?.add ?? [];
        if (added.length) fail(`${where}: adds capabilities ${added.join(', ')}`);
        const seccomp = effective('seccompProfile')?.type;
        if (seccomp !== 'RuntimeDefault') fail(`${where}: seccompProfile is ${seccomp ?? 'unset'}, not RuntimeDefault`);
      }
    },
  },
  {
    id: 'hpa',
    promise: 'the HPA scales the Deployment on CPU utilisation, from at least 2 replicas',
    pods: true,
    check({ hpas, deployment }, fail) {
      const name = deployment.metadata?.name;
      for (const hpa of hpas) {
        const where = `HPA ${hpa.metadata?.name}`;
        const { apiVersion, kind, name: targetName } = hpa.spec?.scaleTargetRef ?? {};
        if (apiVersion !== 'apps/v1' || kind !== 'Deployment' || targetName !== name) {
          fail(`${where}: scaleTargetRef ${apiVersion} ${kind} ${targetName}, not apps/v1 Deployment ${name}`);
        }
        const cpu = (hpa.spec?.metrics ?? []).find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
        const { type, averageUtilization } = cpu?.resource?.target ?? {};
        if (type !== 'Utilization' || !(averageUtilization > 0 && averageUtilization <= 100)) {
          fail(`${where}: no CPU Utilization target between 1 and 100%`);
        }
        const min = hpa.spec?.minReplicas ?? 1;
        if (min < 2) fail(`${where}: minReplicas ${min}; with one replica a drain or a restart leaves no pod serving`);
        const max = hpa.spec?.maxReplicas;
        if (!(max >= min)) fail(`${where}: maxReplicas ${max} is below minReplicas ${min}`);
      }
    },
  },
  {
    id: 'pdb',
    promise: "the PDB selects the Deployment's pods and allows one disruption at a time",
    pods: true,
    check({ pdbs, hpas, podLabels }, fail) {
      const minReplicas = Math.min(...hpas.map((h) => h.spec?.minReplicas ?? 1));
      for (const pdb of pdbs) {
        const where = `PDB ${pdb.metadata?.name}`;
        const { selector, minAvailable, maxUnavailable } = pdb.spec ?? {};
        if (selectorIsEmpty(selector) || !selects(selector, podLabels)) {
          fail(`${where}: selector ${json(selector)} does not select the Deployment's pods (${json(podLabels)})`);
        }
        if (minAvailable === undefined && maxUnavailable === undefined) {
          fail(`${where}: neither minAvailable nor maxUnavailable`);
        }
        if (maxUnavailable === 0 || maxUnavailable === '0%') fail(`${where}: maxUnavailable 0 blocks every drain`);
        if (typeof minAvailable === 'number' && minAvailable >= minReplicas) {
          fail(`${where}: minAvailable ${minAvailable} of ${minReplicas} replicas blocks every drain`);
        }
      }
    },
  },
];

// Runs every rule on a set of documents → { rule id: [problems] }.
async function checkManifests(documents, image) {
  const ofKind = (apiVersion, kind) => documents.filter((d) => d.apiVersion === apiVersion && d.kind === kind);
  const deployments = ofKind('apps/v1', 'Deployment');
  const deployment = deployments[0];
  const podSpec = deployment?.spec?.template?.spec ?? {};
  const server = podSpec.containers?.[0]; // the container that runs the image's entry point
  const context = {
    documents,
    image,
    deployments,
    services: ofKind('v1', 'Service'),
    hpas: ofKind('autoscaling/v2', 'HorizontalPodAutoscaler'),
    pdbs: ofKind('policy/v1', 'PodDisruptionBudget'),
    deployment,
    podSpec,
    podLabels: deployment?.spec?.template?.metadata?.labels ?? {},
    allContainers: [...(podSpec.initContainers ?? []), ...(podSpec.containers ?? [])],
    server,
    args: (server?.args ?? []).map(String),
    roles: server ? serverPorts(server, image).roles : new Map(),
    declared: new Map((server?.ports ?? []).map((p) => [p.containerPort, p])),
  };
  const problems = {};
  for (const rule of RULES) {
    problems[rule.id] = [];
    if (rule.pods && !server) continue;
    await rule.check(context, (message) => problems[rule.id].push(message));
  }
  return problems;
}

// ---- Mutations: each must be caught by its check -------------------------------------------------------

const deploymentOf = (documents) => documents.find((d) => d.kind === 'Deployment');
const containerOf = (documents) => deploymentOf(documents).spec.template.spec.containers[0];
const documentOf = (documents, kind) => documents.find((d) => d.kind === kind);

const MUTATIONS = [
  ['the Service selects a misspelt label', 'service-selector', (docs) => {
    const selector = documentOf(docs, 'Service').spec.selector;
    const [key] = Object.keys(selector);
    selector[key] = `${selector[key]}x`;
  }],
  ["the Deployment's selector misses its pod labels", 'deployment-selector', (docs) => {
    deploymentOf(docs).spec.selector = { matchLabels: { 'app.kubernetes.io/name': 'someone-else' } };
  }],
  ['the liveness probe asks /health, which the server lacks', 'probes-live', (docs) => {
    containerOf(docs).livenessProbe.httpGet.path = '/health';
  }],
  ['the readiness probe asks the UI port', 'probes', (docs) => {
    const ui = containerOf(docs).ports.find((p) => p.containerPort !== 5001);
    containerOf(docs).readinessProbe.httpGet.port = ui.name ?? ui.containerPort;
  }],
  ['the startup probe asks a port nobody declared', 'probes', (docs) => {
    containerOf(docs).startupProbe.httpGet.port = 'metrics';
  }],
  ['no startup probe', 'probes', (docs) => {
    delete containerOf(docs).startupProbe;
  }],
  ['no CPU request', 'resources', (docs) => {
    delete containerOf(docs).resources.requests.cpu;
  }],
  ['no memory limit', 'resources', (docs) => {
    delete containerOf(docs).resources.limits.memory;
  }],
  ['no resources at all', 'resources', (docs) => {
    delete containerOf(docs).resources;
  }],
  ['--threads 4 with a CPU request of 1', 'threads', (docs) => {
    const c = containerOf(docs);
    c.resources.requests.cpu = '1';
    c.args = c.args.map((a, i) => (c.args[i - 1] === '--threads' ? '4' : a));
  }],
  ['a CPU request of 1500m with --threads 1', 'threads', (docs) => {
    containerOf(docs).resources.requests.cpu = '1500m';
  }],
  ['no --threads', 'threads', (docs) => {
    const c = containerOf(docs);
    const at = c.args.indexOf('--threads');
    c.args.splice(at, 2);
  }],
  ['the HPA scales another Deployment', 'hpa', (docs) => {
    documentOf(docs, 'HorizontalPodAutoscaler').spec.scaleTargetRef.name = 'digit-server-old';
  }],
  ['the HPA scales a StatefulSet', 'hpa', (docs) => {
    documentOf(docs, 'HorizontalPodAutoscaler').spec.scaleTargetRef.kind = 'StatefulSet';
  }],
  ['the HPA may scale down to 1', 'hpa', (docs) => {
    documentOf(docs, 'HorizontalPodAutoscaler').spec.minReplicas = 1;
  }],
  ["the PDB selects other pods", 'pdb', (docs) => {
    documentOf(docs, 'PodDisruptionBudget').spec.selector = { matchLabels: { app: 'digit' } };
  }],
  ['the PDB blocks every drain (minAvailable 2 of 2)', 'pdb', (docs) => {
    const spec = documentOf(docs, 'PodDisruptionBudget').spec;
    delete spec.maxUnavailable;
    spec.minAvailable = 2;
  }],
  ['containerPort written as a string', 'schema', (docs) => {
    containerOf(docs).ports[0].containerPort = '5001';
  }],
  ['a misspelt field (readOnlyRootFileSystem)', 'schema', (docs) => {
    const context = containerOf(docs).securityContext;
    delete context.readOnlyRootFilesystem;
    context.readOnlyRootFileSystem = true;
  }],
  ['an unknown field at the top of the Deployment spec', 'schema', (docs) => {
    deploymentOf(docs).spec.replica = 3;
  }],
  ['a memory request that is no quantity', 'schema', (docs) => {
    containerOf(docs).resources.requests.memory = 'lots';
  }],
  ['the Service targets a port the container lacks', 'service-ports', (docs) => {
    documentOf(docs, 'Service').spec.ports[0].targetPort = 'http';
  }],
  ['a container port the server does not listen on', 'container-ports', (docs) => {
    containerOf(docs).ports.push({ name: 'admin', containerPort: 8080 });
  }],
  ['args repeat --port, which the entry point already sets', 'probes-live', (docs) => {
    containerOf(docs).args.push('--port', '5001');
  }],
  ['a command replaces the entry point', 'entrypoint', (docs) => {
    containerOf(docs).command = ['digit-server'];
  }],
  ['spec.replicas beside the HPA', 'no-replicas', (docs) => {
    deploymentOf(docs).spec.replicas = 3;
  }],
  ['runs as root (runAsUser 0)', 'security', (docs) => {
    deploymentOf(docs).spec.template.spec.securityContext.runAsUser = 0;
  }],
  ['runAsNonRoot left out', 'security', (docs) => {
    delete deploymentOf(docs).spec.template.spec.securityContext.runAsNonRoot;
  }],
  ['a writable root filesystem', 'security', (docs) => {
    containerOf(docs).securityContext.readOnlyRootFilesystem = false;
  }],
  ['privilege escalation allowed', 'security', (docs) => {
    containerOf(docs).securityContext.allowPrivilegeEscalation = true;
  }],
  ['capabilities not dropped', 'security', (docs) => {
    delete containerOf(docs).securityContext.capabilities;
  }],
  ['NET_ADMIN added', 'security', (docs) => {
    containerOf(docs).securityContext.capabilities.add = ['NET_ADMIN'];
  }],
  ['seccomp Unconfined', 'security', (docs) => {
    containerOf(docs).securityContext.seccompProfile = { type: 'Unconfined' };
  }],
];

// ---- Main --------------------------------------------------------------------------------------------

const RENDER_PROMISE = 'kubectl kustomize and this script resolve the kustomization alike';

// The documents `kubectl apply -k` would send: kubectl's rendering where kubectl exists (checked against
// this script's resolver), this script's otherwise.
function render() {
  let own;
  try {
    own = resolveKustomization(config.manifests);
  } catch (error) {
    report(false, RENDER_PROMISE, error.message);
  }
  if (!config.useKubectl || !kubectlAvailable()) {
    const why = config.useKubectl ? 'kubectl is not installed' : '--no-kubectl';
    note(`${why}: the kustomization is resolved by this script alone`);
    return own;
  }
  let rendered;
  try {
    rendered = execFileSync('kubectl', ['kustomize', config.manifests],
      { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    report(false, RENDER_PROMISE, `kubectl kustomize failed: ${String(error.stderr || error.message).trim()}`);
    return undefined;
  }
  const documents = parseYamlDocuments(rendered, 'kubectl kustomize');
  if (own) {
    const differing = differingDocuments(documents, own);
    report(differing.length === 0, RENDER_PROMISE,
      differing.length ? `they differ in ${differing.join('; ')}` : `${documents.length} documents`);
  }
  return documents;
}

// The read-only root filesystem: digit-server, traced from the entry point on while it answers every GET
// route and one prediction, must open no file for writing. And the trace reader must see a write in a
// trace that has one.
async function checkWritesNothing(documents, image) {
  const promise = 'digit-server writes no file (the root filesystem is read-only, no writable volume)';
  if (!straceWorks()) {
    note('strace cannot run here: whether digit-server writes files is not checked');
    return;
  }
  const traced = await startServer(containerOf(documents), image, { trace: true });
  if (traced.error) {
    report(false, promise, traced.error);
    return;
  }
  for (const path of ['/healthz', '/readyz', '/model', '/metrics', '/']) await httpExchange(traced.ports.api, path);
  if (traced.ports.ui) await httpExchange(traced.ports.ui, '/');
  const predicted = await httpExchange(traced.ports.api, '/predict',
    { method: 'POST', body: strokePng(), headers: { 'Content-Type': 'image/png' } });
  await stop(traced.child);
  const log = readFileSync(traced.traceLog, 'utf8');
  const writes = writesInTrace(log);
  const sawModel = log.includes(`"${config.model}"`);
  report(predicted.status === 200 && sawModel && writes.length === 0, promise,
    predicted.status !== 200 ? `/predict answered ${predicted.status}`
      : !sawModel ? 'the trace does not show the model being read: strace saw nothing'
        : writes.slice(0, 5).join('; '));

  const sample = '7 openat(AT_FDCWD, "/tmp/upload-1", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 5\n' +
    '7 mkdir("/app/cache", 0777) = -1 EROFS (Read-only file system)\n' +
    '7 openat(AT_FDCWD, "/dev/null", O_RDWR|O_CLOEXEC) = 6\n';
  const seen = writesInTrace(sample);
  report(seen.length === 2, 'caught: a server that would write /tmp/upload-1 and create /app/cache', seen.join('; '));
}

async function main() {
  const inputs = [['digit-server', config.server], ['the model', config.model], ['the entry point', config.entrypoint]];
  for (const [what, path] of inputs) {
    if (!existsSync(path)) {
      console.error(`check-k8s: ${what} is missing: ${path}`);
      return 1;
    }
  }
  const image = imageFacts();
  note(`Dockerfile: user ${image.user} (uid ${image.uid}), API_PORT=${image.env.API_PORT}, ` +
    `UI_PORT=${image.env.UI_PORT}, EXPOSE ${image.exposed.join(' ')}`);

  const documents = render();
  if (!documents) return 1;
  note(`rendered: ${documents.map(identity).join(', ')}`);

  const problems = await checkManifests(structuredClone(documents), image);
  for (const rule of RULES) report(problems[rule.id].length === 0, rule.promise, problems[rule.id].join('; '));

  await checkWritesNothing(documents, image);

  for (const [what, expected, mutate] of MUTATIONS) {
    const mutated = structuredClone(documents);
    mutate(mutated);
    const found = await checkManifests(mutated, image);
    const caughtBy = Object.keys(found).filter((id) => found[id].length > 0);
    report(caughtBy.includes(expected), `caught: ${what}`, caughtBy.includes(expected)
      ? `${expected}: ${found[expected][0]}`
      : `not caught by "${expected}" (caught by: ${caughtBy.join(', ') || 'nothing'})`);
  }
  return failed === 0 ? 0 : 1;
}

let status = 1;
try {
  status = await main();
} catch (error) {
  console.error(`check-k8s: ${error.stack ?? error}`);
} finally {
  await stopAll();
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`deploy-k8s: ${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
