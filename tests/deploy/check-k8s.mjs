#!/usr/bin/env node
// Offline checks of the Kubernetes manifests in deploy/k8s (no cluster, no container engine): the base
// (deploy/k8s, stateless) and the postgres overlay (deploy/k8s/overlays/postgres: corrections kept in a
// PostgreSQL StatefulSet that every replica shares).
//
//   node tests/deploy/check-k8s.mjs --server build/bin/digit-server [--model models/digitnet.cnn]
//                                   [--root REPO] [--no-kubectl]
//
// 1. Render each kustomization: `kubectl kustomize` where kubectl exists, and always this script's own
//    resolver (resources, JSON patches with a target, images), which must give the same documents.
// 2. Validate every document against the Kubernetes schemas (kubernetes-models), unknown fields included:
//    kubectl's strict field validation refuses those, the models' own validate() lets them through.
// 3. Check our own rules: selectors select the pod template; Service targetPorts and probe ports name
//    container ports that the server listens on; the HPA and the PDB point at the Deployment; every
//    container has CPU and memory requests and limits; --threads equals the CPU request; the container is
//    locked down (non-root as the image's user, read-only root filesystem, no privilege escalation, no
//    capabilities, seccomp RuntimeDefault). The base keeps no state (no --feedback-db, Secret or volume).
//    The overlay keeps the base (only args appended, the Secret env var, the token volume, fsGroup);
//    --feedback-db is $(VAR) from a Secret holding a postgresql:// URL that names the StatefulSet's pod,
//    port, user, database and password; --admin-token-file is a file of a read-only Secret volume the
//    server can read; no Secret value appears outside the Secrets; PostgreSQL 15 is pinned, one replica,
//    PGDATA on a PVC template, behind a matching headless Service, locked down like the server; its
//    max_connections holds every replica's pool at maxReplicas plus the rollout's surge; its volume holds
//    twice --feedback-max-bytes; a NetworkPolicy admits only digit-server's pods; labels agree.
// 4. Start the real digit-server the way the container does (the image's scripts/docker-entrypoint.sh with
//    the manifest's args and env, Secrets resolved and mounted as the kubelet would, on free loopback
//    ports) and GET every probe path on the port the probe names: each must answer 200 with the API's
//    JSON. Under strace (where it works), the server must open no file for writing, since its root
//    filesystem is read-only. For the overlay: as shipped (placeholders) the server must refuse to start;
//    with the Secrets filled in and a PostgreSQL of the test's own (tests/support/postgres.sh, where
//    Debian's postgresql is installed) in place of the StatefulSet, POST /feedback must keep a correction
//    that GET /feedback lists with the admin token.
// 5. Prove that the checks bite: apply mutations to the documents in memory (a wrong selector, a probe path
//    the server lacks, a missing request, a wrong HPA target, a schema-invalid field, a database URL in the
//    args, PGDATA off the volume, too few connections, ...) and require each to be caught by the check
//    meant for it.
//
// Prints one line per check and ends with "deploy-k8s: N passed, N failed"; exit status 0 only if all pass.
// The npm modules come from tests/deploy/package-lock.json (`scripts/setup.sh test` runs `npm ci`).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
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
  overlay: join(root, 'deploy/k8s/overlays/postgres'),
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

// JSON Pointer (RFC 6901) → the parent container and the last key, for a JSON patch.
function pointerParts(pointer) {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer ${pointer} does not start with /`);
  return pointer.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}
function pointerGet(value, parts, pointer) {
  let node = value;
  for (const part of parts) {
    const has = Array.isArray(node) ? /^\d+$/.test(part) && Number(part) < node.length
      : node !== null && typeof node === 'object' && Object.hasOwn(node, part);
    if (!has) throw new Error(`JSON pointer ${pointer}: nothing at ${part}`);
    node = node[part];
  }
  return node;
}
// Applies a JSON patch (RFC 6902: add, remove, replace, move, copy, test) to one document, in place.
function applyJsonPatch(document, operations, source) {
  for (const operation of operations) {
    const { op, path, from } = operation;
    const where = `${source}: ${op} ${path}`;
    const parts = pointerParts(path);
    if (parts.length === 0) throw new Error(`${where}: patching the whole document is not supported`);
    const parent = pointerGet(document, parts.slice(0, -1), path);
    const key = parts.at(-1);
    const remove = () => {
      const value = pointerGet(document, parts, path);
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return value;
    };
    const add = (value) => {
      if (Array.isArray(parent)) {
        const index = key === '-' ? parent.length : Number(key);
        if (!(Number.isInteger(index) && index >= 0 && index <= parent.length)) throw new Error(`${where}: bad index`);
        parent.splice(index, 0, value);
      } else if (parent !== null && typeof parent === 'object') {
        parent[key] = value;
      } else {
        throw new Error(`${where}: the parent is no object or array`);
      }
    };
    switch (op) {
      case 'add': add(structuredClone(operation.value)); break;
      case 'remove': remove(); break;
      case 'replace': remove(); add(structuredClone(operation.value)); break;
      case 'move': {
        const fromParts = pointerParts(from);
        const fromParent = pointerGet(document, fromParts.slice(0, -1), from);
        const value = pointerGet(document, fromParts, from);
        if (Array.isArray(fromParent)) fromParent.splice(Number(fromParts.at(-1)), 1);
        else delete fromParent[fromParts.at(-1)];
        add(value);
        break;
      }
      case 'copy': add(structuredClone(pointerGet(document, pointerParts(from), from))); break;
      case 'test': {
        const value = pointerGet(document, parts, path);
        if (JSON.stringify(canonical(value)) !== JSON.stringify(canonical(operation.value))) {
          throw new Error(`${where}: the document holds ${JSON.stringify(value)}, not ${JSON.stringify(operation.value)}`);
        }
        break;
      }
      default: throw new Error(`${where}: unknown operation`);
    }
  }
}

// Whether a document is the target a kustomization patch names (group, version, kind, name, namespace).
function isPatchTarget(document, target) {
  const [group, version] = String(document.apiVersion).includes('/')
    ? String(document.apiVersion).split('/') : ['', String(document.apiVersion)];
  const wanted = { group, version, kind: document.kind, name: document.metadata?.name,
    namespace: document.metadata?.namespace };
  for (const key of Object.keys(target)) {
    if (!['group', 'version', 'kind', 'name', 'namespace'].includes(key)) {
      throw new Error(`a patch target's "${key}", which this script cannot resolve (kubectl kustomize can)`);
    }
  }
  return Object.entries(target).every(([key, value]) => (wanted[key] ?? '') === value);
}

