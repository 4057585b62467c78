import type { ExecutionContext, INestApplication } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CognitoAuthModule, CognitoGuard } from '../src';
import { JwksKeyProvider } from '../src/jwks-key-provider';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The guard as Nest calls it for GuardedController.me, without the HTTP layer. */
function contextFor(authorization: string): ExecutionContext {
  const response = { setHeader: () => undefined };
  const context = new ExecutionContextHost([{ headers: { authorization } }, response, () => undefined]);
  context.setType('http');
  (context as unknown as { getHandler: () => unknown }).getHandler = () => GuardedController.prototype.me;
  (context as unknown as { getClass: () => unknown }).getClass = () => GuardedController;
  return context;
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('memory under a flood of forged tokens', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [GuardedController]);
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  it('keeps growth under 50 MB after 100,000 forged tokens (random kid, iss and signature), caching none', async () => {
    const guard = app.get(CognitoGuard);
    const keys = app.get(JwksKeyProvider);
    const valid = issuer.accessToken();
    // Accepted twice, so that it has its cache entry (the second acceptance makes it): the one entry
    // there is after the flood.
    await expect(guard.canActivate(contextFor(`Bearer ${valid}`))).resolves.toBe(true);
    await expect(guard.canActivate(contextFor(`Bearer ${valid}`))).resolves.toBe(true);
    expect(keys.verifiedTokens?.size).toBe(1);
    const [header, payload] = valid.split('.') as [string, string];
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    const before = heapUsed();
    const started = Date.now();
    let refused = 0;
    for (let i = 0; i < 100_000; i++) {
      const signature = randomBytes(256).toString('base64url');
      const random = randomBytes(12).toString('hex');
      // A third each: a foreign iss, an unknown kid, the pool's kid with a forged signature.
      const token =
        i % 3 === 0
          ? `${header}.${segment({ ...body, iss: `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_${random}` })}.${signature}`
          : i % 3 === 1
            ? `${segment({ alg: 'RS256', kid: random })}.${payload}.${signature}`
            : `${header}.${segment({ ...body, jti: random })}.${signature}`;
      // A refusal is always a rejected promise; only an acceptance may be a plain `true`.
      await Promise.resolve(guard.canActivate(contextFor(`Bearer ${token}`))).catch(() => refused++);
    }
    const elapsed = Date.now() - started;
    const growth = heapUsed() - before;
    if (process.env.REPORT_MEMORY)
      console.info(`heap growth after 100,000 forged tokens: ${(growth / 1048576).toFixed(1)} MB in ${elapsed} ms`);

    expect(refused).toBe(100_000);
    // Unknown kids refetch at most once per 6 s cooldown.
    expect(issuer.jwksRequests).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 6_000)); // prefetch, first token
    expect(keys.verifiedTokens?.size).toBe(1);
    expect([...keys.keySets.values()].map((keySet) => keySet.size)).toEqual([1]);
    expect(growth).toBeLessThan(50 * 1024 * 1024);
  }, 120_000);
});
