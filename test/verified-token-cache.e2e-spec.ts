import { Controller, Get, UseGuards, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  CognitoAuthHealth,
  CognitoAuthModule,
  CognitoGuard,
  CognitoUser,
  UserPool,
  type CognitoJwtPayload,
  type CognitoSinglePoolOptions,
} from '../src';
import { JwksKeyProvider } from '../src/jwks-key-provider';
import { CognitoTestIssuer } from '../src/testing';
import { VerifiedTokenCache } from '../src/verified-token-cache';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { fakeDateAt } from './support/fake-date';
import { getWithToken } from './support/requests';
import { machineToken } from './support/tokens';

@Controller()
@UseGuards(CognitoGuard)
class MutatingController {
  @Get('mutate')
  mutate(@CognitoUser() user: CognitoJwtPayload) {
    try {
      (user as unknown as Record<string, unknown>).username = 'someone-else';
    } catch {
      // frozen: the assignment throws in strict mode
    }
    return { username: user.username };
  }
}

/** A route only another pool's tokens may use: this pool's get 401 there. */
@Controller()
@UseGuards(CognitoGuard)
class OtherPoolController {
  @UserPool('us-east-1_OtherPool1')
  @Get('other-pool')
  otherPool() {
    return { ok: true };
  }
}

/**
 * Sends `token` to `path` twice, each answered 200: a token gets its cache entry on its second
 * acceptance (the first only marks it), so this is how a client's token comes to be cached.
 */
async function acceptTwice(app: INestApplication, path: string, token: string): Promise<void> {
  for (let i = 0; i < 2; i++) expect((await getWithToken(app, path, token)).status).toBe(200);
}