// The kustomization features this repository uses: `resources` (files or folders with their own
// kustomization), `patches` (JSON patches with a target) and `images`. Anything else is refused rather than
// silently ignored.
const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images']);
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
  for (const patch of kustomization.patches ?? []) {
    const source = patch.path ? join(dir, patch.path) : `${file} (inline patch)`;
    const operations = patch.path ? YAML.parse(readFileSync(source, 'utf8')) : YAML.parse(String(patch.patch ?? ''));
    if (!Array.isArray(operations)) {
      throw new Error(`${source}: not a JSON patch (a strategic merge patch, which this script cannot resolve)`);
    }
    if (!patch.target) throw new Error(`${source}: a JSON patch needs a target`);
    const targets = documents.filter((document) => isPatchTarget(document, patch.target));
    if (targets.length === 0) throw new Error(`${source}: no document is the target ${JSON.stringify(patch.target)}`);
    for (const document of targets) applyJsonPatch(document, operations, source);
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

// The paths (JSON pointers) at which two documents differ, down to the leaves.
function differingPaths(a, b, path = '') {
  if (a === b) return [];
  const containers = a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!containers) return [path || '/'];
  const keys = Array.isArray(a)
    ? [...Array(Math.max(a.length, b.length)).keys()].map(String)
    : [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((key) => differingPaths(a[key], b[key], `${path}/${key}`));
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

// ---- What the kubelet would hand the container: env from Secrets, $(VAR) in args, Secret volumes -----------

// A Secret's values, from stringData or base64 data (stringData wins, as the API server merges them).
function secretData(secret) {
  const values = {};
  for (const [key, value] of Object.entries(secret?.data ?? {})) values[key] = Buffer.from(String(value), 'base64').toString();
  for (const [key, value] of Object.entries(secret?.stringData ?? {})) values[key] = String(value);
  return values;
}
const secretsOf = (documents) => documents.filter((d) => d.apiVersion === 'v1' && d.kind === 'Secret');
const secretNamed = (documents, name) => secretsOf(documents).find((s) => s.metadata?.name === name);

// Kubernetes' $(VAR) expansion in args, command and env values: $(NAME) becomes the value of an env var
// defined for the container, $$ is a literal $, and anything else stays as written.
function expandReferences(text, variables) {
  return String(text).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name) => {
    if (match === '$$') return '$';
    return Object.hasOwn(variables, name) ? variables[name] : match;
  });
}

// The operator's values for the Secrets' placeholders, as docs/deploy.md tells them to replace them: each
// database URL becomes the test's own PostgreSQL where one runs (kept otherwise: the store connects
// lazily, so the server starts without it), every other value a fresh random one. Null: as shipped.
let operatorValues = null;
function operatorValuesFor(documents, postgresUrl) {
  const values = new Map();
  for (const secret of secretsOf(documents)) {
    for (const [key, value] of Object.entries(secretData(secret))) {
      const replacement = /^postgres(ql)?:\/\//.test(value) ? postgresUrl ?? value : randomBytes(16).toString('hex');
      values.set(`${secret.metadata.name}/${key}`, replacement);
    }
  }
  return values;
}

// The container's env and args as the kubelet resolves them, and the Secret volumes as files under
// scratch/ (each mount path mapped to its folder there, in the args too). → { args, env } or { error }.
function resolveLaunch(container, pod, documents, values) {
  const secretValue = (name, key) => {
    const shipped = secretData(secretNamed(documents, name));
    if (!Object.hasOwn(shipped, key)) return undefined;
    return values?.get(`${name}/${key}`) ?? shipped[key];
  };
  const env = {};
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = expandReferences(variable.value, env);
    else if (variable.valueFrom?.secretKeyRef) {
      const { name, key, optional } = variable.valueFrom.secretKeyRef;
      const value = secretValue(name, key);
      if (value === undefined && !optional) return { error: `env ${variable.name}: Secret ${name} has no key ${key}` };
      if (value !== undefined) env[variable.name] = value;
    } else if (variable.valueFrom) {
      return { error: `env ${variable.name}: only values and secretKeyRefs are resolved here` };
    }
  }
  const mounts = [];
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod?.volumes ?? []).find((v) => v.name === mount.name);
    if (!volume?.secret) return { error: `volume ${mount.name}: only Secret volumes are resolved here` };
    const shipped = secretData(secretNamed(documents, volume.secret.secretName));
    const dir = mkdtempSync(join(scratch, `volume-${mount.name}-`));
    const items = volume.secret.items ?? Object.keys(shipped).map((key) => ({ key, path: key }));
    for (const { key, path } of items) {
      if (!Object.hasOwn(shipped, key)) return { error: `volume ${mount.name}: Secret has no key ${key}` };
      writeFileSync(join(dir, path), secretValue(volume.secret.secretName, key));
    }
    mounts.push([String(mount.mountPath).replace(/\/+$/, ''), dir]);
  }
  const args = (container.args ?? []).map((arg) => {
    let expanded = expandReferences(arg, env);
    for (const [mountPath, dir] of mounts) {
      if (expanded === mountPath || expanded.startsWith(`${mountPath}/`)) expanded = dir + expanded.slice(mountPath.length);
    }
    return expanded;
  });
  return { args, env };
}

