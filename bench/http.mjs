/**
 * HTTP benchmark: for each contender a Nest app in its own process (http/server.mjs) and autocannon
 * in another (http/load.mjs), both on 127.0.0.1. Per contender: a cold start with 1,000 concurrent
 * requests (JWKS fetches counted), a correctness gate, then timed runs with tokens rotating over
 * 1,000 and with every token new. Rounds are interleaved; figures are medians over rounds.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import { median, rotate, round } from './lib/stats.mjs';

/** The revocation row runs on a redis-server of its own, started here on loopback (issue 16). */
export const REVOCATION_ROW = 'nest-cognito-auth (revocation, Redis, 10,000 entries)';
export const HTTP_CONTENDERS = [
  'unguarded',
  'no-op guard',
  'sets-user guard',
  'nest-cognito-auth',
  'nest-cognito-auth (cache: false)',
  'nest-cognito-auth (metrics on)',
  REVOCATION_ROW,
  'hand-rolled',
  'passport-jwt floor',
  '@nestjs-cognito/auth',
];
/** A redis-server on a free loopback port, in a temp dir, nothing persisted; null without one on PATH. */
async function startRedis(log) {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    log('  no redis-server on PATH: the revocation row is skipped (apt-get install redis-server)');
    return null;
  }
  const port = await new Promise((resolve) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address();
      probe.close(() => resolve(free));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Token modes of the timed runs: `--modes` picks some of them. */
export const HTTP_MODES = ['rotating', 'distinct'];

/** Rows that verify nothing: their gate only asks for a 200 with a valid token. */
const VERIFIES_NOTHING = new Set(['unguarded', 'no-op guard', 'sets-user guard']);
/** Ceiling rows: a token is never verified, so "every token new" would only repeat "rotating". */
const ROTATING_ONLY = new Set(['no-op guard', 'sets-user guard']);
/** Our module's rows (bold in the report). */
export const isOurs = (name) => name.startsWith('nest-cognito-auth');
const FORGERIES = ['signature', 'iss', 'kid', 'foreign-key'];
const here = new URL('.', import.meta.url).pathname;

function startServer(name, issuer, cpuProfDir, redisUrl) {
  const child = fork(join(here, 'http/server.mjs'), [name], {
    // `--cpu-prof NAME`: V8 writes a .cpuprofile of this server when it exits (open it in Chrome DevTools).
    execArgv: cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [],
    env: {
      ...process.env,
      BENCH_ISSUER: JSON.stringify({
        jwksUri: issuer.jwksUri,
        jwksUriHttps: issuer.jwksUriHttps,
        httpsError: issuer.httpsError,
      }),
      ...(redisUrl ? { BENCH_REDIS_URL: redisUrl } : {}),
      // @nestjs-cognito/auth fetches over HTTPS only; this makes the loopback certificate trusted there.
      ...(issuer.certFile ? { NODE_EXTRA_CA_CERTS: issuer.certFile } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: server did not start in 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${name}: server exited with ${code}`)));
    child.once('message', (message) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        child,
        url: `http://127.0.0.1:${message.ready}/hello`,
        mark: () =>
          new Promise((res) => {
            child.once('message', (m) => res(m.mark));
            child.send('mark');
          }),
        stop: () =>
          new Promise((res) => {
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              res();
            });
            child.send('stop');
          }),
      });
    });
  });
}

function get(url, token, agent) {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', (error) => resolve(`error: ${error.code ?? error.message}`));
    req.end();
  });
}

function runLoad(job) {
  const child = fork(join(here, 'http/load.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (result) => {
      child.kill();
      resolve(result);
    });
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    child.send(job);
  });
}

