/**
 * Where a server's CPU went, from a V8 CPU profile that `npm run bench -- --cpu-prof NAME` wrote: busy
 * time by part (this module, jsonwebtoken + jws + jwa, passport-jwt, @nestjs/passport, Nest, Express,
 * Node's own JS, the RSA check and other native crypto, GC), then this module's functions.
 *
 *   node bench/profile-summary.mjs FILE.cpuprofile [--us N] [--top K]
 *
 * `--us N` scales shares to µs per request, N being the row's "server CPU µs/req" in the same run's
 * results (the profiler slows the server, so compare parts within one profile, not across runs).
 * Idle time is left out, and so is module loading at start (any sample with Node's module loader on
 * its stack), which a short run would otherwise charge to its few requests.
 */
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--') && !/^\d+$/.test(arg));
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
if (!file) {
  console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--us N] [--top K]');
  process.exit(2);
}
const perRequest = option('--us', 0);
const top = option('--top', 15);

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

/** The npm package a script URL belongs to (the innermost node_modules), or null. */
function packageOf(url) {
  const at = url.lastIndexOf('node_modules/');
  if (at === -1) return null;
  const rest = url.slice(at + 'node_modules/'.length).split('/');
  return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

const PARTS = [
  [
    /^(jsonwebtoken|jws|jwa|safe-buffer|buffer-equal-constant-time|ecdsa-sig-formatter)$/,
    'jsonwebtoken + jws + jwa (JS)',
  ],
  [/^passport-jwt$/, 'passport-jwt'],
  [/^passport$/, 'passport'],
  [/^@nestjs\/passport$/, '@nestjs/passport'],
  [/^(@nestjs\/core|@nestjs\/common|@nestjs\/platform-express|rxjs|reflect-metadata|tslib)$/, 'Nest'],
  [
    /^(express|router|body-parser|finalhandler|send|etag|content-type|type-is|mime-types|mime-db|on-finished|parseurl|qs|path-to-regexp|debug|ms|accepts|negotiator|raw-body|iconv-lite|cookie|vary|proxy-addr|fresh|range-parser|depd|statuses|http-errors|encodeurl|escape-html|content-disposition|merge-descriptors|methods|utils-merge|setprototypeof|inherits|safer-buffer|bytes|unpipe|ee-first|media-typer|forwarded|ipaddr.js|side-channel|object-inspect|get-intrinsic|call-bind|es-errors|function-bind|hasown)$/,
    'Express',
  ],
  [/^(aws-jwt-verify|@nestjs-cognito\/auth|@nestjs-cognito\/core)$/, '@nestjs-cognito/auth + aws-jwt-verify'],
  [/^(jwks-rsa|jose)$/, 'jwks-rsa + jose'],
  [/^@opentelemetry\//, 'OpenTelemetry'],
];

/** The part a sample's time is charged to: its own frame's, or for a native frame its caller's. */
function partOf(id) {
  const self = nodes.get(id);
  const name = self.callFrame.functionName;
  if (name === '(idle)') return null;
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'V8 (program)';
  for (let at = id; at !== undefined; at = parents.get(at)) {
    if (nodes.get(at).callFrame.url.startsWith('node:internal/modules/')) return 'start: module loading';
  }
  for (let at = id; at !== undefined; at = parents.get(at)) {
    const { url } = nodes.get(at).callFrame;
    if (!url) continue;
    if (url.startsWith('node:internal/crypto/') || url === 'node:crypto') return 'native crypto (RSA check, hashes)';
    if (url.startsWith('node:')) return "Node's own JS and natives (HTTP, streams, buffers)";
    const pkg = packageOf(url);
    if (pkg === null) return url.includes('/dist/') ? 'nest-cognito-auth (dist/)' : 'bench harness';
    for (const [pattern, part] of PARTS) if (pattern.test(pkg)) return part;
    return `other: ${pkg}`;
  }
  return 'V8 (no script)';
}

const byPart = new Map();
const ours = new Map();
let busy = 0;
profile.samples.forEach((id, index) => {
  const part = partOf(id);
  if (part === null || part === 'start: module loading') return;
  const delta = profile.timeDeltas[index];
  busy += delta;
  byPart.set(part, (byPart.get(part) ?? 0) + delta);
  if (part === 'nest-cognito-auth (dist/)') {
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url.slice(url.indexOf('/dist/') + 1)}:${lineNumber + 1}`;
    ours.set(key, (ours.get(key) ?? 0) + delta);
  }
});

const show = (time) =>
  `${((time / busy) * 100).toFixed(1).padStart(5)}%${perRequest ? `  ${((time / busy) * perRequest).toFixed(1).padStart(6)} µs/req` : ''}`;
console.log(`busy CPU by part (${file}; module loading at start left out):`);
for (const [part, time] of [...byPart].sort((a, b) => b[1] - a[1])) console.log(`  ${show(time)}  ${part}`);
console.log(`\nnest-cognito-auth's own functions (self time), top ${top}:`);
for (const [key, time] of [...ours].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${show(time)}  ${key}`);
