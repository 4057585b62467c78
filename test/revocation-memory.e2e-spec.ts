import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CognitoAuthModule, CognitoRevocationService, RedisRevocationStore } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { describeWithRedis, startRedis, uniquePrefix, type RedisServer } from './support/redis-server';
import { getWithToken } from './support/requests';
import { sleep, waitFor } from './support/wait-for';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const MB = 1024 * 1024;
const COUNT = 100_000;
/** Seconds until the revoked tokens expire: long enough to write them all, short enough to watch them go. */
const LIFETIME_S = 45;

async function countKeys(redis: Redis, prefix: string): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/**
 * 100,000 revocations through the Redis store, learnt by a second instance by push and loaded by a
 * third started afterwards: the memory they take, and that expired entries leave memory and Redis. `REPORT_MEMORY=1` prints the figures
 * (docs/revocation.md quotes them).
 */
describeWithRedis('revocation memory', () => {
  let redis: RedisServer;
  let admin: Redis;
  let issuer: CognitoTestIssuer;
  let prefix: string;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
    issuer = await CognitoTestIssuer.start();
    prefix = uniquePrefix('memory');
  });

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    admin.disconnect();
    await issuer.stop();
    await redis.stop();
  });

  async function start() {
    const store = new RedisRevocationStore({ url: redis.url }, { keyPrefix: prefix });
    const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ revocation: { store } })), [
      GuardedController,
    ]);
    apps.push(app);
    return { app, revocations: app.get(CognitoRevocationService) };
  }

  it(`holds ${COUNT.toLocaleString('en')} revocations in bounded memory, and drops them from memory and Redis once expired`, async () => {
    const writer = await start();
    const reader = await start();
    const heapBefore = heapUsed();
    const rssBefore = process.memoryUsage().rss;
    const redisBefore = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);

    const exp = Math.floor(Date.now() / 1000) + LIFETIME_S;
    const started = Date.now();
    // In batches: the way a bench or a backfill would load many (one write each, pipelined).
    for (let done = 0; done < COUNT; done += 1000) {
      await Promise.all(Array.from({ length: 1000 }, () => writer.revocations.revokeToken({ jti: randomUUID(), exp })));
    }
    const written = Date.now() - started;
    // The reader learns them by push. Bounded: 500 × 20 ms after the last write.
    await waitFor(() => reader.revocations.size === COUNT, 500);
    expect(writer.revocations.size).toBe(COUNT);
    expect(await countKeys(admin, prefix)).toBe(COUNT);
    if (redis.owned) expect(await admin.dbsize()).toBe(COUNT);

    // An instance started now loads the whole set (SCAN + GETs) before it serves.
    // (Still well before they expire, or it would load fewer.)
    expect(exp * 1000 - Date.now()).toBeGreaterThan(5000);
    const loadStarted = Date.now();
    const late = await start();
    const loaded = Date.now() - loadStarted;
    expect(late.revocations.size).toBe(COUNT);
    if (process.env.REPORT_MEMORY)
      console.info(`an instance started with ${COUNT} entries in Redis loaded them in ${loaded} ms`);

    const heapGrowth = heapUsed() - heapBefore;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    const redisGrowth = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]) - redisBefore;
    // Three instances hold the set in this process (a closed one could stay referenced by Nest's
    // globals until the next app is created, which would blur the figures: all three stay open).
    const perEntry = heapGrowth / (3 * COUNT);
    if (process.env.REPORT_MEMORY) {
      console.info(
        `${COUNT} revocations written in ${written} ms; heap growth ${(heapGrowth / MB).toFixed(1)} MB for 3 instances ` +
          `(${perEntry.toFixed(0)} B per entry per instance), RSS growth ${(rssGrowth / MB).toFixed(1)} MB, ` +
          `Redis used_memory growth ${(redisGrowth / MB).toFixed(1)} MB (${(redisGrowth / COUNT).toFixed(0)} B per entry)`,
      );
    }
    // Generous bound for three instances' sets (measured about a third of it).
    expect(heapGrowth).toBeLessThan(120 * MB);

    // A revoked one is refused, a fresh token passes: the lookups stay lookups.
    expect((await getWithToken(reader.app, '/me', issuer.accessToken())).status).toBe(200);

    // Redis drops them by their TTL; each instance's pruning (once a minute, run here at once) drops
    // them from memory. Bounded: LIFETIME_S plus 20 s for Redis's active expiry.
    for (let attempt = 0; attempt < (LIFETIME_S + 20) * 2 && (await countKeys(admin, prefix)) > 0; attempt++) {
      await sleep(500);
    }
    expect(await countKeys(admin, prefix)).toBe(0);
    if (redis.owned) expect(await admin.dbsize()).toBe(0);
    while (Date.now() <= exp * 1000) await sleep(100);
    for (const instance of [writer, reader, late]) instance.revocations.pruneExpired();
    expect([writer.revocations.size, reader.revocations.size, late.revocations.size]).toEqual([0, 0, 0]);
    const heapAfter = heapUsed() - heapBefore;
    if (process.env.REPORT_MEMORY)
      console.info(`heap growth once expired and pruned: ${(heapAfter / MB).toFixed(1)} MB`);
    expect(heapAfter).toBeLessThan(heapGrowth / 4);
  }, 240_000);
});
