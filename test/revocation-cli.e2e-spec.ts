import type { INestApplication } from '@nestjs/common';
import { join } from 'node:path';
import { CognitoAuthModule, CognitoRevocationService, RedisRevocationStore } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { freePort, root, runNode } from './support/processes';
import { describeWithRedis, startRedis, uniquePrefix, type RedisServer } from './support/redis-server';
import { getWithToken } from './support/requests';
import { waitFor } from './support/wait-for';

/** `npx nest-cognito-auth revoke` (the built bin; `npm test` builds it first) against a real Redis and a running app. */
const CLI = join(root, 'dist/cli/main.js');

describeWithRedis('nest-cognito-auth revoke', () => {
  let redis: RedisServer;
  let issuer: CognitoTestIssuer;
  let app: INestApplication;
  let prefix: string;

  beforeAll(async () => {
    redis = await startRedis();
    issuer = await CognitoTestIssuer.start();
    prefix = uniquePrefix('cli');
    const store = new RedisRevocationStore({ url: redis.url }, { keyPrefix: prefix });
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions({ revocation: { store } })), [
      GuardedController,
    ]);
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
    await redis.stop();
  });

  const revoke = (...args: string[]) => runNode([CLI, 'revoke', '--redis', redis.url, '--key-prefix', prefix, ...args]);
  const status = async (token: string) => (await getWithToken(app, '/me', token)).status;
  /** The running app learns it by push: at most 50 × 20 ms. */
  const refusedSoon = (token: string) => waitFor(async () => (await status(token)) === 401, 50);

  it('--sub: every token of the user issued before now is refused by the running app', async () => {
    const token = issuer.accessToken({ claims: { sub: 'cli-1' } });
    expect(await status(token)).toBe(200);
    const run = await revoke('--sub', 'cli-1');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Revoked every token of user cli-1 issued before \S+ \(kept until \S+\)$/m);
    await refusedSoon(token);
  });

  it('--sub with --before: tokens issued after it pass', async () => {
    const now = Math.floor(Date.now() / 1000);
    const old = issuer.accessToken({ claims: { sub: 'cli-2', iat: now - 120 } });
    const later = issuer.accessToken({ claims: { sub: 'cli-2', iat: now - 10 } });
    const run = await revoke('--sub', 'cli-2', '--before', new Date((now - 60) * 1000).toISOString());
    expect(run.code).toBe(0);
    await refusedSoon(old);
    expect(await status(later)).toBe(200);
  });

  it('--token: that token and its refresh-token family; the same keys the service writes', async () => {
    const family = { origin_jti: 'cli-family' };
    const token = issuer.accessToken({ claims: family });
    const sibling = issuer.accessToken({ claims: family });
    const run = await revoke('--token', token);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Revoked token jti \S+ \(kept until \S+\)$/m);
    expect(run.stdout).toMatch(/^Revoked every token of refresh-token family origin_jti cli-family /m);
    await refusedSoon(token);
    expect(await status(sibling)).toBe(401);
    // The app's service sees the same entries it would have written itself.
    expect(app.get(CognitoRevocationService).isRevoked({ origin_jti: 'cli-family' })).toBe(true);
  });

  it.each([
    [['--sub', 'u'], /revoke needs --redis URL/, false],
    [['--redis', 'http://127.0.0.1:1', '--sub', 'u'], /--redis must be a redis:\/\/ or rediss:\/\/ URL/, false],
    [['--sub', 'u', '--token', 'x'], /either --sub SUB .* or --token TOKEN/, true],
    [[], /either --sub SUB .* or --token TOKEN/, true],
    [['--sub', 'u', '--before', 'yesterday'], /--before takes an ISO 8601 instant/, true],
    [['--token', 'not.a.token'], /--token is not a Cognito access or id token/, true],
    [['--token', 'x', '--before', '2026-01-01T00:00:00Z'], /--before applies to --sub only/, true],
    [['--sub', 'u', '--max-token-lifetime', '0'], /--max-token-lifetime takes whole seconds/, true],
  ])('refuses %j with exit code 2 and a message naming the problem', async (args, message, withRedis) => {
    const run = withRedis ? await revoke(...args) : await runNode([CLI, 'revoke', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('a Redis that cannot be reached, with exit code 1', async () => {
    const port = await freePort();
    const run = await runNode([CLI, 'revoke', '--redis', `redis://127.0.0.1:${port}`, '--sub', 'u']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`));
  });
});