// Runs the image's entry point with the container's args and env, as the container would (Secrets
// resolved with the operator's values, or as shipped with { asShipped: true }), but on free loopback-reachable
// ports, with the repository's model and the built digit-server first on PATH. Resolves to
// { ports: { api, ui }, stderr } once the server says where it listens, or to { error, stderr }.
async function startServer(container, image, { trace = false, documents = [], pod, asShipped = false } = {}) {
  const { args: given, env: variables, volumeMounts } = container;
  const key = JSON.stringify({ given, variables, volumeMounts, volumes: pod?.volumes, asShipped, trace });
  if (servers.has(key)) return servers.get(key);
  const launch = resolveLaunch(container, pod, documents, asShipped ? null : operatorValues);
  if (launch.error) return { error: launch.error };
  const { args } = launch;
  const env = { ...serverPorts(container, image).env, ...launch.env };
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
      () => resolvePromise({ error: `no "API on" line within ${SERVER_START_TIMEOUT_MS} ms: ${lastLines()}`, stderr }),
      SERVER_START_TIMEOUT_MS,
    );
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      // "... API on http://HOST:PORT, UI on http://HOST:PORT", written in pieces: wait for the whole line.
      const line = stderr.match(/API on http:\/\/[^\s:]+:(\d+)(?:, UI on http:\/\/[^\s:]+:(\d+))?\n/);
      if (line) {
        clearTimeout(timer);
        resolvePromise({ ports: { api: Number(line[1]), ui: line[2] ? Number(line[2]) : undefined }, stderr });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ error: `the server exited with status ${code} at start: ${lastLines()}`, stderr, exitCode: code });
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
        resolvePromise({ status: res.statusCode, type: res.headers['content-type'] ?? '', headers: res.headers, body: text }));
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
    async check({ server, roles, image, documents, podSpec }, fail) {
      const live = await startServer(server, image, { documents, pod: podSpec });
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

// ---- The base keeps no state; the postgres overlay adds the database -------------------------------------

const FEEDBACK_FLAGS = ['--feedback-db', '--admin-token-file'];
const PART_OF = 'app.kubernetes.io/part-of';
const NAME_LABEL = 'app.kubernetes.io/name';
const DEFAULT_HEAVY_THREADS = 4; // digit-server's default --heavy-threads
const DEFAULT_FEEDBACK_MAX_BYTES = 2 ** 31; // digit-server's default --feedback-max-bytes (2 GiB)
const DATABASE_HEADROOM = 5; // connections beside the pools: an operator's psql, digit-trainer feedback export

// Every string in a document, with its path.
function walkStrings(value, path, visit) {
  if (typeof value === 'string') visit(path, value);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) walkStrings(child, `${path}/${key}`, visit);
  }
}
// A Deployment's maxSurge (a count or a percentage, 25% by default) at a replica count.
function surgeAt(deployment, replicas) {
  const surge = deployment?.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%';
  const percent = String(surge).match(/^(\d+)%$/);
  return percent ? Math.ceil((replicas * Number(percent[1])) / 100) : Number(surge);
}
// The env var an args reference $(NAME) names, as the kubelet would take it (the last definition wins).
const envNamed = (container, name) => (container?.env ?? []).findLast((v) => v.name === name);
// A container's env values as shipped (Secrets as written in the rendering).
const shippedEnv = (container, documents) => resolveLaunch({ env: container?.env ?? [] }, {}, documents, null).env ?? {};
// The port a Service port targets on a container → the container port entry.
function targetedPort(container, servicePort) {
  const number = containerPortNumber(container, servicePort.targetPort ?? servicePort.port);
  return (container?.ports ?? []).find((p) => p.containerPort === number);
}
// The Secret and key --feedback-db's $(VAR) reads, with the value as shipped; or { problem }.
function feedbackSecret({ server, args, documents }) {
  const values = flagValues(args, '--feedback-db');
  if (values.length !== 1) return { problem: `--feedback-db is given ${values.length} times (want once)` };
  const reference = String(values[0]).match(/^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/);
  if (!reference) return { problem: `--feedback-db ${json(values[0])} is no $(VAR) reference to an env var from a Secret` };
  const variable = envNamed(server, reference[1]);
  const ref = variable?.valueFrom?.secretKeyRef;
  if (!ref) return { problem: `$(${reference[1]}): ${variable ? 'the env var is not from a Secret' : 'no such env var'}` };
  if (ref.optional) return { problem: `$(${reference[1]}): an optional secretKeyRef (without the Secret the argument stays literal)` };
  const secret = secretNamed(documents, ref.name);
  if (!secret) return { problem: `$(${reference[1]}): Secret ${ref.name} is not in the rendering` };
  const value = secretData(secret)[ref.key];
  if (value === undefined) return { problem: `$(${reference[1]}): Secret ${ref.name} has no key ${ref.key}` };
  return { variable: reference[1], name: ref.name, key: ref.key, value };
}
// The Secret file --admin-token-file names: { mount, volume, secret, key, mode }; or { problem }.
function adminTokenSource({ server, args, podSpec, documents }) {
  const values = flagValues(args, '--admin-token-file');
  if (values.length !== 1) return { problem: `--admin-token-file is given ${values.length} times (want once)` };
  const path = String(values[0]);
  const mount = (server.volumeMounts ?? []).find((m) => path.startsWith(`${String(m.mountPath).replace(/\/+$/, '')}/`));
  if (!mount) return { problem: `--admin-token-file ${path} is on no volume mount (the image holds no token)` };
  const volume = (podSpec.volumes ?? []).find((v) => v.name === mount.name);
  if (!volume?.secret) return { problem: `the volume ${mount.name} holding ${path} is no Secret volume` };
  const secret = secretNamed(documents, volume.secret.secretName);
  if (!secret) return { problem: `Secret ${volume.secret.secretName} (volume ${mount.name}) is not in the rendering` };
  const data = secretData(secret);
  const file = path.slice(String(mount.mountPath).replace(/\/+$/, '').length + 1);
  const items = volume.secret.items ?? Object.keys(data).map((key) => ({ key, path: key }));
  const item = items.find((i) => i.path === file);
  if (!item) return { problem: `${path}: the volume ${mount.name} holds no file ${file} (it holds ${items.map((i) => i.path).join(', ')})` };
  if (!Object.hasOwn(data, item.key)) return { problem: `${path}: Secret ${secret.metadata.name} has no key ${item.key}` };
  return { mount, volume, secret, key: item.key, mode: item.mode ?? volume.secret.defaultMode ?? 0o644 };
}
// The PostgreSQL StatefulSet's pieces: { sts, pod, db, env, service, pgdata, dataMount, claim }.
function databaseParts({ statefulSets, documents }) {
  const sts = statefulSets[0];
  const pod = sts?.spec?.template?.spec ?? {};
  const db = pod.containers?.[0];
  const env = shippedEnv(db, documents);
  const service = documents.find((d) => d.apiVersion === 'v1' && d.kind === 'Service' && d.metadata?.name === sts?.spec?.serviceName);
  const pgdata = String(env.PGDATA ?? '/var/lib/postgresql/data').replace(/\/+$/, '');
  const claims = sts?.spec?.volumeClaimTemplates ?? [];
  const dataMount = (db?.volumeMounts ?? []).find((m) => {
    const at = String(m.mountPath).replace(/\/+$/, '');
    return claims.some((c) => c.metadata?.name === m.name) && (pgdata === at || pgdata.startsWith(`${at}/`));
  });
  const claim = claims.find((c) => c.metadata?.name === dataMount?.name);
  return { sts, pod, db, env, service, pgdata, dataMount, claim };
}

const BASE_RULES = [
  {
    id: 'stateless',
    promise: 'the base keeps no state: no --feedback-db or --admin-token-file, no Secret, database or volume',
    check({ documents, allContainers, podSpec }, fail) {
      for (const document of documents) {
        if (['Secret', 'StatefulSet', 'PersistentVolumeClaim'].includes(document.kind)) fail(`the base holds ${identity(document)}`);
      }
      for (const container of allContainers) {
        const args = (container.args ?? []).map(String);
        for (const flag of FEEDBACK_FLAGS) if (flagValues(args, flag).length) fail(`${container.name}: ${flag} in the args`);
        for (const variable of container.env ?? []) {
          if (variable.valueFrom?.secretKeyRef) fail(`${container.name}: env ${variable.name} from a Secret`);
        }
        for (const mount of container.volumeMounts ?? []) fail(`${container.name}: mounts ${mount.mountPath}`);
      }
      for (const volume of podSpec.volumes ?? []) fail(`the pod has the volume ${volume.name}`);
    },
  },
];