describe('the verified-token cache', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication | undefined;

  beforeEach(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    jest.useRealTimers();
    await app?.close();
    app = undefined;
    await issuer.stop();
  });

  async function start(cache?: CognitoSinglePoolOptions['cache'], overrides: Partial<CognitoSinglePoolOptions> = {}) {
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ cache, ...overrides })), [
      GuardedController,
      MutatingController,
      OtherPoolController,
    ]);
    return { app, cache: app.get(JwksKeyProvider).verifiedTokens };
  }

  /** The guard's context as Nest builds it for GuardedController.me, without the HTTP layer. */
  function contextFor(token: string): ExecutionContext {
    const request = { headers: { authorization: `Bearer ${token}` } };
    const context = new ExecutionContextHost([request, { setHeader: () => undefined }, () => undefined]);
    context.setType('http');
    Object.assign(context, { getHandler: () => GuardedController.prototype.me, getClass: () => GuardedController });
    return context;
  }

  /** The cache's fill as an operator sees it. */
  function entries(): number | undefined {
    return app?.get(CognitoAuthHealth).check().verifiedTokenCache?.entries;
  }

  it('remembers a token that passed every check, and answers it again from memory', async () => {
    const { app, cache } = await start();
    const token = issuer.accessToken();
    await acceptTwice(app, '/me', token);
    expect(cache?.size).toBe(1);
    expect(cache?.get(token)).toMatchObject({ sub: expect.any(String), token_use: 'access' });
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect(cache?.size).toBe(1);
  });

  it('[Q4] keeps a token on its second acceptance: the first is verified and leaves no entry, the third is a hit', async () => {
    const { app, cache } = await start();
    const guard = app.get(CognitoGuard);
    const token = issuer.accessToken();
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect([cache?.size, entries(), cache?.get(token)]).toEqual([0, 0, undefined]);
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect([cache?.size, entries()]).toEqual([1, 1]);
    // The third is answered from memory: a plain true, where a verification is a promise.
    expect(guard.canActivate(contextFor(token))).toBe(true);
    expect((await getWithToken(app, '/me', token)).status).toBe(200);
    expect([cache?.size, entries()]).toEqual([1, 1]);
  });

  it('answers a token from memory only when the whole token is the one kept, whatever the two share', async () => {
    const { app, cache } = await start();
    const token = issuer.accessToken();
    await acceptTwice(app, '/me', token);
    // The kept token's signature under another payload: the same end, the same key in the cache.
    const [header, , signature] = token.split('.');
    const other = issuer.accessToken({ claims: { username: 'someone-else' } }).split('.')[1];
    // Its end is the kept token's: the same slot in the cache.
    const forged = `${header}.${other}.${signature}`;
    expect(cache?.get(forged)).toBeUndefined();
    expect((await getWithToken(app, '/me', forged)).status).toBe(401);
    // The forgery neither replaced nor evicted the entry.
    expect(cache?.size).toBe(1);
    expect(cache?.get(token)).toMatchObject({ sub: expect.any(String) });
  });

  it('answers a cached token with a plain true, no promise; a miss and every refusal with a promise', async () => {
    const { app } = await start();
    const guard = app.get(CognitoGuard);
    const token = issuer.accessToken();
    // Its first two acceptances are verified (the second makes the entry), each a promise.
    for (let i = 0; i < 2; i++) {
      const miss = guard.canActivate(contextFor(token));
      expect(miss).toBeInstanceOf(Promise);
      expect(await miss).toBe(true);
    }
    // Nest awaits only what is not a boolean: a hit costs no promise here nor in Nest's guard step.
    expect(guard.canActivate(contextFor(token))).toBe(true);
    // A refusal is a rejected promise, never a throw, cached token or not.
    const refusals = [issuer.accessToken({ expiresIn: -5 }), 'not-a-token'].map((t) =>
      guard.canActivate(contextFor(t)),
    );
    for (const refusal of refusals) await expect(refusal).rejects.toMatchObject({ status: 401 });
  });

  it('never caches a refusal', async () => {
    const { app, cache } = await start();
    const expired = issuer.accessToken({ expiresIn: -5 });
    const otherClient = issuer.accessToken({ claims: { client_id: 'other' } });
    // Twice each: an acceptance would have made an entry on the second.
    for (const token of [expired, otherClient, expired, otherClient]) {
      expect((await getWithToken(app, '/me', token)).status).toBe(401);
    }
    expect(cache?.size).toBe(0);
  });

  it('[Q2] caches a token only once the guard has accepted it: no entry for a token a route or the verify hook refused', async () => {
    const { app } = await start(undefined, { verify: (payload) => payload['custom:blocked'] !== true });
    const idToken = issuer.idToken();
    const reader = issuer.accessToken({ groups: ['reader'] });
    const blocked = issuer.accessToken({ claims: { 'custom:blocked': true } });
    // An id token where the pool takes access tokens only, a 403 on @Groups, a 401 on @UserPool, the
    // verify hook saying no: each passed the signature and the Cognito rules, and each was refused.
    expect((await getWithToken(app, '/me', idToken)).status).toBe(401);
    expect((await getWithToken(app, '/admin', reader)).status).toBe(403);
    expect((await getWithToken(app, '/other-pool', reader)).status).toBe(401);
    expect((await getWithToken(app, '/me', blocked)).status).toBe(401);
    expect(entries()).toBe(0);
    // A refusal must not have been remembered as an acceptance either: the next try is refused again.
    expect((await getWithToken(app, '/me', blocked)).status).toBe(401);
    expect((await getWithToken(app, '/admin', reader)).status).toBe(403);
    // Accepted later, on routes that take them. Their refusals did not count as acceptances either:
    // this is each one's first, which makes no entry; the second makes one each.
    expect((await getWithToken(app, '/profile', idToken)).status).toBe(200);
    expect((await getWithToken(app, '/me', reader)).status).toBe(200);
    expect(entries()).toBe(0);
    expect((await getWithToken(app, '/profile', idToken)).status).toBe(200);
    expect((await getWithToken(app, '/me', reader)).status).toBe(200);
    expect(entries()).toBe(2);
    // Route rules still run on a cache hit.
    expect((await getWithToken(app, '/admin', reader)).status).toBe(403);
    expect((await getWithToken(app, '/me', idToken)).status).toBe(401);
    expect(entries()).toBe(2);
  });

  it('[Q1] keeps an entry only while the very key that verified it is held: a kid that names a new key drops it', async () => {
    const { app } = await start();
    const kid = issuer.currentKid;
    const cached = issuer.accessToken();
    const twin = issuer.accessToken();
    await acceptTwice(app, '/me', cached);
    expect(entries()).toBe(1);
    // The JWKS now serves another key under the same kid (a compromised key replaced, an emulator
    // restarted with a new key), and the set is refreshed.
    issuer.rotateKeys({ kid, dropPrevious: true });
    await app.get(JwksKeyProvider).keySets.get(issuer.jwksUri)!.refresh();
    for (const token of [twin, cached]) {
      const res = await getWithToken(app, '/me', token);
      expect([res.status, res.body.message]).toEqual([401, 'Token signature invalid']);
    }
    expect(entries()).toBe(0);
    // The new key's tokens verify, and are cached.
    await acceptTwice(app, '/me', issuer.accessToken());
    expect(entries()).toBe(1);
  });

  it('[Q3] keeps its entries across a refresh that serves the same keys: only a changed key ends them', async () => {
    const { app } = await start();
    const guard = app.get(CognitoGuard);
    const token = issuer.accessToken();
    await acceptTwice(app, '/me', token);
    const keySet = app.get(JwksKeyProvider).keySets.get(issuer.jwksUri)!;
    const fetches = issuer.jwksRequests;
    await keySet.refresh();
    await keySet.refresh();
    expect(issuer.jwksRequests).toBe(fetches + 2);
    // Answered from memory (a plain true; a verification is a promise), not verified again.
    expect(guard.canActivate(contextFor(token))).toBe(true);
    expect(entries()).toBe(1);
  });

  it('[R2] bounds each user to cache.maxEntriesPerUser entries: one user with many tokens evicts only their own', async () => {
    const { app, cache } = await start({ maxEntries: 20, maxEntriesPerUser: 3 });
    const others = Array.from({ length: 5 }, (_, i) =>
      issuer.accessToken({ claims: { sub: `other-user-${i}`, username: `other-${i}` } }),
    );
    for (const token of others) await acceptTwice(app, '/me', token);
    const flood = Array.from({ length: 40 }, () => issuer.accessToken({ claims: { sub: 'heavy-user' } }));
    for (const token of flood) await acceptTwice(app, '/me', token);
    expect(entries()).toBe(5 + 3);
    expect(others.map((token) => cache?.get(token) !== undefined)).toEqual([true, true, true, true, true]);
    // The heavy user keeps their three newest tokens, the oldest went first.
    expect(flood.map((token) => cache?.get(token) !== undefined)).toEqual([...Array(37).fill(false), true, true, true]);
  });

  it('[R2] counts a machine client (sub = client id) as one user', async () => {
    const { app } = await start({ maxEntries: 20, maxEntriesPerUser: 2 });
    await acceptTwice(app, '/me', issuer.accessToken());
    for (let i = 0; i < 6; i++) await acceptTwice(app, '/me', machineToken(issuer));
    expect(entries()).toBe(1 + 2);
  });

  it('never answers a token from memory at or past its exp', async () => {
    const now = Date.now();
    const { app } = await start();
    fakeDateAt(now);
    const token = issuer.accessToken({ expiresIn: 60 });
    await acceptTwice(app, '/me', token);
    expect(entries()).toBe(1);
    fakeDateAt(now + 61_000);
    const res = await getWithToken(app, '/me', token);
    expect([res.status, res.body.message]).toEqual([401, 'Token expired']);
    // The lookup found the entry past its exp and dropped it.
    expect(entries()).toBe(0);
  });

  it('still applies the route rules to a remembered token', async () => {
    const { app } = await start();
    const token = issuer.accessToken({ groups: ['reader'] });
    await acceptTwice(app, '/me', token);
    expect(entries()).toBe(1);
    expect((await getWithToken(app, '/admin', token)).status).toBe(403);
    expect((await getWithToken(app, '/profile', token)).status).toBe(401);
    expect(entries()).toBe(1);
  });

  it('hands out a frozen payload: a handler cannot change what the next request sees', async () => {
    const { app } = await start();
    const token = issuer.accessToken();
    // The first request verifies it, the second verifies it and keeps the payload its handler got,
    // the third is answered with that kept payload.
    for (let i = 0; i < 3; i++) {
      expect((await getWithToken(app, '/mutate', token)).body).toEqual({ username: 'test-user' });
    }
    expect(entries()).toBe(1);
  });

  it('keeps at most cache.maxEntries tokens, the least recently used out first', async () => {
    const { app, cache } = await start({ maxEntries: 2 });
    const [a, b, c] = [issuer.accessToken(), issuer.accessToken(), issuer.accessToken()];
    await acceptTwice(app, '/me', a);
    await acceptTwice(app, '/me', b);
    // A hit: a is now the more recently used of the two.
    expect((await getWithToken(app, '/me', a)).status).toBe(200);
    await acceptTwice(app, '/me', c);
    expect(cache?.size).toBe(2);
    expect(cache?.get(a)).toBeDefined();
    expect(cache?.get(b)).toBeUndefined();
    expect(cache?.get(c)).toBeDefined();
  });

  it('is off with cache: false', async () => {
    const { app, cache } = await start(false);
    expect(cache).toBeNull();
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
  });
});