function countBy(values) {
  const counts = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/**
 * Runs the HTTP stage.
 * @param scale { rounds, duration (s), warmup (s), connections, distinctTokens, coldRequests }
 */
export async function runHttp(options) {
  const redis = options.contenders?.includes(REVOCATION_ROW) === false ? null : await startRedis(options.log);
  const contenders = (options.contenders ?? HTTP_CONTENDERS).filter((name) => redis || name !== REVOCATION_ROW);
  try {
    return await runContenders({ ...options, contenders, redisUrl: redis?.url });
  } finally {
    await redis?.stop();
  }
}

async function runContenders({ issuer, signer, scale, log, workDir, contenders, cpuProf, redisUrl, modes: only }) {
  const rotateOver = 1000;
  const warmupTokens = Math.max(scale.coldRequests, Math.ceil(scale.distinctTokens * 0.1));
  const total = scale.distinctTokens + warmupTokens;
  const signStart = signer.elapsedMs;
  const tokens = await signer.signAll(total);
  const signingSeconds = round((signer.elapsedMs - signStart) / 1000, 1);
  log(`  signed ${tokens.length} distinct tokens in ${signingSeconds} s`);
  const tokensFile = join(workDir, 'http-tokens.txt');
  writeFileSync(tokensFile, tokens.join('\n'));
  const timedSlice = { start: 0, end: scale.distinctTokens };
  const warmupSlice = { start: scale.distinctTokens, end: total };

  const perContender = Object.fromEntries(contenders.map((name) => [name, { cold: null, gate: null, runs: [] }]));

  // Cold start: a fresh server, 1,000 requests at once, each with its own valid token. Fetches are
  // counted from the server's start: a module that prefetches keys at bootstrap fetches before the
  // first request, and that fetch counts.
  for (const name of contenders) {
    if (ROTATING_ONLY.has(name)) continue;
    const before = issuer.totalFetches();
    const server = await startServer(name, issuer, undefined, redisUrl);
    const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
    const statuses = await Promise.all(
      tokens.slice(warmupSlice.start, warmupSlice.start + scale.coldRequests).map((t) => get(server.url, t, agent)),
    );
    perContender[name].cold = {
      requests: scale.coldRequests,
      statuses: countBy(statuses),
      jwksFetches: issuer.totalFetches() - before,
    };
    await server.stop();
    log(`  cold ${name}: ${JSON.stringify(perContender[name].cold)}`);
  }

  const modes = [
    { mode: 'rotating', label: `tokens rotating over ${rotateOver.toLocaleString('en-US')}` },
    { mode: 'distinct', label: 'every token new' },
  ].filter((m) => only === undefined || only.includes(m.mode));
  for (let r = 0; r < scale.rounds; r++) {
    for (const name of rotate(contenders, r)) {
      for (const m of modes) {
        if (m.mode !== 'rotating' && ROTATING_ONLY.has(name)) continue;
        const profiled = cpuProf?.names.includes(name)
          ? join(cpuProf.dir, `${name.replace(/\W+/g, '-')}-${m.mode}`)
          : undefined;
        const server = await startServer(name, issuer, profiled, redisUrl);
        try {
          // Correctness gate, on every server before it is timed (which also warms its JWKS): a
          // valid token passes, forged ones and none get 401.
          const valid = await get(server.url, issuer.token());
          const forged = {};
          for (const kind of FORGERIES) forged[kind] = await get(server.url, issuer.forged(kind));
          const missing = await get(server.url, null);
          const guarded = !VERIFIES_NOTHING.has(name);
          const pass =
            valid === 200 && (!guarded || (Object.values(forged).every((s) => s === 401) && missing === 401));
          const gate = { valid, forged, missing, pass };
          if (!perContender[name].gate || !pass) perContender[name].gate = gate;
          if (r === 0 || !pass) log(`  gate ${name} (${m.mode}): ${JSON.stringify(gate)}`);
          const base = { url: server.url, tokensFile, connections: scale.connections };
          const load = m.mode === 'rotating' ? { rotate: rotateOver } : {};
          if (scale.warmup > 0)
            await runLoad({ ...base, ...(m.mode === 'rotating' ? load : warmupSlice), duration: scale.warmup });
          const fetchesBefore = issuer.totalFetches();
          const before = await server.mark();
          const result = await runLoad({
            ...base,
            ...(m.mode === 'rotating' ? load : timedSlice),
            duration: scale.duration,
          });
          const after = await server.mark();
          const served = after.requests - before.requests;
          perContender[name].runs.push({
            round: r,
            mode: m.mode,
            ...result,
            served,
            cpuPerRequestUs: served > 0 ? (after.cpu - before.cpu) / served : null,
            jwksFetches: issuer.totalFetches() - fetchesBefore,
            rssMB: round(after.rss / 2 ** 20, 1),
          });
        } finally {
          await server.stop();
        }
      }
    }
    log(`  round ${r + 1}/${scale.rounds} done`);
  }

  const rows = [];
  for (const m of modes) {
    const baseline = perContender.unguarded?.runs.filter((run) => run.mode === m.mode) ?? [];
    for (const name of contenders) {
      const runs = perContender[name].runs.filter((run) => run.mode === m.mode);
      if (runs.length === 0) continue;
      const ratios = runs
        .map((run) => {
          const base = baseline.find((b) => b.round === run.round);
          return base ? run.rps / base.rps : NaN;
        })
        .filter(Number.isFinite);
      const gate = perContender[name].gate;
      rows.push({
        mode: m.mode,
        modeLabel: m.label,
        contender: name,
        ours: isOurs(name),
        void: !gate?.pass || runs.some((run) => run.errors > 0 || run.non2xx > 0),
        gate,
        cold: perContender[name].cold,
        rps: round(median(runs.map((run) => run.rps)), 0),
        p99Ms: round(median(runs.map((run) => run.p99)), 1),
        cpuPerRequestUs: round(median(runs.map((run) => run.cpuPerRequestUs)), 0),
        ratioToUnguarded: round(median(ratios), 3),
        jwksFetchesDuringRuns: runs.reduce((sum, run) => sum + run.jwksFetches, 0),
        non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
        tokensWrapped: runs.some((run) => run.wrapped),
        runs,
      });
    }
  }
  return { scale, rotateOver, tokensSigned: tokens.length, signingSeconds, rows };
}