const OVERLAY_RULES = [
  {
    id: 'overlay-keeps-base',
    promise: "the overlay keeps the base: the same objects, and in the Deployment only args appended, the Secret env, the token volume and fsGroup",
    check({ documents, base }, fail) {
      const allowed = (baseDeployment) => {
        const given = baseDeployment.spec?.template?.spec?.containers?.[0]?.args?.length ?? 0;
        return (path) => {
          const appended = path.match(/^\/spec\/template\/spec\/containers\/0\/args\/(\d+)$/);
          if (appended) return Number(appended[1]) >= given;
          return /^\/spec\/template\/spec\/(containers\/0\/(env|volumeMounts)|volumes)(\/.*)?$/.test(path) ||
            path === '/spec/template/spec/securityContext/fsGroup';
        };
      };
      for (const original of base) {
        const mine = documents.find((d) => identity(d) === identity(original));
        if (!mine) {
          fail(`the overlay drops the base's ${identity(original)}`);
          continue;
        }
        const changed = differingPaths(original, mine);
        const permitted = original.kind === 'Deployment' ? allowed(original) : () => false;
        const wrong = changed.filter((path) => !permitted(path));
        if (wrong.length) fail(`${identity(original)}: the overlay changes ${wrong.slice(0, 5).join(', ')}`);
      }
    },
  },
  {
    id: 'feedback-db',
    promise: '--feedback-db $(VAR) once, VAR an env var from a Secret of the overlay holding a postgresql:// URL',
    pods: true,
    check(context, fail) {
      const source = feedbackSecret(context);
      if (source.problem) return fail(source.problem);
      if (!/^postgres(ql)?:\/\//.test(source.value)) {
        fail(`Secret ${source.name} key ${source.key} is no postgresql:// URL: the replicas must share one database`);
      }
    },
  },
  {
    id: 'admin-token',
    promise: '--admin-token-file names a file of a Secret volume, mounted read-only and readable by the server',
    pods: true,
    check(context, fail) {
      const source = adminTokenSource(context);
      if (source.problem) return fail(source.problem);
      if (source.mount.readOnly !== true) fail(`the mount ${source.mount.mountPath} is not readOnly`);
      const { mode } = source;
      const fsGroup = context.podSpec.securityContext?.fsGroup;
      // Secret files belong to root; the group is fsGroup where one is set (the server's supplementary group).
      const readable = (mode & 0o004) !== 0 || ((mode & 0o040) !== 0 && fsGroup !== undefined);
      if (!readable) {
        fail(`the token file's mode ${mode.toString(8).padStart(4, '0')} lets the server (uid ` +
          `${context.podSpec.securityContext?.runAsUser}) not read it${mode & 0o040 ? ' without fsGroup' : ''}`);
      }
    },
  },
  {
    id: 'secret-values',
    promise: 'no Secret value (database URL, password, admin token) is written outside the Secrets, args and env included',
    check({ documents }, fail) {
      // Longest first, so that a URL is named as the URL rather than as the password inside it.
      const values = secretsOf(documents).flatMap((secret) =>
        Object.entries(secretData(secret)).map(([key, value]) => [`${secret.metadata?.name}/${key}`, value]))
        .filter(([, value]) => value.length >= 8).sort((a, b) => b[1].length - a[1].length);
      for (const document of documents.filter((d) => d.kind !== 'Secret')) {
        walkStrings(document, '', (path, text) => {
          const found = values.find(([, value]) => text.includes(value));
          if (found) fail(`${identity(document)} ${path} holds the value of Secret ${found[0]}`);
          if (/postgres(ql)?:\/\/[^/\s@]*:[^/\s@]+@/.test(text)) fail(`${identity(document)} ${path}: a database URL with its password`);
        });
      }
    },
  },
  {
    id: 'database',
    promise: 'one PostgreSQL 15 StatefulSet (pinned image, 1 replica, password from a Secret), PGDATA on its PVC template, a matching headless Service',
    check(context, fail) {
      if (context.statefulSets.length !== 1) return fail(`${context.statefulSets.length} apps/v1 StatefulSets (want 1)`);
      const { sts, pod, db, service, pgdata, dataMount, claim } = databaseParts(context);
      const where = `StatefulSet ${sts.metadata?.name}`;
      const labels = sts.spec?.template?.metadata?.labels ?? {};
      if ((sts.spec?.replicas ?? 1) !== 1) {
        fail(`${where}: replicas ${sts.spec.replicas}; without replication a second pod is a second, empty database`);
      }
      if (selectorIsEmpty(sts.spec?.selector) || !selects(sts.spec.selector, labels)) {
        fail(`${where}: selector ${json(sts.spec?.selector)} does not select the pod labels ${json(labels)}`);
      }
      if (!db) return fail(`${where}: no container`);
      const image = splitImage(db.image ?? '');
      const pinned = /^15\.\d+(-[a-z]+)?$/.test(image.tag ?? '') || (image.digest && /^15(\.|-|$)/.test(image.tag ?? ''));
      if (!/(^|\/)postgres$/.test(image.name) || !pinned) {
        fail(`${where}: image ${db.image}: want PostgreSQL 15 pinned to a minor release (postgres:15.N-bookworm) or a digest`);
      }
      const password = envNamed(db, 'POSTGRES_PASSWORD');
      if (!password?.valueFrom?.secretKeyRef) fail(`${where}: POSTGRES_PASSWORD is ${password ? 'written in the manifest' : 'unset'}, not from a Secret`);
      else if (secretData(secretNamed(context.documents, password.valueFrom.secretKeyRef.name))[password.valueFrom.secretKeyRef.key] === undefined) {
        fail(`${where}: POSTGRES_PASSWORD's Secret ${password.valueFrom.secretKeyRef.name} or its key is missing`);
      }
      const claims = sts.spec?.volumeClaimTemplates ?? [];
      if (claims.length === 0) fail(`${where}: no volumeClaimTemplates: the data goes with the pod`);
      for (const template of claims) {
        const modes = template.spec?.accessModes ?? [];
        if (!modes.some((m) => m === 'ReadWriteOnce' || m === 'ReadWriteOncePod')) fail(`${where}: claim ${template.metadata?.name} is not ReadWriteOnce`);
        if (!(byteCount(template.spec?.resources?.requests?.storage ?? NaN) > 0)) fail(`${where}: claim ${template.metadata?.name} requests no storage`);
      }
      if (claims.length && !dataMount) fail(`${where}: PGDATA ${pgdata} is on no PVC template's mount: the data goes with the pod`);
      else if (dataMount && String(dataMount.mountPath).replace(/\/+$/, '') === pgdata) {
        fail(`${where}: PGDATA is the volume's root ${pgdata} (lost+found there makes initdb refuse): use a folder in it`);
      }
      if (dataMount && !claim) fail(`${where}: no claim template for ${dataMount.name}`);
      if (!(db.ports ?? []).some((p) => p.containerPort === 5432)) fail(`${where}: the container declares no port 5432`);
      if (!service) return fail(`${where}: serviceName ${json(sts.spec?.serviceName)} names no Service of the rendering`);
      const svc = `Service ${service.metadata?.name}`;
      if (service.spec?.clusterIP !== 'None') fail(`${svc}: not headless (clusterIP ${service.spec?.clusterIP ?? 'unset'}, want None)`);
      const selector = service.spec?.selector ?? {};
      if (Object.keys(selector).length === 0 || !selects({ matchLabels: selector }, labels)) {
        fail(`${svc}: selector ${json(selector)} does not select the StatefulSet's pods (${json(labels)})`);
      }
      if (!(service.spec?.ports ?? []).some((port) => targetedPort(db, port)?.containerPort === 5432)) {
        fail(`${svc}: no port targets PostgreSQL's 5432`);
      }
      if (pod.hostNetwork) fail(`${where}: hostNetwork`);
    },
  },
  {
    id: 'database-url',
    promise: "the URL in the Secret names the StatefulSet's pod under its Service, its port, user, database and password",
    pods: true,
    check(context, fail) {
      const source = feedbackSecret(context);
      if (source.problem || context.statefulSets.length !== 1) return; // the feedback-db and database rules say why
      const { sts, db, env, service } = databaseParts(context);
      let url;
      try {
        url = new URL(source.value);
      } catch {
        return fail(`Secret ${source.name} key ${source.key} is no URL`);
      }
      const name = sts.metadata?.name;
      const serviceName = sts.spec?.serviceName;
      const host = new RegExp(`^(${name}-0\\.)?${serviceName}(\\.[a-z0-9-]+(\\.svc(\\.cluster\\.local)?)?)?$`);
      if (!host.test(url.hostname)) fail(`the URL's host ${url.hostname} is not ${name}-0.${serviceName} (the StatefulSet's pod)`);
      const port = (service?.spec?.ports ?? []).find((p) => targetedPort(db, p)?.containerPort === 5432)?.port ?? 5432;
      if (Number(url.port || 5432) !== Number(port)) fail(`the URL's port ${url.port || 5432} is not the Service's ${port}`);
      const user = env.POSTGRES_USER ?? 'postgres';
      const database = env.POSTGRES_DB ?? user;
      if (decodeURIComponent(url.username) !== user) fail(`the URL's user ${url.username} is not POSTGRES_USER ${user}`);
      if (decodeURIComponent(url.pathname.replace(/^\//, '')) !== database) {
        fail(`the URL's database ${url.pathname.replace(/^\//, '')} is not POSTGRES_DB ${database}`);
      }
      if (env.POSTGRES_PASSWORD === undefined || decodeURIComponent(url.password) !== env.POSTGRES_PASSWORD) {
        fail("the URL's password is not the StatefulSet's POSTGRES_PASSWORD");
      }
    },
  },
  {
    id: 'database-security',
    promise: 'PostgreSQL: non-root, fsGroup, read-only root fs with writable socket and /tmp folders, no escalation, no capabilities, seccomp, requests, limits, probes',
    check(context, fail) {
      for (const sts of context.statefulSets) {
        const pod = sts.spec?.template?.spec ?? {};
        for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[flag]) fail(`the database pod sets ${flag}`);
        if (pod.securityContext?.fsGroup === undefined) fail('the database pod sets no fsGroup: its volume is not writable for a non-root user');
        for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
          const own = container.securityContext ?? {};
          const effective = (key) => own[key] ?? pod.securityContext?.[key];
          const where = container.name;
          if (effective('runAsNonRoot') !== true) fail(`${where}: runAsNonRoot is not true`);
          const uid = effective('runAsUser');
          if (uid === undefined || uid === 0) fail(`${where}: runAsUser ${uid ?? 'unset'}`);
          if (own.readOnlyRootFilesystem !== true) fail(`${where}: readOnlyRootFilesystem is not true`);
          if (own.allowPrivilegeEscalation !== false) fail(`${where}: allowPrivilegeEscalation is not false`);
          if (own.privileged === true) fail(`${where}: privileged`);
          if (!(own.capabilities?.drop ?? []).includes('ALL')) fail(`${where}: capabilities.drop lacks ALL`);
          if ((own.capabilities?.add ?? []).length) fail(`${where}: adds capabilities ${own.capabilities.add.join(', ')}`);
          if (effective('seccompProfile')?.type !== 'RuntimeDefault') fail(`${where}: seccompProfile is not RuntimeDefault`);
          for (const folder of ['/var/run/postgresql', '/tmp']) {
            if (!(container.volumeMounts ?? []).some((m) => String(m.mountPath).replace(/\/+$/, '') === folder)) {
              fail(`${where}: the root filesystem is read-only and nothing writable is mounted on ${folder}`);
            }
          }
          const { requests = {}, limits = {} } = container.resources ?? {};
          for (const [resource, parse] of [['cpu', cpuCores], ['memory', byteCount]]) {
            if (!(parse(requests[resource] ?? NaN) > 0)) fail(`${where}: no ${resource} request`);
            if (!(parse(limits[resource] ?? NaN) >= parse(requests[resource] ?? 0))) fail(`${where}: no ${resource} limit at or above the request`);
          }
        }
        const db = pod.containers?.[0];
        for (const kind of ['readinessProbe', 'livenessProbe']) {
          const probe = db?.[kind];
          const asks = probe?.exec?.command?.some((word) => /pg_isready/.test(word)) ||
            containerPortNumber(db ?? {}, probe?.tcpSocket?.port) === 5432;
          if (!asks) fail(`${db?.name}: ${probe ? `${kind} asks neither pg_isready nor port 5432` : `no ${kind}`}`);
        }
      }
    },
  },
  {
    id: 'connections',
    promise: "max_connections holds every replica's pool (threads + heavy threads) at maxReplicas plus the rollout's surge",
    pods: true,
    check(context, fail) {
      const { db } = databaseParts(context);
      if (!db) return;
      const words = [...(db.command ?? []), ...(db.args ?? [])].map(String);
      const setting = (name, fallback) => {
        let value = fallback;
        words.forEach((word, i) => {
          const text = word === '-c' ? words[i + 1] ?? '' : word.replace(/^(-c|--)/, '');
          const match = text.match(new RegExp(`^${name}=(\\d+)$`));
          if (match) value = Number(match[1]);
        });
        return value;
      };
      const maxConnections = setting('max_connections', 100);
      const reserved = setting('superuser_reserved_connections', 3);
      const threads = Number(flagValues(context.args, '--threads')[0]);
      const heavy = Number(flagValues(context.args, '--heavy-threads')[0] ?? DEFAULT_HEAVY_THREADS);
      const maxReplicas = Math.max(1, ...context.hpas.map((h) => h.spec?.maxReplicas ?? 1));
      const pods = maxReplicas + surgeAt(context.deployment, maxReplicas);
      const needed = pods * (threads + heavy) + DATABASE_HEADROOM;
      if (!(needed <= maxConnections - reserved)) {
        fail(`${pods} pods × (${threads} + ${heavy}) connections + ${DATABASE_HEADROOM} = ${needed}, ` +
          `over max_connections ${maxConnections} − ${reserved} reserved`);
      }
    },
  },
  {
    id: 'storage',
    promise: "the database's volume holds twice --feedback-max-bytes (room for indexes, the WAL and vacuuming)",
    pods: true,
    check(context, fail) {
      const { claim } = databaseParts(context);
      if (!claim) return; // the database rule says why
      const cap = Number(flagValues(context.args, '--feedback-max-bytes')[0] ?? DEFAULT_FEEDBACK_MAX_BYTES);
      const storage = claim.spec?.resources?.requests?.storage;
      if (!(byteCount(storage ?? NaN) >= 2 * cap)) fail(`claim ${claim.metadata?.name} requests ${storage}, below 2 × ${cap} bytes`);
    },
  },
  {
    id: 'network-policy',
    promise: "a NetworkPolicy lets only the Deployment's pods reach PostgreSQL, on its port",
    pods: true,
    check(context, fail) {
      const { sts } = databaseParts(context);
      if (!sts) return;
      const dbLabels = sts.spec?.template?.metadata?.labels ?? {};
      const policies = context.documents.filter((d) => d.apiVersion === 'networking.k8s.io/v1' && d.kind === 'NetworkPolicy' &&
        selects(d.spec?.podSelector ?? {}, dbLabels) && (d.spec?.policyTypes ?? ['Ingress']).includes('Ingress'));
      if (policies.length === 0) return fail("no NetworkPolicy selects the database's pods for Ingress");
      let admitsServer = false;
      for (const policy of policies) {
        for (const rule of policy.spec?.ingress ?? []) {
          const peers = rule.from ?? [];
          if (peers.length === 0) fail(`NetworkPolicy ${policy.metadata?.name}: a rule without from admits every pod`);
          for (const peer of peers) {
            if (peer.ipBlock || peer.namespaceSelector || selectorIsEmpty(peer.podSelector) ||
                !selects(peer.podSelector, context.podLabels)) {
              fail(`NetworkPolicy ${policy.metadata?.name}: admits ${json(peer)}, not only digit-server's pods`);
            }
          }
          const ports = rule.ports ?? [];
          const toDatabase = ports.length === 0 || ports.some((p) => p.port === 5432 || p.port === 'postgres');
          if (peers.some((peer) => selects(peer.podSelector, context.podLabels)) && toDatabase) admitsServer = true;
        }
      }
      if (!admitsServer) fail("no NetworkPolicy rule admits digit-server's pods on port 5432");
    },
  },
  {
    id: 'labels',
    promise: "every object is part of the application; the database's objects carry the StatefulSet's name label",
    check(context, fail) {
      const partOf = context.deployment?.metadata?.labels?.[PART_OF];
      for (const document of context.documents) {
        if (document.metadata?.labels?.[PART_OF] !== partOf) fail(`${identity(document)}: ${PART_OF} is not ${partOf}`);
      }
      const { sts, service } = databaseParts(context);
      if (!sts) return;
      const name = sts.spec?.selector?.matchLabels?.[NAME_LABEL];
      if (!name) return fail(`StatefulSet ${sts.metadata?.name}: its selector has no ${NAME_LABEL}`);
      const labelled = [
        [`StatefulSet ${sts.metadata?.name}`, sts.metadata?.labels],
        ['its pod template', sts.spec?.template?.metadata?.labels],
        ...(sts.spec?.volumeClaimTemplates ?? []).map((c) => [`claim template ${c.metadata?.name}`, c.metadata?.labels]),
        ...(service ? [[`Service ${service.metadata?.name}`, service.metadata?.labels]] : []),
      ];
      for (const [what, labels] of labelled) {
        if (labels?.[NAME_LABEL] !== name) fail(`${what}: ${NAME_LABEL} is ${labels?.[NAME_LABEL] ?? 'unset'}, not ${name}`);
      }
      if (name === context.podLabels[NAME_LABEL]) fail(`the database's pods are labelled ${name} like digit-server's: its Service would select them`);
    },
  },
];