describe('VerifiedTokenCache', () => {
  const keyA = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  const keyB = createPublicKey(keyA.export({ format: 'pem', type: 'spki' }));
  const payload = (exp: number, sub = 'user-1') =>
    ({ exp, sub, iss: 'https://issuer', token_use: 'access' }) as unknown as CognitoJwtPayload;
  const exp = () => Date.now() / 1000 + 60;

  function cacheWith(
    held: Map<string, KeyObject>,
    limits: { maxEntries?: number; maxEntriesPerUser?: number; admitOnFirstAcceptance?: boolean } = {},
  ) {
    return new VerifiedTokenCache({
      maxEntries: limits.maxEntries ?? 10,
      maxEntriesPerUser: limits.maxEntriesPerUser ?? 10,
      maxTokenLength: 100,
      heldKey: (jwksUri, kid) => held.get(`${jwksUri} ${kid}`),
      admitOnFirstAcceptance: limits.admitOnFirstAcceptance,
    });
  }
  const source = (token: string, jwksUri = 'uri', kid = 'k1', key = keyA) => ({ token, jwksUri, kid, key });

  it('keeps no entry for tokens longer than its limit', () => {
    const cache = cacheWith(new Map([['uri k1', keyA]]));
    // Twice: a token of any length gets no entry on its first acceptance.
    cache.set(source('x'.repeat(101)), payload(exp()));
    cache.set(source('x'.repeat(101)), payload(exp()));
    expect(cache.size).toBe(0);
  });

  it('forgets the tokens a removed key signed, and only those', () => {
    const held = new Map([
      ['uri-a k1', keyA],
      ['uri-a k2', keyA],
      ['uri-b k1', keyA],
    ]);
    // About which entries a removed key ends, not about admission: each entry on its first set.
    const cache = cacheWith(held, { admitOnFirstAcceptance: true });
    cache.set(source('t1', 'uri-a', 'k1'), payload(exp()));
    cache.set(source('t2', 'uri-a', 'k2'), payload(exp()));
    cache.set(source('t3', 'uri-b', 'k1'), payload(exp()));
    cache.forgetKeys('uri-a', ['k1']);
    expect([cache.get('t1'), cache.get('t2'), cache.get('t3')].map(Boolean)).toEqual([false, true, true]);
  });

  it('[Q1] answers an entry only while the very key object that verified it is held, not an equal one', () => {
    const held = new Map([['uri k1', keyA]]);
    // The module's cache (admission on the second acceptance), as the guard drives it.
    const cache = cacheWith(held);
    cache.set(source('t1'), payload(exp()));
    cache.set(source('t1'), payload(exp()));
    expect(cache.get('t1')).toBeDefined();
    // The same public key, imported again: equal, and still not the object that verified the token.
    held.set('uri k1', keyB);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.size).toBe(0);
    // Nor is an entry made for a key no longer held.
    cache.set(source('t2'), payload(exp()));
    cache.set(source('t2'), payload(exp()));
    expect(cache.size).toBe(0);
  });

  it('answers only the very token kept: another with the same end is a miss and leaves the entry', () => {
    // About slots and the whole-token comparison, not admission: each entry on its first set.
    const cache = cacheWith(new Map([['uri k1', keyA]]), { admitOnFirstAcceptance: true });
    const end = 'e'.repeat(43);
    const token = `Bearer header.payload-a.${end}`.slice('Bearer '.length);
    cache.set(source(token), payload(exp()));
    expect(cache.get(`header.payload-a.${end}`)).toBeDefined();
    // Same end, other body: a miss, and the entry stays.
    expect(cache.get(`header.payload-b.${end}`)).toBeUndefined();
    expect(cache.get(`x${end}`)).toBeUndefined();
    expect([cache.size, cache.get(token) !== undefined]).toEqual([1, true]);
    // Another accepted token with the same end: the newer replaces the older.
    cache.set(source(`header.payload-c.${end}`), payload(exp(), 'user-3'));
    expect([cache.size, cache.get(token), cache.get(`header.payload-c.${end}`) !== undefined]).toEqual([
      1,
      undefined,
      true,
    ]);
  });

  it('evicts the least recently used entry, at any fill, after many hits and evictions', () => {
    // About the recency list, not admission: each entry on its first set.
    const cache = cacheWith(new Map([['uri k1', keyA]]), { maxEntries: 3, admitOnFirstAcceptance: true });
    for (let i = 0; i < 1000; i++) {
      cache.set(source(`t${i}`), payload(exp(), `user-${i}`));
      // Touch the previous one: the one before it becomes the oldest.
      if (i > 0) expect(cache.get(`t${i - 1}`)).toBeDefined();
    }
    expect(cache.size).toBe(3);
    expect(['t996', 't997', 't998', 't999'].map((t) => cache.get(t) !== undefined)).toEqual([false, true, true, true]);
  });

  it('[R2] makes room in a full user from that user alone, the oldest first', () => {
    // About the per-user bound, not admission (the app-level [R2] tests run it on the default): each
    // entry on its first set.
    const limits = { maxEntries: 5, maxEntriesPerUser: 2, admitOnFirstAcceptance: true };
    const cache = cacheWith(new Map([['uri k1', keyA]]), limits);
    cache.set(source('other'), payload(exp(), 'user-2'));
    for (const token of ['a', 'b', 'c']) cache.set(source(token), payload(exp(), 'user-1'));
    expect(['other', 'a', 'b', 'c'].map((t) => cache.get(t) !== undefined)).toEqual([true, false, true, true]);
    // A user with one entry allowed, over and over: always one entry, always the newest.
    const single = cacheWith(new Map([['uri k1', keyA]]), { ...limits, maxEntriesPerUser: 1 });
    for (const token of ['x', 'y', 'z']) single.set(source(token), payload(exp()));
    expect([single.size, single.get('z') !== undefined]).toEqual([1, true]);
  });

  it('admits a token on its second acceptance: the first leaves no entry', () => {
    const cache = cacheWith(new Map([['uri k1', keyA]]));
    cache.set(source('t1'), payload(exp()));
    expect([cache.size, cache.get('t1')]).toEqual([0, undefined]);
    cache.set(source('t1'), payload(exp()));
    expect([cache.size, cache.get('t1') !== undefined]).toEqual([1, true]);
  });

  it('with admitOnFirstAcceptance: true, admits a token on its first acceptance', () => {
    const cache = cacheWith(new Map([['uri k1', keyA]]), { admitOnFirstAcceptance: true });
    cache.set(source('t1'), payload(exp()));
    expect([cache.size, cache.get('t1') !== undefined]).toEqual([1, true]);
  });

  /** A token-like string whose last 12 characters (what the cache reads) look like a signature's end. */
  const signed = (kind: string, i: number) =>
    `${kind}.${createHash('sha256').update(`${kind} ${i}`).digest('base64url').slice(0, 12)}`;

  it('[Q4] evicts almost nothing for tokens accepted once: a stream of one-shot tokens leaves a full cache as it was', () => {
    const maxEntries = 1000;
    const cache = cacheWith(new Map([['uri k1', keyA]]), { maxEntries });
    const kept = Array.from({ length: maxEntries }, (_, i) => signed('kept', i));
    for (const token of kept) {
      for (let n = 0; n < 2; n++) cache.set(source(token), payload(exp(), `kept-user-${token}`));
    }
    expect(cache.size).toBe(maxEntries);
    // Each from a user of its own, so that no per-user bound would limit what an entry for each evicts.
    const stream = Array.from({ length: 20_000 }, (_, i) => signed('once', i));
    for (const token of stream) cache.set(source(token), payload(exp(), `once-user-${token}`));
    expect(cache.size).toBe(maxEntries);
    // A one-shot token whose two bits earlier tokens had set is kept (a false positive of the filter,
    // under 1% at this fill), and evicts one entry; without admission all 1000 would be gone.
    const admitted = stream.filter((token) => cache.get(token) !== undefined).length;
    const evicted = kept.filter((token) => cache.get(token) === undefined).length;
    expect({ evicted, underOnePercent: admitted < stream.length / 100 }).toEqual({
      evicted: admitted,
      underOnePercent: true,
    });
  });

  it('keeps two tokens presented in turn on their second acceptance, even when their notes share bits', () => {
    // slotOf of src/verified-token-cache.ts (not exported), replicated to build two tokens whose slots
    // share their low 19 bits: the same first bit of the admission filter (and, a fortiori, what a
    // table of one note per cell would have had them overwrite in turn, so neither was ever kept).
    const slotOf = (token: string) => {
      let slot = 0;
      for (let i = token.length - 1; i >= 0 && i >= token.length - 6; i--) {
        slot = (Math.imul(slot, 31) + token.charCodeAt(i)) | 0;
      }
      return slot & 0x3fffffff;
    };
    const low = (token: string) => slotOf(token) & ((1 << 19) - 1);
    const a = signed('a', 0);
    let b: string | undefined;
    // About 2^19 tries for a token of a's low bits; bounded at 2^23.
    for (let i = 0; i < 1 << 23 && b === undefined; i++) {
      const token = `b.${a.slice(2, 8)}${i.toString(36).padStart(6, '0')}`;
      if (low(token) === low(a) && token !== a) b = token;
    }
    expect(b).toEqual(expect.any(String));
    const cache = cacheWith(new Map([['uri k1', keyA]]));
    for (const token of [a, b!, a, b!]) cache.set(source(token), payload(exp(), `user-${token}`));
    expect([cache.size, cache.get(a) !== undefined, cache.get(b!) !== undefined]).toEqual([2, true, true]);
  });

  it('clears the admission filter after 65,536 notes: a token noted before needs one more acceptance', () => {
    const cache = cacheWith(new Map([['uri k1', keyA]]), { maxEntries: 10 });
    const token = signed('returning', 0);
    cache.set(source(token), payload(exp(), 'returning-user'));
    // 65,536 + 4,096 other tokens: more than 65,536 notes, since the filter's false positives (kept,
    // not noted) are about 2% of them. The filter is cleared once, and then holds a few thousand notes.
    for (let i = 0; i < (1 << 16) + 4096; i++) {
      cache.set(source(signed('other', i)), payload(exp(), `user-${i}`));
    }
    cache.set(source(token), payload(exp(), 'returning-user'));
    expect(cache.get(token)).toBeUndefined();
    cache.set(source(token), payload(exp(), 'returning-user'));
    expect(cache.get(token)).toBeDefined();
  });
});
