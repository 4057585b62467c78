import { Redis } from 'ioredis';
import { CognitoTestIssuer } from '../src/testing';
import { startNode, stopIfRunning, type NodeProcess } from './support/processes';
import { describeWithRedis, startRedis, uniquePrefix, type RedisServer } from './support/redis-server';
import { sleep, waitFor } from './support/wait-for';

/**
 * Several application instances, each its own node process running the built package
 * (test/support/revocation-app.cjs; `npm test` builds dist/ first), sharing one real redis-server.
 */
const APP = 'test/support/revocation-app.cjs';

interface Instance {
  readonly proc: NodeProcess;
  readonly url: string;
}

async function status(instance: Instance, token: string): Promise<number> {
  const res = await fetch(`${instance.url}/me`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

async function statuses(instances: readonly Instance[], token: string): Promise<number[]> {
  return Promise.all(instances.map((instance) => status(instance, token)));
}

/** Polls until every instance answers `expected` for `token`: at most 50 × 20 ms, i.e. about 1 s. */
async function within1s(instances: readonly Instance[], token: string, expected: number): Promise<void> {
  await waitFor(async () => (await statuses(instances, token)).every((code) => code === expected), 50);
}

/** Warnings an instance printed about the store being unreachable. */
function outageWarnings(instance: Instance): number {
  return instance.proc.stdout.match(/Revocation store unreachable/g)?.length ?? 0;
}

describeWithRedis(
  'revocation shared by application processes through Redis',
  () => {
    let redis: RedisServer;
    let issuer: CognitoTestIssuer;
    let prefix: string;
    const instances: Instance[] = [];

    beforeAll(async () => {
      redis = await startRedis();
      issuer = await CognitoTestIssuer.start();
      prefix = uniquePrefix('processes');
    });

    afterAll(async () => {
      for (const { proc } of instances.splice(0)) await stopIfRunning(proc);
      await issuer.stop();
      await redis.stop();
    });

    async function launch(env: Record<string, string> = {}): Promise<Instance> {
      const proc = startNode([APP], {
        ISSUER: issuer.issuer,
        USER_POOL_ID: issuer.userPoolId,
        CLIENT_ID: issuer.clientId,
        REDIS_URL: redis.url,
        KEY_PREFIX: prefix,
        ...env,
      });
      const [, url] = await proc.waitFor(/^listening on (http:\/\/127\.0\.0\.1:\d+)$/m);
      const instance = { proc, url: url! };
      instances.push(instance);
      return instance;
    }

    const post = (instance: Instance, path: string, token?: string) =>
      fetch(`${instance.url}${path}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('revoke on one, the others refuse within 1 s; later sign-ins pass; a later instance refuses at once; outage and return', async () => {
      const [a, b, c] = await Promise.all([launch(), launch(), launch()]);
      const strict = await launch({ FAIL_CLOSED: '1' });
      const all = [a, b, c];
      const now = Math.floor(Date.now() / 1000);

      // revokeUser on a: b and c refuse within 1 s; a token issued after `before` passes everywhere.
      const old = issuer.accessToken({ claims: { sub: 'p-1', iat: now - 60 } });
      const newer = issuer.accessToken({ claims: { sub: 'p-1', iat: now - 5 } });
      expect(await statuses(all, old)).toEqual([200, 200, 200]);
      const before = new Date((now - 30) * 1000).toISOString();
      expect((await post(a, `/revoke/user/p-1?before=${encodeURIComponent(before)}`)).status).toBe(204);
      await within1s(all, old, 401);
      expect(await statuses(all, newer)).toEqual([200, 200, 200]);

      // revokeToken on b, with the token itself: its refresh-token family too.
      const family = { origin_jti: 'p-family' };
      const stolen = issuer.accessToken({ claims: { sub: 'p-2', ...family } });
      const sibling = issuer.accessToken({ claims: { sub: 'p-2', ...family } });
      expect((await post(b, '/revoke/token', stolen)).status).toBe(204);
      await within1s(all, stolen, 401);
      expect(await statuses(all, sibling)).toEqual([401, 401, 401]);

      // An instance started later refuses on its first request.
      const later = await launch();
      expect(await status(later, old)).toBe(401);
      expect(await status(later, stolen)).toBe(401);
      expect(await status(later, newer)).toBe(200);

      // An entry the instances never hear of (written without its message) and saved: after the
      // outage, only the reload can bring it in.
      const missed = issuer.accessToken({ claims: { sub: 'p-3' } });
      const admin = new Redis(redis.url);
      const { jti, exp } = JSON.parse(Buffer.from(missed.split('.')[1]!, 'base64url').toString()) as {
        jti: string;
        exp: number;
      };
      await admin.set(`${prefix}token:${jti}`, JSON.stringify({ expiresAt: exp * 1000 }), 'PX', 3_600_000);
      await admin.save();
      admin.disconnect();
      expect(await statuses(all, missed)).toEqual([200, 200, 200]);

      // Outage: no 5xx, the last known set applies; failClosed refuses with 503; revocations fail clearly.
      await redis.kill();
      await waitFor(async () => {
        const res = await fetch(`${strict.url}/state`);
        return ((await res.json()) as { stale: boolean }).stale;
      }, 250);
      const fresh = issuer.accessToken({ claims: { sub: 'p-4' } });
      for (let round = 0; round < 5; round++) {
        expect(await statuses(all, old)).toEqual([401, 401, 401]);
        expect(await statuses(all, stolen)).toEqual([401, 401, 401]);
        expect(await statuses(all, fresh)).toEqual([200, 200, 200]);
        await sleep(100);
      }
      expect(await status(strict, fresh)).toBe(503);
      const refused = await post(c, '/revoke/user/p-4');
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({
        code: 'ERR_REVOCATION_STORE_UNAVAILABLE',
        message: 'Revocation store unavailable: the revocation was not recorded',
      });

      // Redis returns (with the saved entry): every instance reloads and converges.
      await redis.restart();
      await within1sOrReconnect([...all, later, strict], missed);
      expect(await status(strict, fresh)).toBe(200);
      expect(await statuses(all, fresh)).toEqual([200, 200, 200]);
      expect((await post(c, '/revoke/user/p-4')).status).toBe(204);
      await within1s([...all, later, strict], fresh, 401);

      // One warning per outage, however many reconnect attempts it took.
      for (const instance of [...all, later, strict]) expect(outageWarnings(instance)).toBe(1);
      for (const instance of [...all, later, strict]) expect(instance.proc.stderr).toBe('');
    }, 90_000);

    /** ioredis reconnects with a backoff of up to 2 s: allow that, then the reload. 250 × 20 ms. */
    async function within1sOrReconnect(targets: readonly Instance[], token: string): Promise<void> {
      await waitFor(async () => (await statuses(targets, token)).every((code) => code === 401), 250);
    }
  },
  'own',
);
