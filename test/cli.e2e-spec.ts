import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../sample/app.module';
import type { CognitoAuthModuleOptions } from '../src';
import { createApp } from './support/create-app';
import { freePort, root, runNode, startNode, stopIfRunning, type NodeProcess } from './support/processes';
import { get, getWithToken } from './support/requests';

/**
 * `npx nest-cognito-auth token|serve` as a developer runs it: the built bin (`npm test` builds it
 * first) in its own process. Its tokens are verified by a real app whose JWKS comes from `serve`,
 * reading the same keys file.
 */
const CLI = join(root, 'dist/cli/main.js');

function kidOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
}

/** The module options the CLI tells the developer to configure. */
function optionsPrinted(stderr: string): CognitoAuthModuleOptions {
  const value = (name: string) => stderr.match(new RegExp(`^  ${name}: +'([^']+)'`, 'm'))?.[1];
  return { userPoolId: value('userPoolId')!, clientId: value('clientId')!, issuer: value('issuer')! };
}

describe('the nest-cognito-auth CLI', () => {
  let dir: string;
  let keys: string;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nest-cognito-auth-cli-'));
    keys = join(dir, 'keys.json');
    port = await freePort();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** `token <args> --keys <keys> --port <port>`, expected to succeed. */
  async function token(...args: string[]) {
    const run = await runNode([CLI, 'token', ...args, '--keys', keys, '--port', String(port)], dir);
    expect(run).toMatchObject({ code: 0 });
    return { token: run.stdout.trim(), stderr: run.stderr };
  }

  describe('token', () => {
    it('creates the keys file on first use, private to its owner, and prints one token and what to configure', async () => {
      const first = await token();
      expect(first.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(first.stderr).toMatch(/\(created now: it holds private keys/);
      expect(statSync(keys).mode & 0o777).toBe(0o600);
      expect(optionsPrinted(first.stderr)).toEqual({
        userPoolId: 'us-east-1_LocalDev',
        clientId: 'local-dev-client',
        issuer: `http://127.0.0.1:${port}/us-east-1_LocalDev`,
      });
      expect(first.stderr).toContain(`jwksUri:    'http://127.0.0.1:${port}/us-east-1_LocalDev/.well-known/jwks.json'`);
      expect(first.stderr).toContain(`npx nest-cognito-auth serve --keys ${keys} --port ${port}`);
    });

    it('signs with the same key on the next run', async () => {
      const [a, b] = [await token(), await token()];
      expect(kidOf(a.token)).toBe(kidOf(b.token));
      expect(b.stderr).not.toMatch(/created now/);
    });
  });

  describe('its tokens, verified by an app against `serve` on the same keys file', () => {
    let serve: NodeProcess | undefined;
    let app: INestApplication;

    beforeAll(async () => {
      serve = startNode([CLI, 'serve', '--keys', keys, '--port', String(port)], {}, dir);
      await serve.waitFor(/^Serving the JWKS of /m);
      const { stderr } = await token();
      app = await createApp(AppModule.forRoot(optionsPrinted(stderr)), []);
    });

    afterAll(async () => {
      await app?.close();
      await stopIfRunning(serve);
    });

    it('an access token with --groups and --scope opens /admin and /orders', async () => {
      const { token: admin } = await token('--groups', 'admin,support', '--scope', 'openid orders/read');
      expect((await getWithToken(app, '/admin', admin)).status).toBe(200);
      expect((await getWithToken(app, '/orders', admin)).status).toBe(200);
      expect((await getWithToken(app, '/me', admin)).body).toMatchObject({
        'cognito:groups': ['admin', 'support'],
        scope: 'openid orders/read',
      });
      expect((await get(app, '/admin')).status).toBe(401);
    });

    it('a plain access token is let in to /me and kept out of /admin', async () => {
      const { token: user } = await token();
      expect((await getWithToken(app, '/me', user)).status).toBe(200);
      expect((await getWithToken(app, '/admin', user)).status).toBe(403);
    });

    it('--id makes an id token; --claim sets claims, read as JSON when they parse', async () => {
      const { token: id } = await token('--id', '--claim', 'email=dev@example.com', '--claim', 'custom:tier=3');
      expect((await getWithToken(app, '/profile', id)).body).toEqual({
        email: 'dev@example.com',
        username: 'test-user',
      });
      expect((await getWithToken(app, '/me', id)).status).toBe(401);
      const payload = JSON.parse(Buffer.from(id.split('.')[1]!, 'base64url').toString());
      expect(payload).toMatchObject({ token_use: 'id', 'custom:tier': 3, email: 'dev@example.com' });
    });

    it('--expires-in=-60 makes an expired token', async () => {
      const { token: expired } = await token('--expires-in=-60');
      expect((await getWithToken(app, '/me', expired)).body).toMatchObject({ message: 'Token expired' });
    });

    it('a token of another keys file is refused', async () => {
      const other = await runNode([CLI, 'token', '--keys', join(dir, 'other.json'), '--port', String(port)], dir);
      expect(other.code).toBe(0);
      expect((await getWithToken(app, '/me', other.stdout.trim())).status).toBe(401);
    });

    it('serve stops on SIGTERM with exit code 0', async () => {
      serve!.child.kill('SIGTERM');
      expect(await serve!.exited).toBe(0);
      expect(serve!.stdout).toMatch(/^SIGTERM: stopped serving /m);
    });
  });

  describe('refuses, with a message naming the problem', () => {
    it.each([
      [[], /A command is required: token, serve or revoke/],
      [['tokens'], /Unknown command "tokens"/],
      [['--groups', 'admin'], /A command comes first: token, serve or revoke, got "--groups"/],
      [['token', '--grups', 'admin'], /Unknown option '--grups'/],
      [['token', '--groups'], /'--groups <value>' argument missing/],
      [['token', '--groups', 'admin,'], /--groups takes comma-separated group names/],
      [['token', '--id', '--scope', 'orders/read'], /--scope applies to access tokens only/],
      [['token', '--scope', ' '], /--scope needs at least one scope/],
      [['token', '--expires-in', 'soon'], /--expires-in takes whole seconds/],
      [['token', '--claim', 'email'], /--claim takes name=value/],
      [['token', '--port', '0'], /--port must be a whole number from 1 to 65535, got "0"/],
      [['token', '--user-pool-id', 'nopool'], /--user-pool-id must be "<region>_<id>"/],
      [['token', 'admin'], /Unexpected argument "admin" after token/],
      [['serve', '--id'], /Unknown option '--id'/],
    ])('%j with exit code 2 and nothing on stdout', async (args, message) => {
      const run = await runNode([CLI, ...args], dir);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/Run "nest-cognito-auth --help" for the flags/);
      expect(run.stdout).toBe('');
    });

    it('creates no keys file for a refused command line', () => {
      // The commands above ran in `dir` without --keys: the default file would be there.
      expect(() => statSync(join(dir, '.cognito-keys.json'))).toThrow();
    });

    it('a keys file that is not one, with exit code 1', async () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, '{"keys":[{"kid":"x","kty":"RSA"}]}');
      const run = await runNode([CLI, 'token', '--keys', bad], dir);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/Keys file .*bad\.json: keys\[0\] is not an RSA private key with a kid/);
    });

    it('serve on a port in use, with exit code 1', async () => {
      const first = startNode([CLI, 'serve', '--keys', keys, '--port', String(port)], {}, dir);
      try {
        await first.waitFor(/^Serving the JWKS/m);
        const run = await runNode([CLI, 'serve', '--keys', keys, '--port', String(port)], dir);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(new RegExp(`port ${port} of 127\\.0\\.0\\.1 is in use`));
      } finally {
        await stopIfRunning(first);
      }
    });
  });

  it('is the package bin, built with its shebang, executable', () => {
    const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(join(root, bin['nest-cognito-auth']!)).toBe(CLI);
    expect(readFileSync(CLI, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    expect(statSync(CLI).mode & 0o111).toBe(0o111);
  });

  it('--help prints the usage with exit code 0', async () => {
    const run = await runNode([CLI, '--help'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage:\n {2}nest-cognito-auth token /);
  });
});