// Runs rules on a set of documents → { rule id: [problems] }. `base`: the base's documents, for the overlay's rules.
async function checkManifests(documents, image, rules = [...RULES, ...BASE_RULES], base = []) {
  const ofKind = (apiVersion, kind) => documents.filter((d) => d.apiVersion === apiVersion && d.kind === kind);
  const deployments = ofKind('apps/v1', 'Deployment');
  const deployment = deployments[0];
  const podSpec = deployment?.spec?.template?.spec ?? {};
  const server = podSpec.containers?.[0]; // the container that runs the image's entry point
  const statefulSets = ofKind('apps/v1', 'StatefulSet');
  // A StatefulSet's own (headless) Service is the database's, not one of digit-server's.
  const databaseServices = new Set(statefulSets.map((s) => s.spec?.serviceName));
  const context = {
    documents,
    base,
    image,
    deployments,
    statefulSets,
    services: ofKind('v1', 'Service').filter((s) => !databaseServices.has(s.metadata?.name)),
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
  for (const rule of rules) {
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
  ['--feedback-db in the base', 'stateless', (docs) => {
    containerOf(docs).args.push('--feedback-db', `sqlite:${join(scratch, 'base-mutation.sqlite')}`);
  }],
  ['a Secret in the base', 'stateless', (docs) => {
    docs.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'digit-admin-token' }, stringData: { token: 'x'.repeat(32) } });
  }],
];

