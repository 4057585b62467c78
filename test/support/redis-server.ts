import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';
import { sleep } from './wait-for';

/**
 * A real Redis for the revocation suites: `redis-server` started per suite on a free port of
 * 127.0.0.1 with its own temp dir and no persistence unless asked (`SAVE`), or the server of
 * `REDIS_URL`. Where neither exists, the suites are skipped with a loud line; `REQUIRE_REDIS=1`
 * (set by `.ci/run`) turns that skip into a failure.
 */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Whether this suite started it (and may kill and restart it). */
  readonly owned: boolean;
  /** The server's pid, when owned. */
  readonly pid: number | undefined;
  /** SIGKILL, by pid: an outage, not a shutdown. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir (a `SAVE`d dump.rdb is loaded). */
  restart(): Promise<void>;
  /** Stops it and removes its dir (owned); nothing for `REDIS_URL`. */
  stop(): Promise<void>;
}

const REDIS_SERVER = 'redis-server';

/** How the suites get a Redis here: `url` (REDIS_URL), `spawn` (redis-server on PATH) or `none`. */
export const redisMode: 'url' | 'spawn' | 'none' = process.env.REDIS_URL
  ? 'url'
  : spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0
    ? 'spawn'
    : 'none';

/**
 * `describe` for a suite that needs Redis (`needs: 'own'`: one it can kill, so not REDIS_URL). Skips
 * it loudly when there is none, fails it when `REQUIRE_REDIS=1`.
 */
export function describeWithRedis(name: string, fn: () => void, needs: 'any' | 'own' = 'any'): void {
  const available = needs === 'own' ? redisMode === 'spawn' : redisMode !== 'none';
  if (available) {
    describe(name, fn);
    return;
  }
  const why =
    needs === 'own' && redisMode === 'url'
      ? 'it kills and restarts its own redis-server, which REDIS_URL cannot give it'
      : 'no redis-server on PATH and no REDIS_URL';
  const how =
    'install Redis (apt-get install redis-server) or set REDIS_URL=redis://127.0.0.1:6379 for a server you have';
  if (process.env.REQUIRE_REDIS === '1') {
    describe(name, () => {
      it('needs Redis (REQUIRE_REDIS=1)', () => {
        throw new Error(`REQUIRE_REDIS=1 but ${why}: ${how}`);
      });
    });
    return;
  }
  // Straight to stderr: Jest does not show the console output of a suite whose tests all skip.
  process.stderr.write(
    `\n!!! SKIPPED (needs Redis): "${name}": ${why}.\n!!! To run it: ${how}; CI sets REQUIRE_REDIS=1.\n\n`,
  );
  describe.skip(name, fn);
}

/** The suite's Redis: a new `redis-server`, or the one of `REDIS_URL`. */
export async function startRedis(): Promise<RedisServer> {
  if (redisMode === 'url') {
    const url = process.env.REDIS_URL!;
    return {
      url,
      port: Number(new URL(url).port || 6379),
      owned: false,
      pid: undefined,
      kill: () => Promise.reject(new Error('REDIS_URL: not ours to kill')),
      restart: () => Promise.reject(new Error('REDIS_URL: not ours to restart')),
      stop: async () => undefined,
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'nca-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await untilListening(port);
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    process.kill(running.pid!, 'SIGKILL');
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    owned: true,
    get pid() {
      return child?.pid;
    },
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits (at most 5 s) until something accepts connections on the port. */
async function untilListening(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`redis-server did not listen on 127.0.0.1:${port} within 5 s`);
}

/** A key prefix of its own per suite, so suites sharing a REDIS_URL server do not see each other. */
export function uniquePrefix(name: string): string {
  return `nca-test:${name}:${process.pid}:${Date.now()}:`;
}
