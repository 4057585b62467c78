import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import {
  CognitoAuthModule,
  CognitoRevocationService,
  RedisRevocationStore,
  RevocationStoreUnavailableError,
  type CognitoRevocationOptions,
} from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { describeWithRedis, startRedis, uniquePrefix, type RedisServer } from './support/redis-server';
import { freePort } from './support/processes';
import { getWithToken } from './support/requests';
import { waitFor } from './support/wait-for';

/** Keys of `prefix` in the real Redis, read with SCAN (not DBSIZE: a REDIS_URL server may hold others). */
async function keysOf(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

describeWithRedis('revocation (Redis store, apps in this process)', () => {
  let redis: RedisServer;
  let admin: Redis;
  let issuer: CognitoTestIssuer;
  let prefix: string;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    issuer = await CognitoTestIssuer.start();
  });

  beforeEach(() => {
    prefix = uniquePrefix('in-process');
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    admin.disconnect();
    await issuer.stop();
    await redis.stop();
  });

  async function start(store?: RedisRevocationStore, options: Partial<CognitoRevocationOptions> = {}) {
    const revocation = {
      ...options,
      store: store ?? new RedisRevocationStore({ url: redis.url }, { keyPrefix: prefix }),
    };
    const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ revocation })), [GuardedController]);
    apps.push(app);
    return { app, revocations: app.get(CognitoRevocationService) };
  }

  const status = async (app: INestApplication, token: string) => (await getWithToken(app, '/me', token)).status;

  it('shares a revocation with the other instances within 1 s, and one started later loads it', async () => {
    const [a, b, c] = [await start(), await start(), await start()];
    const token = issuer.accessToken({ claims: { sub: 'r-1' } });
    for (const { app } of [a, b, c]) expect(await status(app, token)).toBe(200);
    await a.revocations.revokeUser('r-1');
    expect(await status(a.app, token)).toBe(401);
    // 50 × 20 ms: within 1 s.
    await waitFor(async () => (await status(b.app, token)) === 401 && (await status(c.app, token)) === 401, 50);
    const later = await start();
    expect(await status(later.app, token)).toBe(401);
  });

  it('writes one key per entry with its TTL, and Redis drops it once the token has expired', async () => {
    const { app, revocations } = await start();
    const token = issuer.accessToken({ expiresIn: 2, claims: { origin_jti: 'fam-1' } });
    const { jti } = (await getWithToken(app, '/me', token)).body as { jti: string };
    await revocations.revokeToken(token);
    await revocations.revokeUser('r-2');
    expect(await keysOf(admin, prefix)).toEqual([
      `${prefix}family:fam-1`,
      `${prefix}token:${jti}`,
      `${prefix}user:r-2`,
    ]);
    const ttl = await admin.pttl(`${prefix}token:${jti}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2000);
    expect(await admin.pttl(`${prefix}user:r-2`)).toBeGreaterThan(86_300_000);
    expect(JSON.parse((await admin.get(`${prefix}user:r-2`))!)).toEqual({
      before: expect.any(Number),
      expiresAt: expect.any(Number),
    });
    // Bounded: 100 × 50 ms.
    await waitFor(async () => (await keysOf(admin, prefix)).length === 2, 100);
    expect(await keysOf(admin, prefix)).toEqual([`${prefix}family:fam-1`, `${prefix}user:r-2`]);
  });

  it("takes the app's own ioredis client, and leaves it open at shutdown", async () => {
    const client = new Redis(redis.url);
    try {
      const { app, revocations } = await start(new RedisRevocationStore({ client }, { keyPrefix: prefix }));
      const other = await start();
      const token = issuer.accessToken({ claims: { sub: 'r-3' } });
      await revocations.revokeUser('r-3');
      expect(await status(app, token)).toBe(401);
      await waitFor(async () => (await status(other.app, token)) === 401, 50);
      await app.close();
      apps.splice(apps.indexOf(app), 1);
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('keeps the stronger of two revocations of one user, whatever their order', async () => {
    const { revocations } = await start();
    const now = Date.now();
    await revocations.revokeUser('r-4', { before: new Date(now) });
    await revocations.revokeUser('r-4', { before: new Date(now - 60_000) });
    expect(JSON.parse((await admin.get(`${prefix}user:r-4`))!).before).toBe(now);
  });

  it('refuses one RedisRevocationStore for two apps at start, naming revocation.store', async () => {
    const store = new RedisRevocationStore({ url: redis.url }, { keyPrefix: prefix });
    await start(store);
    await expect(start(store)).rejects.toThrow('CognitoAuthModule option "revocation.store"');
  });

  it('starts while Redis is unreachable: the last known (empty) set applies, failClosed answers 503', async () => {
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    const open = await start(new RedisRevocationStore({ url: nowhere }, { keyPrefix: prefix }));
    const strict = await start(new RedisRevocationStore({ url: nowhere }, { keyPrefix: prefix }), { failClosed: true });
    const token = issuer.accessToken();
    expect(open.revocations.isStale).toBe(true);
    expect(await status(open.app, token)).toBe(200);
    const refused = await getWithToken(strict.app, '/me', token);
    expect([refused.status, refused.body.message]).toEqual([503, 'Revocation state unavailable']);
    await expect(open.revocations.revokeUser('r-7')).rejects.toBeInstanceOf(RevocationStoreUnavailableError);
  });

  it('does not hold the start forever when Redis accepts connections but never answers (startTimeoutMs)', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `redis://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const strict = await start(new RedisRevocationStore({ url }, { keyPrefix: prefix, startTimeoutMs: 300 }), {
        failClosed: true,
      });
      expect(strict.revocations.isStale).toBe(true);
      expect((await getWithToken(strict.app, '/me', issuer.accessToken())).status).toBe(503);
      await strict.app.close();
      apps.splice(apps.indexOf(strict.app), 1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  describeWithRedis(
    'when Redis goes away',
    () => {
      it('refuses a revocation with RevocationStoreUnavailableError, goes on with the last known set, and reloads', async () => {
        const { app, revocations } = await start();
        const strict = await start(undefined, { failClosed: true });
        const revoked = issuer.accessToken({ claims: { sub: 'r-5' } });
        const fresh = issuer.accessToken({ claims: { sub: 'r-6' } });
        await revocations.revokeUser('r-5');
        await waitFor(async () => (await status(strict.app, revoked)) === 401, 50);
        // An entry the instances never hear of (no message): only a reload finds it. Saved, so the
        // restarted server has it.
        const missed = { jti: 'missed-jti', exp: Math.floor(Date.now() / 1000) + 600 };
        await admin.set(`${prefix}token:missed-jti`, JSON.stringify({ expiresAt: missed.exp * 1000 }), 'PX', 600_000);
        await admin.save();
        expect(revocations.isRevoked(missed)).toBe(false);
        admin.disconnect();

        await redis.kill();
        await waitFor(() => revocations.isStale && strict.revocations.isStale, 250);
        expect(await status(app, revoked)).toBe(401);
        expect(await status(app, fresh)).toBe(200);
        const refused = await getWithToken(strict.app, '/me', fresh);
        expect([refused.status, refused.body.message]).toEqual([503, 'Revocation state unavailable']);
        await expect(revocations.revokeUser('r-6')).rejects.toBeInstanceOf(RevocationStoreUnavailableError);
        await expect(revocations.revokeUser('r-6')).rejects.toThrow('the revocation was not recorded');

        await redis.restart();
        admin = new Redis(redis.url);
        // ioredis retries at most every 2 s: 250 × 20 ms.
        await waitFor(() => !revocations.isStale && !strict.revocations.isStale, 250);
        expect(revocations.isRevoked(missed)).toBe(true);
        expect(strict.revocations.isRevoked(missed)).toBe(true);
        expect(await status(strict.app, fresh)).toBe(200);
        expect(await status(strict.app, revoked)).toBe(401);
        await revocations.revokeUser('r-6');
        await waitFor(async () => (await status(strict.app, fresh)) === 401, 50);
      }, 60_000);
    },
    'own',
  );
});