// The overlay's own mutations: each must be caught by its overlay rule.
const statefulSetOf = (documents) => documents.find((d) => d.kind === 'StatefulSet');
const databaseOf = (documents) => statefulSetOf(documents).spec.template.spec.containers[0];
const named = (documents, kind, name) => documents.find((d) => d.kind === kind && d.metadata?.name === name);
const feedbackEnvOf = (documents) => containerOf(documents).env.find((v) => v.name === 'FEEDBACK_DB');
const feedbackSecretOf = (documents) => named(documents, 'Secret', feedbackEnvOf(documents).valueFrom.secretKeyRef.name);
const tokenVolumeOf = (documents) => deploymentOf(documents).spec.template.spec.volumes.find((v) => v.secret);
const replaceArg = (documents, flag, value) => {
  const args = containerOf(documents).args;
  args[args.indexOf(flag) + 1] = value;
};
const setEnv = (container, name, value) => {
  container.env = container.env.filter((v) => v.name !== name);
  container.env.push({ name, value });
};
const replaceUrl = (documents, change) => {
  const secret = feedbackSecretOf(documents);
  const url = new URL(secret.stringData.url);
  change(url);
  secret.stringData.url = url.href;
};

const OVERLAY_MUTATIONS = [
  ['the database URL written into the args', 'secret-values', (docs) => {
    replaceArg(docs, '--feedback-db', feedbackSecretOf(docs).stringData.url);
  }],
  ['FEEDBACK_DB as a plain value, not from the Secret', 'feedback-db', (docs) => {
    const variable = feedbackEnvOf(docs);
    delete variable.valueFrom;
    variable.value = 'postgresql://digit@digit-postgres-0.digit-postgres:5432/feedback';
  }],
  ['FEEDBACK_DB from a Secret the overlay lacks', 'feedback-db', (docs) => {
    feedbackEnvOf(docs).valueFrom.secretKeyRef.name = 'digit-database';
  }],
  ['FEEDBACK_DB from a key the Secret lacks', 'feedback-db', (docs) => {
    feedbackEnvOf(docs).valueFrom.secretKeyRef.key = 'uri';
  }],
  ['--feedback-db $(FEEDBACK_URL), an env var nobody defines', 'feedback-db', (docs) => {
    replaceArg(docs, '--feedback-db', '$(FEEDBACK_URL)');
  }],
  ['no --feedback-db', 'feedback-db', (docs) => {
    const args = containerOf(docs).args;
    args.splice(args.indexOf('--feedback-db'), 2);
  }],
  ['a SQLite file per replica instead of the shared PostgreSQL', 'feedback-db', (docs) => {
    feedbackSecretOf(docs).stringData.url = 'sqlite:/tmp/feedback.sqlite';
  }],
  ['the URL names another host', 'database-url', (docs) => replaceUrl(docs, (url) => { url.hostname = 'postgres'; })],
  ['the URL names another port', 'database-url', (docs) => replaceUrl(docs, (url) => { url.port = '5433'; })],
  ['the URL names another database', 'database-url', (docs) => replaceUrl(docs, (url) => { url.pathname = '/digit'; })],
  ["the URL's password is not POSTGRES_PASSWORD", 'database-url', (docs) => replaceUrl(docs, (url) => { url.password = 'other-password'; })],
  ['--admin-token-file on a path no volume holds', 'admin-token', (docs) => {
    replaceArg(docs, '--admin-token-file', '/etc/digit-server/token');
  }],
  ['--admin-token-file names a file the Secret lacks', 'admin-token', (docs) => {
    const args = containerOf(docs).args;
    const at = args.indexOf('--admin-token-file') + 1;
    args[at] = args[at].replace(/[^/]+$/, 'bearer');
  }],
  ['the token volume mounted writable', 'admin-token', (docs) => {
    containerOf(docs).volumeMounts[0].readOnly = false;
  }],
  ['the token file readable by its owner (root) only: mode 0400', 'admin-token', (docs) => {
    tokenVolumeOf(docs).secret.defaultMode = 0o400;
  }],
  ['the token file at mode 0440 without fsGroup', 'admin-token', (docs) => {
    delete deploymentOf(docs).spec.template.spec.securityContext.fsGroup;
  }],
  ['the admin token copied into an env value', 'secret-values', (docs) => {
    const token = secretData(named(docs, 'Secret', tokenVolumeOf(docs).secret.secretName));
    setEnv(containerOf(docs), 'ADMIN_TOKEN', Object.values(token)[0]);
  }],
  ['POSTGRES_PASSWORD written in the StatefulSet', 'database', (docs) => {
    setEnv(databaseOf(docs), 'POSTGRES_PASSWORD', 'a-password-in-git');
  }],
  ['no volumeClaimTemplates', 'database', (docs) => {
    delete statefulSetOf(docs).spec.volumeClaimTemplates;
  }],
  ['PGDATA outside the volume', 'database', (docs) => {
    databaseOf(docs).env.find((v) => v.name === 'PGDATA').value = '/pgdata';
  }],
  ["PGDATA the volume's root", 'database', (docs) => {
    const db = databaseOf(docs);
    db.env.find((v) => v.name === 'PGDATA').value = db.volumeMounts.find((m) => m.name === 'data').mountPath;
  }],
  ['the database Service is not headless', 'database', (docs) => {
    delete named(docs, 'Service', statefulSetOf(docs).spec.serviceName).spec.clusterIP;
  }],
  ['serviceName names no Service', 'database', (docs) => {
    statefulSetOf(docs).spec.serviceName = 'postgres';
  }],
  ['the database Service selects other pods', 'database', (docs) => {
    named(docs, 'Service', statefulSetOf(docs).spec.serviceName).spec.selector = { [NAME_LABEL]: 'postgresql' };
  }],
  ['the database Service targets another port', 'database', (docs) => {
    named(docs, 'Service', statefulSetOf(docs).spec.serviceName).spec.ports[0].targetPort = 5433;
  }],
  ['image postgres:latest', 'database', (docs) => {
    databaseOf(docs).image = 'postgres:latest';
  }],
  ['image postgres:15 (not pinned to a minor release)', 'database', (docs) => {
    databaseOf(docs).image = 'postgres:15';
  }],
  ['image postgres:16.4 (another major version)', 'database', (docs) => {
    databaseOf(docs).image = 'postgres:16.4-bookworm';
  }],
  ['two database replicas', 'database', (docs) => {
    statefulSetOf(docs).spec.replicas = 2;
  }],
  ['PostgreSQL runs as root', 'database-security', (docs) => {
    statefulSetOf(docs).spec.template.spec.securityContext.runAsUser = 0;
  }],
  ['PostgreSQL on a writable root filesystem', 'database-security', (docs) => {
    databaseOf(docs).securityContext.readOnlyRootFilesystem = false;
  }],
  ['no writable /var/run/postgresql', 'database-security', (docs) => {
    const db = databaseOf(docs);
    db.volumeMounts = db.volumeMounts.filter((m) => m.mountPath !== '/var/run/postgresql');
  }],
  ['no fsGroup for the database volume', 'database-security', (docs) => {
    delete statefulSetOf(docs).spec.template.spec.securityContext.fsGroup;
  }],
  ['no readiness probe for PostgreSQL', 'database-security', (docs) => {
    delete databaseOf(docs).readinessProbe;
  }],
  ['no memory limit for PostgreSQL', 'database-security', (docs) => {
    delete databaseOf(docs).resources.limits.memory;
  }],
  ['max_connections=30 for 13 pods of 3 connections', 'connections', (docs) => {
    databaseOf(docs).args = ['-c', 'max_connections=30'];
  }],
  ['a 2Gi volume for 2 GiB of corrections', 'storage', (docs) => {
    statefulSetOf(docs).spec.volumeClaimTemplates[0].spec.resources.requests.storage = '2Gi';
  }],
  ['the NetworkPolicy admits every pod', 'network-policy', (docs) => {
    documentOf(docs, 'NetworkPolicy').spec.ingress[0].from = [{ podSelector: {} }];
  }],
  ['the NetworkPolicy admits another namespace', 'network-policy', (docs) => {
    documentOf(docs, 'NetworkPolicy').spec.ingress[0].from[0].namespaceSelector = {};
  }],
  ['no NetworkPolicy', 'network-policy', (docs) => {
    docs.splice(docs.indexOf(documentOf(docs, 'NetworkPolicy')), 1);
  }],
  ["the overlay raises the base's memory limit", 'overlay-keeps-base', (docs) => {
    containerOf(docs).resources.limits.memory = '4Gi';
  }],
  ["the overlay drops the base's liveness probe", 'overlay-keeps-base', (docs) => {
    delete containerOf(docs).livenessProbe;
  }],
  ["the overlay changes the base's --threads", 'overlay-keeps-base', (docs) => {
    replaceArg(docs, '--threads', '2');
  }],
  ['the overlay inserts an argument among the base\'s', 'overlay-keeps-base', (docs) => {
    containerOf(docs).args.splice(1, 0, '--feedback-per-minute', '60');
  }],
  ["the overlay changes the base's HPA", 'overlay-keeps-base', (docs) => {
    documentOf(docs, 'HorizontalPodAutoscaler').spec.maxReplicas = 20;
  }],
  ["the overlay drops the base's PDB", 'overlay-keeps-base', (docs) => {
    docs.splice(docs.indexOf(documentOf(docs, 'PodDisruptionBudget')), 1);
  }],
  ['the StatefulSet without the part-of label', 'labels', (docs) => {
    delete statefulSetOf(docs).metadata.labels[PART_OF];
  }],
  ['the claim template labelled for another application', 'labels', (docs) => {
    statefulSetOf(docs).spec.volumeClaimTemplates[0].metadata.labels[NAME_LABEL] = 'postgresql';
  }],
  ['the StatefulSet misspells a field (volumeClaimTemplate)', 'schema', (docs) => {
    const spec = statefulSetOf(docs).spec;
    spec.volumeClaimTemplate = spec.volumeClaimTemplates;
    delete spec.volumeClaimTemplates;
  }],
];

