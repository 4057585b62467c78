import type { INestApplication } from '@nestjs/common';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CognitoAuthModule } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { getWithToken } from './support/requests';
import { sleep } from './support/wait-for';

/*
 * Fetches are minutes apart, and a server closes idle keep-alive connections after a few seconds:
 * reusing one races with that close (ECONNRESET, seen under load as 503s). Each fetch gets its own.
 */
describe('JWKS connections', () => {
  it('opens a connection per fetch, never reusing an idle one', async () => {
    const issuer = await CognitoTestIssuer.start();
    let connections = 0;
    const server = createServer((_req, res) => res.writeHead(200).end(JSON.stringify(issuer.jwks())));
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    let app: INestApplication | undefined;
    try {
      app = await createApp(
        CognitoAuthModule.forRoot(issuer.moduleOptions({ jwksUri, jwks: { prefetch: false, requestsPerMinute: 600 } })),
        [GuardedController],
      );
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      await sleep(150);
      issuer.rotateKeys();
      expect((await getWithToken(app, '/me', issuer.accessToken())).status).toBe(200);
      expect(connections).toBe(2);
    } finally {
      await app?.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await issuer.stop();
    }
  });
});
