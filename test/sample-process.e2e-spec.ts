import { createServer, type Server } from 'node:net';
import { CognitoTestIssuer } from '../src/testing';
import { freePort, startNode, stopIfRunning, type NodeProcess } from './support/processes';

/**
 * `npm run sample` as a newcomer runs it: the built sample (`npm test` builds it first) in its own
 * process, local mode, PORT=0. What it prints must work when pasted.
 */
const SAMPLE = 'dist-sample/sample/main.js';

/** The curl lines the sample printed, as [path, token or undefined]. */
function curlLines(stdout: string): { path: string; token: string | undefined }[] {
  return [
    ...stdout.matchAll(/^curl -i (?:-H "Authorization: Bearer ([\w.-]+)" )?http:\/\/127\.0\.0\.1:\d+(\/\S*)$/gm),
  ].map(([, token, path]) => ({ path: path!, token }));
}

async function status(url: string, token?: string): Promise<number> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  await res.arrayBuffer();
  return res.status;
}

describe('the sample, run as a process in local mode', () => {
  let sample: NodeProcess | undefined;

  afterEach(() => stopIfRunning(sample));

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'prints its real URL and curl lines that work, then stops on %s with its issuer',
    async (signal) => {
      sample = startNode([SAMPLE], { PORT: '0' });
      const [, url] = await sample.waitFor(/^Sample listening on (http:\/\/127\.0\.0\.1:\d+)$/m);
      const [, issuerUrl] = await sample.waitFor(/embedded local issuer, (http:\/\/127\.0\.0\.1:\d+\/\S+) /);
      await sample.waitFor(/^Ctrl\+C stops it\.$/m);
      expect(url).not.toBe('http://127.0.0.1:0');

      const lines = curlLines(sample.stdout);
      expect(lines.length).toBeGreaterThanOrEqual(8);
      const [admin, user, id] = [...new Set(lines.map((line) => line.token).filter(Boolean))];
      // The lines, in the order printed: the admin's, the plain user's, the id token.
      expect(await status(`${url}/admin`, admin)).toBe(200);
      expect(await status(`${url}/orders`, admin)).toBe(200);
      expect(await status(`${url}/admin`)).toBe(401);
      expect(await status(`${url}/me`, user)).toBe(200);
      expect(await status(`${url}/admin`, user)).toBe(403);
      expect(await status(`${url}/profile`, id)).toBe(200);
      expect(await status(`${url}/`)).toBe(200);
      expect(await status(`${issuerUrl}/.well-known/jwks.json`)).toBe(200);

      sample.child.kill(signal);
      expect(await sample.exited).toBe(0);
      expect(sample.stdout).toMatch(new RegExp(`^${signal}: stopping\\nSample stopped$`, 'm'));
      await expect(fetch(`${issuerUrl}/.well-known/jwks.json`)).rejects.toThrow();
      await expect(fetch(url!)).rejects.toThrow();
    },
  );

  it('honours PORT', async () => {
    // A port found free can be taken by another test process before the sample binds it: try again
    // with another one then (at most three times).
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      sample = startNode([SAMPLE], { PORT: String(port) });
      try {
        await sample.waitFor(new RegExp(`^Sample listening on http://127\\.0\\.0\\.1:${port}$`, 'm'));
      } catch (error) {
        if (attempt < 3 && sample.stderr.includes('EADDRINUSE')) continue;
        throw error;
      }
      expect(await status(`http://127.0.0.1:${port}/support/status`)).toBe(200);
      return;
    }
  });

  it('verifies the tokens of the pool the COGNITO_ variables name, and prints no tokens of its own', async () => {
    const pool = await CognitoTestIssuer.start({ userPoolId: 'eu-west-1_Elsewhere1', clientId: 'their-client' });
    try {
      sample = startNode([SAMPLE], {
        PORT: '0',
        COGNITO_USER_POOL_ID: pool.userPoolId,
        COGNITO_CLIENT_ID: pool.clientId,
        COGNITO_ISSUER: pool.issuer,
      });
      const [, url] = await sample.waitFor(/^Sample listening on (http:\/\/127\.0\.0\.1:\d+)$/m);
      await sample.waitFor(/^Ctrl\+C stops it\.$/m);
      expect(sample.stdout).toMatch(/^Verifying the tokens of pool eu-west-1_Elsewhere1\. Try:$/m);
      expect(sample.stdout).not.toMatch(/Bearer ey/);
      expect(await status(`${url}/admin`, pool.accessToken({ groups: ['admin'] }))).toBe(200);
      expect(await status(`${url}/admin`, pool.accessToken())).toBe(403);
      const stranger = await CognitoTestIssuer.start();
      expect(await status(`${url}/me`, stranger.accessToken())).toBe(401);
      await stranger.stop();
      sample.child.kill('SIGTERM');
      expect(await sample.exited).toBe(0);
    } finally {
      await pool.stop();
    }
  });

  describe('refuses to start, exit code 1, and leaves nothing running', () => {
    let busy: Server;

    beforeAll(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    });

    afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

    it('when PORT is taken (the embedded issuer stops too)', async () => {
      const { port } = busy.address() as { port: number };
      sample = startNode([SAMPLE], { PORT: String(port) });
      expect(await sample.exited).toBe(1);
      expect(sample.stderr).toMatch(
        new RegExp(`^sample: port ${port} of 127\\.0\\.0\\.1 is in use \\(EADDRINUSE\\): PORT=0`, 'm'),
      );
    });

    it('when PORT is not a port', async () => {
      sample = startNode([SAMPLE], { PORT: 'eighty' });
      expect(await sample.exited).toBe(1);
      expect(sample.stderr).toMatch(/^sample: PORT must be a whole number/m);
    });

    it('when the COGNITO_ pool options are invalid', async () => {
      sample = startNode([SAMPLE], { COGNITO_USER_POOL_ID: 'not-a-pool', COGNITO_CLIENT_ID: 'abc' });
      expect(await sample.exited).toBe(1);
      expect(sample.stderr).toMatch(/CognitoConfigError: CognitoAuthModule option "userPoolId"/);
    });
  });
});