// ---- Main --------------------------------------------------------------------------------------------

const RENDER_PROMISE = 'kubectl kustomize and this script resolve the kustomization alike';

// The documents `kubectl apply -k DIR` would send: kubectl's rendering where kubectl exists (checked
// against this script's resolver), this script's otherwise. `label` prefixes the report's lines.
function render(dir, label) {
  let own;
  try {
    own = resolveKustomization(dir);
  } catch (error) {
    report(false, `${label}${RENDER_PROMISE}`, error.message);
  }
  if (!config.useKubectl || !kubectlAvailable()) {
    const why = config.useKubectl ? 'kubectl is not installed' : '--no-kubectl';
    note(`${label}${why}: the kustomization is resolved by this script alone`);
    return own;
  }
  let rendered;
  try {
    rendered = execFileSync('kubectl', ['kustomize', dir],
      { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    report(false, `${label}${RENDER_PROMISE}`, `kubectl kustomize failed: ${String(error.stderr || error.message).trim()}`);
    return undefined;
  }
  const documents = parseYamlDocuments(rendered, 'kubectl kustomize');
  if (own) {
    const differing = differingDocuments(documents, own);
    report(differing.length === 0, `${label}${RENDER_PROMISE}`,
      differing.length ? `they differ in ${differing.join('; ')}` : `${documents.length} documents`);
  }
  return documents;
}

// A multipart/form-data body: text fields and one PNG `file`.
function multipartBody(fields, png) {
  const boundary = `check-k8s-${randomBytes(8).toString('hex')}`;
  const parts = Object.entries(fields).map(([name, value]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stroke.png"\r\n` +
    'Content-Type: image/png\r\n\r\n'), png, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } };
}
const parseJson = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

// The read-only root filesystem: digit-server, traced from the entry point on while it answers every GET
// route and one prediction (and, with `feedback`, keeps and lists a correction), must open no file for
// writing. And the trace reader must see a write in a trace that has one.
async function checkWritesNothing(documents, image, { label = '', feedback = null } = {}) {
  const promise = `${label}digit-server writes no file (the root filesystem is read-only, no writable volume)`;
  if (!straceWorks()) {
    note(`${label}strace cannot run here: whether digit-server writes files is not checked`);
    return;
  }
  const pod = deploymentOf(documents).spec.template.spec;
  const traced = await startServer(containerOf(documents), image, { trace: true, documents, pod });
  if (traced.error) {
    report(false, promise, traced.error);
    return;
  }
  for (const path of ['/healthz', '/readyz', '/model', '/metrics', '/']) await httpExchange(traced.ports.api, path);
  if (traced.ports.ui) await httpExchange(traced.ports.ui, '/');
  const predicted = await httpExchange(traced.ports.api, '/predict',
    { method: 'POST', body: strokePng(), headers: { 'Content-Type': 'image/png' } });
  let kept = null;
  if (feedback) {
    const { body, headers } = multipartBody({ label: '1', kind: 'digit', consent: 'true' }, strokePng());
    kept = await httpExchange(traced.ports.api, '/feedback', { method: 'POST', body, headers });
    await httpExchange(traced.ports.api, '/feedback', { headers: { Authorization: `Bearer ${feedback.token}` } });
  }
  await stop(traced.child);
  const log = readFileSync(traced.traceLog, 'utf8');
  const writes = writesInTrace(log);
  const sawModel = log.includes(`"${config.model}"`);
  report(predicted.status === 200 && sawModel && writes.length === 0 && (!kept || kept.status === feedback.status), promise,
    predicted.status !== 200 ? `/predict answered ${predicted.status}`
      : kept && kept.status !== feedback.status ? `POST /feedback answered ${kept.status}, not ${feedback.status}: ${kept.body.slice(0, 120)}`
        : !sawModel ? 'the trace does not show the model being read: strace saw nothing'
          : writes.length ? writes.slice(0, 5).join('; ')
            : kept ? `POST /feedback ${kept.status} included` : '');

  if (label) return;
  const sample = '7 openat(AT_FDCWD, "/tmp/upload-1", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 5\n' +
    '7 mkdir("/app/cache", 0777) = -1 EROFS (Read-only file system)\n' +
    '7 openat(AT_FDCWD, "/dev/null", O_RDWR|O_CLOEXEC) = 6\n';
  const seen = writesInTrace(sample);
  report(seen.length === 2, 'caught: a server that would write /tmp/upload-1 and create /app/cache', seen.join('; '));
}

// A PostgreSQL of the test's own (tests/support/postgres.sh, Debian's postgresql), standing in for the
// overlay's StatefulSet: its URL, or undefined where none can start.
let postgresDir;
function startPostgres() {
  const script = join(config.root, 'tests/support/postgres.sh');
  if (!existsSync(script)) return undefined;
  postgresDir = mkdtempSync(join(tmpdir(), 'check-k8s-postgres-'));
  try {
    return execFileSync('bash', [script, 'start', postgresDir], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] })
      .trim().split('\n').at(-1);
  } catch (error) {
    note(`PostgreSQL does not start here (${String(error.stderr || error.message).trim().split('\n').at(-1)})`);
    return undefined;
  }
}
function stopPostgres() {
  if (!postgresDir) return;
  try {
    execFileSync('bash', [join(config.root, 'tests/support/postgres.sh'), 'stop', postgresDir], { stdio: 'ignore', timeout: 30_000 });
  } catch {}
  rmSync(postgresDir, { recursive: true, force: true });
}

