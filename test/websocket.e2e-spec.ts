import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Socket } from 'socket.io-client';
import { CognitoAuthModule, type CognitoSinglePoolOptions } from '../src';
import { CognitoAlbTestIssuer, CognitoTestIssuer } from '../src/testing';
import { platforms } from './support/platforms';
import { ChatGateway, connect, listenOnLoopback, send, type HandshakeOptions } from './support/gateway';

/** A real socket.io gateway on 127.0.0.1 and a real socket.io client. */
describe.each(platforms)('WebSocket gateways (socket.io) on %s', (_, createAdapter) => {
  let issuer: CognitoTestIssuer;
  const apps: INestApplication[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(() => issuer.stop());

  async function client(handshake: HandshakeOptions, options: Partial<CognitoSinglePoolOptions> = {}): Promise<Socket> {
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot(issuer.moduleOptions(options))],
      providers: [ChatGateway],
    }).compile();
    const app = moduleRef.createNestApplication(createAdapter(), { logger: false });
    apps.push(app);
    const socket = await connect(await listenOnLoopback(app), handshake);
    sockets.push(socket);
    return socket;
  }

  const unauthenticated = (message: string, reason: string) => ({
    exception: { status: 'error', statusCode: 401, reason, message },
  });

  it('ALB mode: verifies the x-amzn-oidc-data header of the upgrade request on every message', async () => {
    const alb = await CognitoAlbTestIssuer.start({ issuer: issuer.issuer, clientId: issuer.clientId });
    try {
      const albMode = { alb: { loadBalancerArn: alb.loadBalancerArn, keyEndpoint: alb.keyEndpoint } };
      const socket = await client({ headers: alb.headers({ sub: 'alb-1' }) }, albMode);
      expect(await send(socket, 'whoami')).toEqual({ ack: { sub: 'alb-1' } });
      const forged = await client({ headers: alb.headers({ forged: true }) }, albMode);
      expect(await send(forged, 'whoami')).toEqual(
        unauthenticated('Token signature invalid', 'ERR_JWT_SIGNATURE_INVALID'),
      );
    } finally {
      await alb.stop();
    }
  });

  it('verifies the Authorization header of the handshake; @CognitoUser() works in handlers', async () => {
    const socket = await client({ authorization: `Bearer ${issuer.accessToken({ claims: { sub: 'u-1' } })}` });
    expect(await send(socket, 'whoami')).toEqual({ ack: { sub: 'u-1', tokenUse: 'access' } });
    expect(await send(socket, 'echo', { text: 'hi' })).toEqual({ ack: { body: { text: 'hi' }, sub: 'u-1' } });
  });

  it('sends an exception event, not a crash, when the handshake has no token', async () => {
    const socket = await client({});
    expect(await send(socket, 'whoami')).toEqual(unauthenticated('Missing bearer token', 'ERR_TOKEN_MISSING'));
    // The connection stays usable.
    expect(await send(socket, 'ping')).toEqual({ ack: { pong: true, user: null } });
  });

  it('refuses an expired token', async () => {
    const socket = await client({ authorization: `Bearer ${issuer.accessToken({ expiresIn: -1 })}` });
    expect(await send(socket, 'whoami')).toEqual(unauthenticated('Token expired', 'ERR_JWT_EXPIRED'));
  });

  it('answers 403 in the exception event for a missing group', async () => {
    const member = await client({ authorization: `Bearer ${issuer.accessToken({ groups: ['moderators'] })}` });
    expect(await send(member, 'moderate')).toEqual({ ack: { ok: true } });
    const other = await client({ authorization: `Bearer ${issuer.accessToken({ groups: ['users'] })}` });
    expect(await send(other, 'moderate')).toEqual({
      exception: {
        status: 'error',
        statusCode: 403,
        reason: 'ERR_GROUPS_NOT_ALLOWED',
        message: 'Not a member of a permitted group',
      },
    });
  });

  it('sends statusCode 503 when the signing keys cannot be fetched', async () => {
    const socket = await client(
      { authorization: `Bearer ${issuer.accessToken()}` },
      { jwks: { timeoutMs: 300, prefetch: false } },
    );
    issuer.simulateJwksFault('status-500');
    try {
      expect(await send(socket, 'whoami')).toEqual({
        exception: {
          status: 'error',
          statusCode: 503,
          reason: 'ERR_JWKS_UNAVAILABLE',
          message: 'Signing keys unavailable',
        },
      });
    } finally {
      issuer.clearJwksFault();
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the 1 s backoff the failure started
    expect(await send(socket, 'whoami')).toMatchObject({ ack: { tokenUse: 'access' } });
  });

  it('does not read an access_token from the handshake unless tokenFrom.handshake is set', async () => {
    const socket = await client({ auth: { access_token: issuer.accessToken() } });
    expect(await send(socket, 'whoami')).toEqual(unauthenticated('Missing bearer token', 'ERR_TOKEN_MISSING'));
  });

  describe('with tokenFrom: { handshake: true }', () => {
    it('reads access_token from the handshake auth', async () => {
      const token = issuer.accessToken({ claims: { sub: 'u-auth' } });
      const socket = await client({ auth: { access_token: token } }, { tokenFrom: { handshake: true } });
      expect(await send(socket, 'whoami')).toEqual({ ack: { sub: 'u-auth', tokenUse: 'access' } });
    });

    it('reads access_token from the handshake query', async () => {
      const token = issuer.accessToken({ claims: { sub: 'u-query' } });
      const socket = await client({ query: { access_token: token } }, { tokenFrom: { handshake: true } });
      expect(await send(socket, 'whoami')).toEqual({ ack: { sub: 'u-query', tokenUse: 'access' } });
    });

    it('still refuses a bad token sent that way', async () => {
      const token = issuer.accessToken({ claims: { client_id: 'other' } });
      const socket = await client({ auth: { access_token: token } }, { tokenFrom: { handshake: true } });
      expect(await send(socket, 'whoami')).toEqual(
        unauthenticated('Token client not accepted', 'ERR_JWT_CLIENT_MISMATCH'),
      );
    });
  });

  it('reads a cookie of the handshake with tokenFrom: { cookie }', async () => {
    const token = issuer.accessToken({ claims: { sub: 'u-cookie' } });
    const socket = await client({ cookie: `theme=dark; session=${token}` }, { tokenFrom: { cookie: 'session' } });
    expect(await send(socket, 'whoami')).toEqual({ ack: { sub: 'u-cookie', tokenUse: 'access' } });
  });

  it('runs @Public({ optional: true }) handlers with or without a user', async () => {
    const guest = await client({});
    expect(await send(guest, 'hello')).toEqual({ ack: { hello: 'guest' } });
    const user = await client({ authorization: `Bearer ${issuer.accessToken({ claims: { sub: 'u-2' } })}` });
    expect(await send(user, 'hello')).toEqual({ ack: { hello: 'u-2' } });
  });

  it('[X1] keeps each message its own user while a @Public() message overtakes a guarded one', async () => {
    // The verify hook holds the guarded message inside the guard until the public one has been answered.
    let entered!: () => void;
    const inHook = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const verify = async () => {
      entered();
      await released;
      return true;
    };
    const socket = await client(
      { authorization: `Bearer ${issuer.accessToken({ claims: { sub: 'u-3' } })}` },
      { verify },
    );
    const guarded = send(socket, 'whoami');
    await inHook;
    expect(await send(socket, 'ping')).toEqual({ ack: { pong: true, user: null } });
    release();
    expect(await guarded).toEqual({ ack: { sub: 'u-3', tokenUse: 'access' } });
  });

  it('gives a @Public() handler no user even after a verified message on the same connection', async () => {
    const socket = await client({ authorization: `Bearer ${issuer.accessToken()}` });
    expect(await send(socket, 'whoami')).toMatchObject({ ack: { tokenUse: 'access' } });
    expect(await send(socket, 'ping')).toEqual({ ack: { pong: true, user: null } });
  });
});
