import type { INestApplication } from '@nestjs/common';
import { Agent } from 'node:http';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { CognitoAuthModule, type CognitoJwksOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { getWithToken } from './support/requests';

/** A real forward proxy on 127.0.0.1 that tunnels CONNECT requests and counts them. */
async function startProxy(): Promise<{ url: string; tunnels: string[]; close: () => Promise<void> }> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client).pipe(upstream);
    });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined).on('close', () => sockets.delete(socket));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('fetching keys through an outbound proxy', () => {
  let issuer: CognitoTestIssuer;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let app: INestApplication | undefined;
  const saved = { ...process.env };

  beforeEach(async () => {
    issuer = await CognitoTestIssuer.start();
    proxy = await startProxy();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    process.env = { ...saved };
    await proxy.close();
    await issuer.stop();
  });

  async function start(jwks: CognitoJwksOptions = {}): Promise<INestApplication> {
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ jwks: { prefetch: false, ...jwks } })), [
      GuardedController,
    ]);
    return app;
  }

  const target = () => new URL(issuer.jwksUri).host;

  it('goes through jwks.agent when one is given', async () => {
    const app = await start({ agent: new HttpsProxyAgent(proxy.url) });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(proxy.tunnels).toEqual([target()]);
  });

  it('goes through HTTP_PROXY from the environment when no agent is given', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = '';
    const app = await start();
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(proxy.tunnels).toEqual([target()]);
  });

  it('connects directly to a host NO_PROXY names', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.NO_PROXY = '127.0.0.1';
    const app = await start();
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(proxy.tunnels).toEqual([]);
  });

  it('prefers jwks.agent over the environment', async () => {
    process.env.HTTP_PROXY = 'http://127.0.0.1:9'; // nothing listens there
    const app = await start({ agent: new Agent({ keepAlive: true }) });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
    expect(proxy.tunnels).toEqual([]);
  });

  it('answers 503 when the proxy refuses', async () => {
    process.env.HTTP_PROXY = 'http://127.0.0.1:9';
    process.env.NO_PROXY = '';
    const app = await start({ timeoutMs: 500 });
    expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(503);
  });
});
