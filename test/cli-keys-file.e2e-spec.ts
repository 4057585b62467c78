import type { INestApplication } from '@nestjs/common';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  watch,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../sample/app.module';
import { CognitoTestIssuer } from '../src/testing';
import { createApp } from './support/create-app';
import { freePort, root, runNode } from './support/processes';
import { getWithToken } from './support/requests';
import { waitFor } from './support/wait-for';

/** The keys file under the CLI: `CognitoTestIssuer.start({ keysFile, port, listen })`. */
describe('CognitoTestIssuer with a keys file', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nest-cognito-auth-keys-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('signs tokens in one run that an app verifies against the next run, on the same fixed port', async () => {
    const keysFile = join(dir, 'runs.json');
    const port = await freePort();
    const first = await CognitoTestIssuer.start({ keysFile, port });
    const token = first.accessToken({ groups: ['admin'] });
    await first.stop();

    const second = await CognitoTestIssuer.start({ keysFile, port });
    let app: INestApplication | undefined;
    try {
      expect(second.issuer).toBe(`http://127.0.0.1:${port}/us-east-1_TestPool1`);
      expect(second.currentKid).toBe(first.currentKid);
      app = await createApp(AppModule.forRoot(second.moduleOptions()), []);
      expect((await getWithToken(app, '/admin', token)).status).toBe(200);
    } finally {
      await app?.close();
      await second.stop();
    }
  });

  it('keeps rotated keys in the file, oldest first', async () => {
    const keysFile = join(dir, 'rotate.json');
    const issuer = await CognitoTestIssuer.start({ keysFile, listen: false, port: 1 });
    const before = issuer.currentKid;
    const after = issuer.rotateKeys();
    const kids = JSON.parse(readFileSync(keysFile, 'utf8')).keys.map((key: { kid: string }) => key.kid);
    expect(kids).toEqual([before, after]);
    const reloaded = await CognitoTestIssuer.start({ keysFile, listen: false, port: 1 });
    expect(reloaded.currentKid).toBe(after);
    expect(reloaded.jwks().keys.map((key) => key.kid)).toEqual([before, after]);
  });

  it('gives processes that create the file at once the same keys', async () => {
    const keysFile = join(dir, 'race.json');
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => runNode([join(root, 'dist/cli/main.js'), 'token', '--keys', keysFile], dir)),
    );
    const kids = runs.map((run) => {
      expect(run.code).toBe(0);
      return JSON.parse(Buffer.from(run.stdout.split('.')[0]!, 'base64url').toString()).kid;
    });
    expect(new Set(kids).size).toBe(1);
  });

  describe('in a directory others can write to', () => {
    it('[X3] writes no key through a link planted where the keys are written aside, on creation and rotation', async () => {
      const keysFile = join(dir, 'planted.json');
      const stolen = join(dir, 'stolen.json');
      // The name the file used to be written aside under: predictable from the pid.
      symlinkSync(stolen, `${keysFile}.${process.pid}.tmp`);
      const issuer = await CognitoTestIssuer.start({ keysFile, listen: false, port: 1 });
      issuer.rotateKeys();
      expect(existsSync(stolen)).toBe(false);
      const keys = JSON.parse(readFileSync(keysFile, 'utf8')).keys.map((key: { kid: string }) => key.kid);
      expect(keys).toEqual(issuer.jwks().keys.map((key) => key.kid));
      expect(statSync(keysFile).mode & 0o777).toBe(0o600);
      // The random names aside are gone; the planted link is left as it was.
      expect(readdirSync(dir).filter((name) => name.startsWith('planted.json.'))).toEqual([
        `planted.json.${process.pid}.tmp`,
      ]);
    });

    it('[X3] writes aside under a new random name each time', async () => {
      const watched = mkdtempSync(join(dir, 'watched-'));
      const keysFile = join(watched, 'keys.json');
      const names = new Set<string>();
      // inotify reports every name created in the directory, however briefly it exists.
      const watcher = watch(watched, (_event, name) => {
        if (name !== null && name.endsWith('.tmp')) names.add(name);
      });
      try {
        const issuer = await CognitoTestIssuer.start({ keysFile, listen: false, port: 1 });
        issuer.rotateKeys();
        issuer.rotateKeys();
        await waitFor(() => names.size >= 3);
      } finally {
        watcher.close();
      }
      expect([...names]).toHaveLength(3);
      for (const name of names) expect(name).toMatch(/^keys\.json\.[0-9a-f]{24}\.tmp$/);
      expect(readdirSync(watched)).toEqual(['keys.json']);
    });

    it('[X4] warns when the keys file is readable by group or others, and not at 0600', async () => {
      const keysFile = join(dir, 'loose.json');
      await CognitoTestIssuer.start({ keysFile, listen: false, port: 1 });
      // Observed, not replaced: Node still prints the warning. (Jest's sandboxed `process` does not
      // relay the real one's 'warning' events.)
      const emitWarning = jest.spyOn(process, 'emitWarning');
      try {
        await CognitoTestIssuer.start({ keysFile, listen: false, port: 1 });
        expect(emitWarning).not.toHaveBeenCalled();
        chmodSync(keysFile, 0o644);
        await CognitoTestIssuer.start({ keysFile, listen: false, port: 1 });
        expect(emitWarning.mock.calls).toEqual([
          [
            `Keys file ${keysFile} holds private keys but is readable by others (mode 0644): run chmod 600 ${keysFile}`,
            { code: 'NEST_COGNITO_AUTH_KEYS_FILE_MODE' },
          ],
        ]);
      } finally {
        emitWarning.mockRestore();
      }
    });

    it("[X4] says so on the CLI's stderr", async () => {
      const keysFile = join(dir, 'cli-loose.json');
      await CognitoTestIssuer.start({ keysFile, listen: false, port: 1 });
      chmodSync(keysFile, 0o640);
      const run = await runNode([join(root, 'dist/cli/main.js'), 'token', '--keys', keysFile], dir);
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`Keys file ${keysFile} holds private keys but is readable by its group (mode 0640)`);
    });
  });

  it('refuses listen: false without a port, and a port out of range', async () => {
    await expect(CognitoTestIssuer.start({ listen: false })).rejects.toThrow(/"listen: false" needs a "port"/);
    await expect(CognitoTestIssuer.start({ port: 70000 })).rejects.toThrow(/option "port" must be a whole number/);
  });
});