// The overlay's server, started as its pods start: as shipped (the placeholders) it must refuse to start;
// with the operator's values it keeps corrections in PostgreSQL and lists them for the admin token.
async function checkOverlayLive(documents, image, { label, postgresUrl }) {
  const pod = deploymentOf(documents).spec.template.spec;
  const container = containerOf(documents);
  const shipped = await startServer(container, image, { documents, pod, asShipped: true });
  report(Boolean(shipped.error) && /admin-token-file/.test(shipped.stderr ?? ''),
    `${label}as shipped (placeholders not replaced) the pod does not start: digit-server refuses the placeholder token`,
    shipped.error ? shipped.error : 'it started, serving with the published placeholder token');

  const tokenSource = adminTokenSource({ server: container, args: (container.args ?? []).map(String), podSpec: pod, documents });
  const token = operatorValues.get(`${tokenSource.secret?.metadata?.name}/${tokenSource.key}`);
  const live = await startServer(container, image, { documents, pod });
  const promise = postgresUrl
    ? `${label}with the Secrets filled in, corrections go to PostgreSQL: POST /feedback 201, GET /feedback lists it (engine postgresql), 401 without the token`
    : `${label}with the Secrets filled in, corrections are on: GET /model says so, POST /feedback answers 503 while the database is unreachable`;
  if (live.error || !token) {
    report(false, promise, live.error ?? tokenSource.problem ?? 'no admin token');
    return null;
  }
  const problems = [];
  const model = parseJson((await httpExchange(live.ports.api, '/model')).body);
  if (model?.feedback?.enabled !== true) problems.push(`GET /model: feedback ${json(model?.feedback)}`);
  const { body, headers } = multipartBody({ label: '1', kind: 'digit', consent: 'true' }, strokePng());
  const kept = await httpExchange(live.ports.api, '/feedback', { method: 'POST', body, headers });
  if (postgresUrl) {
    const answer = parseJson(kept.body);
    if (kept.status !== 201 || !/^[0-9a-f]{32}$/.test(answer?.id ?? '')) problems.push(`POST /feedback: ${kept.status} ${kept.body.slice(0, 120)}`);
    const listed = await httpExchange(live.ports.api, '/feedback', { headers: { Authorization: `Bearer ${token}` } });
    const list = parseJson(listed.body);
    if (listed.status !== 200 || list?.engine !== 'postgresql' || !list.corrections?.some((c) => c.id === answer?.id)) {
      problems.push(`GET /feedback: ${listed.status} ${listed.body.slice(0, 160)}`);
    }
    const anonymous = await httpExchange(live.ports.api, '/feedback');
    if (anonymous.status !== 401) problems.push(`GET /feedback without the token: ${anonymous.status}`);
  } else if (kept.status !== 503 || !kept.headers?.['retry-after']) {
    problems.push(`POST /feedback with the database unreachable: ${kept.status} ${kept.body.slice(0, 120)}`);
  }
  report(problems.length === 0, promise, problems.join('; '));
  return { token, status: postgresUrl ? 201 : 503 };
}

// Every rule, then the checks' own mutations, for one rendering.
async function checkRendering(documents, image, { label, rules, base, mutations }) {
  const problems = await checkManifests(structuredClone(documents), image, rules, base);
  for (const rule of rules) report(problems[rule.id].length === 0, `${label}${rule.promise}`, problems[rule.id].join('; '));
  return async () => {
    for (const [what, expected, mutate] of mutations) {
      const mutated = structuredClone(documents);
      mutate(mutated);
      const found = await checkManifests(mutated, image, rules, base);
      const caughtBy = Object.keys(found).filter((id) => found[id].length > 0);
      report(caughtBy.includes(expected), `${label}caught: ${what}`, caughtBy.includes(expected)
        ? `${expected}: ${found[expected][0]}`
        : `not caught by "${expected}" (caught by: ${caughtBy.join(', ') || 'nothing'})`);
    }
  };
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

  // The base (deploy/k8s): stateless.
  const documents = render(config.manifests, '');
  if (!documents) return 1;
  note(`rendered: ${documents.map(identity).join(', ')}`);
  const baseMutations = await checkRendering(documents, image, { label: '', rules: [...RULES, ...BASE_RULES], base: [], mutations: MUTATIONS });
  await checkWritesNothing(documents, image);
  await baseMutations();

  // The postgres overlay: the base plus PostgreSQL, corrections on.
  const label = 'postgres overlay: ';
  const overlay = render(config.overlay, label);
  if (!overlay) return 1;
  note(`${label}rendered: ${overlay.map(identity).join(', ')}`);
  const postgresUrl = startPostgres();
  note(postgresUrl ? `${label}the Secret's URL is replaced by a PostgreSQL of the test's own, ${postgresUrl}`
    : `${label}no PostgreSQL of the test's own: the Secret's URL is kept (unreachable here)`);
  operatorValues = operatorValuesFor(overlay, postgresUrl);
  const overlayMutations = await checkRendering(overlay, image,
    { label, rules: [...RULES, ...OVERLAY_RULES], base: documents, mutations: OVERLAY_MUTATIONS });
  const feedback = await checkOverlayLive(overlay, image, { label, postgresUrl });
  if (feedback) await checkWritesNothing(overlay, image, { label, feedback });

  // The resolver's JSON patches refuse a patch written for another document (their `test` operations).
  const other = structuredClone(deploymentOf(documents));
  other.spec.template.spec.containers[0].name = 'sidecar';
  let refused = '';
  try {
    applyJsonPatch(other, YAML.parse(readFileSync(join(config.overlay, 'deployment-feedback.yaml'), 'utf8')), 'the overlay patch');
  } catch (error) {
    refused = error.message;
  }
  report(/test/.test(refused), `${label}caught: the overlay's patch applied to a Deployment whose first container is another`, refused);

  await overlayMutations();
  return failed === 0 ? 0 : 1;
}

let status = 1;
try {
  status = await main();
} catch (error) {
  console.error(`check-k8s: ${error.stack ?? error}`);
} finally {
  await stopAll();
  stopPostgres();
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`deploy-k8s: ${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
