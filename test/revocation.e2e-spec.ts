import type { ExecutionContext, INestApplication } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Test } from '@nestjs/testing';
import type { Socket } from 'socket.io-client';
import {
  CognitoAuthModule,
  CognitoGuard,
  CognitoRevocationService,
  InMemoryRevocationStore,
  InvalidSignatureError,
  RevocationRequestInvalidError,
  type CognitoRevocationOptions,
  type CognitoSinglePoolOptions,
} from '../src';
import { JwksKeyProvider } from '../src/jwks-key-provider';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { fakeDateAt } from './support/fake-date';
import { ChatGateway, connect, listenOnLoopback, send } from './support/gateway';
import { runNode } from './support/processes';
import { getWithToken } from './support/requests';

/** Revocation with the in-memory store, through real Nest apps and a real JWKS on 127.0.0.1. */
describe('revocation (in-memory store)', () => {
  let issuer: CognitoTestIssuer;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    jest.useRealTimers();
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(() => issuer.stop());

  async function start(
    revocation: { store?: InMemoryRevocationStore } & Partial<CognitoRevocationOptions> = {},
    options: Partial<CognitoSinglePoolOptions> = {},
  ) {
    const store: InMemoryRevocationStore = revocation.store ?? new InMemoryRevocationStore();
    const app = await createApp(
      CognitoAuthModule.forRoot(issuer.moduleOptions({ ...options, revocation: { ...revocation, store } })),
      [GuardedController],
    );
    apps.push(app);
    return { app, store, revocations: app.get(CognitoRevocationService) };
  }

  const status = async (app: INestApplication, token: string, path = '/me') =>
    (await getWithToken(app, path, token)).status;
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  it('refuses a token revoked by its payload with 401 "Token revoked", its own code and a challenge', async () => {
    const { app, revocations } = await start();
    const token = issuer.accessToken({ claims: { sub: 'u-1' } });
    const other = issuer.accessToken({ claims: { sub: 'u-1' } });
    const first = await getWithToken(app, '/me', token);
    expect(first.status).toBe(200);
    await revocations.revokeToken(first.body);
    const res = await getWithToken(app, '/me', token);
    expect([res.status, res.body.message]).toEqual([401, 'Token revoked']);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="${issuer.userPoolId}", error="invalid_token", error_description="Token revoked"`,
    );
    expect(revocations.isRevoked(first.body)).toBe(true);
    // Another token of the same user (its own jti and refresh-token family) passes.
    expect(await status(app, other)).toBe(200);
  });

  it('revokes by origin_jti every access and id token of one refresh token (a token string, verified)', async () => {
    const { app, revocations } = await start({}, { tokenUse: ['access', 'id'] });
    const family = { origin_jti: 'refresh-family-1' };
    const access = issuer.accessToken({ claims: family });
    const sibling = issuer.accessToken({ claims: family });
    const id = issuer.idToken({ claims: family });
    const unrelated = issuer.accessToken();
    for (const token of [access, sibling, id, unrelated]) expect(await status(app, token, '/either')).toBe(200);
    await revocations.revokeToken(access);
    for (const token of [access, sibling, id]) expect(await status(app, token, '/either')).toBe(401);
    expect(await status(app, unrelated, '/either')).toBe(200);
  });

  it('refuses to revoke with a token string that does not verify: a forged origin_jti revokes nothing', async () => {
    const { app, revocations } = await start();
    const victim = issuer.accessToken({ claims: { origin_jti: 'victim-family' } });
    const forger = await CognitoTestIssuer.start();
    const forged = forger.sign(
      { ...JSON.parse(Buffer.from(victim.split('.')[1]!, 'base64url').toString()) },
      { kid: issuer.currentKid },
    );
    await forger.stop();
    await expect(revocations.revokeToken(forged)).rejects.toBeInstanceOf(InvalidSignatureError);
    expect(await status(app, victim)).toBe(200);
  });

  it('revokeUser refuses the tokens issued before the instant; a later sign-in and other users pass', async () => {
    const { app, revocations } = await start();
    const now = nowSeconds();
    const old = issuer.accessToken({ claims: { sub: 'u-2', iat: now - 60 } });
    const older = issuer.idToken({ claims: { sub: 'u-2', iat: now - 600 } });
    const otherUser = issuer.accessToken({ claims: { sub: 'u-3', iat: now - 60 } });
    expect(await status(app, old)).toBe(200);
    await revocations.revokeUser('u-2', { before: new Date((now - 30) * 1000) });
    expect(await status(app, old)).toBe(401);
    expect(await status(app, older, '/profile')).toBe(401);
    expect(await status(app, otherUser)).toBe(200);
    // Issued after `before`: a new sign-in.
    expect(await status(app, issuer.accessToken({ claims: { sub: 'u-2', iat: now - 10 } }))).toBe(200);
    // Default `before`: now. The token of this very second counts as issued before it.
    const at = Date.now();
    fakeDateAt(at);
    await revocations.revokeUser('u-2');
    expect(await status(app, issuer.accessToken({ claims: { sub: 'u-2' } }))).toBe(401);
    fakeDateAt(at + 1000);
    expect(await status(app, issuer.accessToken({ claims: { sub: 'u-2' } }))).toBe(200);
  });

  it('a later revokeUser of one user is not undone by an earlier instant', async () => {
    const { app, revocations } = await start();
    const now = nowSeconds();
    const token = issuer.accessToken({ claims: { sub: 'u-4', iat: now - 60 } });
    await revocations.revokeUser('u-4', { before: new Date((now - 30) * 1000) });
    await revocations.revokeUser('u-4', { before: new Date((now - 120) * 1000) });
    expect(await status(app, token)).toBe(401);
  });

  it('a token answered from the verified-token cache is refused right after its revocation, and leaves the cache', async () => {
    const { app, revocations } = await start();
    const cache = app.get(JwksKeyProvider).verifiedTokens!;
    const token = issuer.accessToken({ claims: { sub: 'u-5' } });
    const keep = issuer.accessToken({ claims: { sub: 'u-6' } });
    // Each accepted twice: the second acceptance makes the entry.
    const res = await getWithToken(app, '/me', token);
    expect(await status(app, token)).toBe(200);
    expect(await status(app, keep)).toBe(200);
    expect(await status(app, keep)).toBe(200);
    expect(cache.get(token)).toBeDefined();
    expect(cache.get(keep)).toBeDefined();
    await revocations.revokeToken(res.body);
    // Refused at once, from the cache path or not.
    expect(await status(app, token)).toBe(401);
    // Taken out of the cache within the event-loop turn of a revocation (one pass for a burst), and not
    // put back by the refused request above (a token is remembered only once its revocation check has
    // passed); another revocation's pass leaves the other user's entry in place.
    await revocations.revokeToken({ jti: 'another', exp: nowSeconds() + 60 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.get(token)).toBeUndefined();
    expect(cache.get(keep)).toBeDefined();
  });

  it('refuses a cached token that passed before, in the same event-loop turn as its revocation (jti, family, user)', async () => {
    const { app, revocations } = await start({}, { tokenUse: ['access', 'id'] });
    const guard = app.get(CognitoGuard);
    /** The guard as Nest calls it for GuardedController.me, without the HTTP layer. */
    const contextFor = (token: string): ExecutionContext => {
      const request = { headers: { authorization: `Bearer ${token}` } };
      const context = new ExecutionContextHost([request, { setHeader: () => undefined }, () => undefined]);
      context.setType('http');
      Object.assign(context, { getHandler: () => GuardedController.prototype.me, getClass: () => GuardedController });
      return context;
    };
    const byJti = issuer.accessToken({ claims: { sub: 'u-7' } });
    const byFamily = issuer.accessToken({ claims: { sub: 'u-8', origin_jti: 'family-8' } });
    const byUser = issuer.accessToken({ claims: { sub: 'u-9' } });
    const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    const revoke = [
      () => revocations.revokeToken(payloadOf(byJti)),
      () => revocations.revokeToken({ origin_jti: 'family-8', exp: nowSeconds() + 60 }),
      () => revocations.revokeUser('u-9', { before: new Date(Date.now() + 1000) }),
    ];
    for (const [i, token] of [byJti, byFamily, byUser].entries()) {
      // Verified twice (the second acceptance makes the entry), then answered from the cache, at once
      // (checked against the set each time).
      expect(await guard.canActivate(contextFor(token))).toBe(true);
      expect(await guard.canActivate(contextFor(token))).toBe(true);
      expect(guard.canActivate(contextFor(token))).toBe(true);
      await revoke[i]!();
      // Before the revocation's pass over the cache (setImmediate): the cached payload is refused.
      await expect(guard.canActivate(contextFor(token))).rejects.toMatchObject({ status: 401 });
    }
  });

  it('entries expire by themselves: a token entry at its exp, a user entry at before + maxTokenLifetimeSeconds', async () => {
    const start0 = Date.now();
    const { app, revocations, store } = await start({ maxTokenLifetimeSeconds: 3600 });
    fakeDateAt(start0);
    const token = issuer.accessToken({ expiresIn: 120 });
    const payload = (await getWithToken(app, '/me', token)).body;
    await revocations.revokeToken({ jti: payload.jti, exp: payload.exp });
    await revocations.revokeUser('u-7');
    expect([revocations.size, store.size]).toEqual([2, 2]);
    fakeDateAt(start0 + 121_000);
    revocations.pruneExpired();
    expect([revocations.size, store.size]).toEqual([1, 1]);
    fakeDateAt(start0 + 3_600_000 - 1_000);
    revocations.pruneExpired();
    expect(revocations.size).toBe(1);
    fakeDateAt(start0 + 3_601_000);
    revocations.pruneExpired();
    expect([revocations.size, store.size]).toEqual([0, 0]);
  });

  it('an expired token writes no entry of its own', async () => {
    const { revocations, store } = await start();
    await revocations.revokeToken({ jti: 'gone', exp: nowSeconds() - 1 });
    expect(store.size).toBe(0);
  });

  it('apps sharing one store share revocations, and one started later loads them', async () => {
    const store = new InMemoryRevocationStore();
    const a = await start({ store });
    const b = await start({ store });
    const token = issuer.accessToken({ claims: { sub: 'u-8' } });
    expect(await status(b.app, token)).toBe(200);
    await a.revocations.revokeUser('u-8');
    expect(await status(b.app, token)).toBe(401);
    const c = await start({ store });
    expect(await status(c.app, token)).toBe(401);
  });

  it('works through forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CognitoAuthModule.forRootAsync({
          useFactory: async () => issuer.moduleOptions({ revocation: { store: new InMemoryRevocationStore() } }),
        }),
      ],
      controllers: [GuardedController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    apps.push(app);
    const token = issuer.accessToken({ claims: { sub: 'u-9' } });
    await app.get(CognitoRevocationService).revokeUser('u-9');
    expect(await status(app, token)).toBe(401);
  });

  it('without the revocation option: the check is off and revoking says how to turn it on', async () => {
    const app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [GuardedController]);
    apps.push(app);
    const revocations = app.get(CognitoRevocationService);
    expect(revocations.enabled).toBe(false);
    await expect(revocations.revokeUser('u-1')).rejects.toThrow(RevocationRequestInvalidError);
    await expect(revocations.revokeUser('u-1')).rejects.toThrow(/option "revocation"/);
    expect(await status(app, issuer.accessToken())).toBe(200);
  });

  it('refuses requests that revoke nothing', async () => {
    const { revocations } = await start();
    await expect(revocations.revokeToken({ exp: nowSeconds() + 60 })).rejects.toThrow(RevocationRequestInvalidError);
    await expect(revocations.revokeUser('')).rejects.toThrow(RevocationRequestInvalidError);
    await expect(revocations.revokeUser('u', { before: new Date(NaN) })).rejects.toThrow(
      /"before" must be a valid Date/,
    );
  });

  it('needs no ioredis unless a RedisRevocationStore is given a URL, and then says to install it', async () => {
    // The built package (`npm test` builds it first) in a process where ioredis cannot be required.
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'ioredis') throw Object.assign(new Error('absent'), { code: 'MODULE_NOT_FOUND' });
        return resolve.call(this, request, ...rest);
      };
      const { InMemoryRevocationStore, RedisRevocationStore } = require('nest-cognito-auth');
      new InMemoryRevocationStore();
      try {
        new RedisRevocationStore({ url: 'redis://127.0.0.1:6379' });
      } catch (error) {
        console.log(error.code + ' ' + error.message);
      }`;
    const run = await runNode(['-e', script]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout.trim()).toBe(
      'ERR_COGNITO_CONFIG CognitoAuthModule option "revocation.store" RedisRevocationStore({ url }) needs the ioredis package: npm install ioredis (or pass your own client)',
    );
  });

  describe('on a WebSocket connection', () => {
    const sockets: Socket[] = [];
    afterEach(() => {
      for (const socket of sockets.splice(0)) socket.disconnect();
    });

    it('refuses the next message after the revocation of the handshake token', async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          CognitoAuthModule.forRoot(issuer.moduleOptions({ revocation: { store: new InMemoryRevocationStore() } })),
        ],
        providers: [ChatGateway],
      }).compile();
      const app = moduleRef.createNestApplication({ logger: false });
      apps.push(app);
      const socket = await connect(await listenOnLoopback(app), {
        authorization: `Bearer ${issuer.accessToken({ claims: { sub: 'u-ws' } })}`,
      });
      sockets.push(socket);
      expect(await send(socket, 'whoami')).toEqual({ ack: { sub: 'u-ws', tokenUse: 'access' } });
      await app.get(CognitoRevocationService).revokeUser('u-ws');
      expect(await send(socket, 'whoami')).toEqual({
        exception: { status: 'error', statusCode: 401, reason: 'ERR_JWT_REVOKED', message: 'Token revoked' },
      });
    });
  });
});
