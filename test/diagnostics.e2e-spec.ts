import { type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CognitoAuthModule, type CognitoAuthModuleOptions } from '../src';
import { MAX_LOGGED_ISSUERS } from '../src/issuer-mismatch-log';
import { CognitoTestIssuer } from '../src/testing';
import { CaptureLogger } from './support/capture-logger';
import { GuardedController } from './support/controllers';
import { initApp } from './support/create-app';
import { getWithToken } from './support/requests';

/** Refusals and suspicious options show up in the application's own logger, bounded and sanitised. */
describe('diagnosable refusals', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(() => issuer.stop());

  async function start(options: CognitoAuthModuleOptions): Promise<CaptureLogger> {
    const logger = new CaptureLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot(options)],
      controllers: [GuardedController],
    }).compile();
    app = await initApp(moduleRef.createNestApplication({ logger }));
    return logger;
  }

  const mismatchLines = (logger: CaptureLogger) =>
    logger.messages('warn', 'CognitoAuth').filter((line) => line.startsWith('Token issuer not accepted'));

  describe('a token refused for its issuer', () => {
    it('logs the received and the expected iss, and names a trailing-slash mismatch', async () => {
      const logger = await start(issuer.moduleOptions({ issuer: `${issuer.issuer}/` }));
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(401);
      expect(mismatchLines(logger)).toEqual([
        `Token issuer not accepted: received ${JSON.stringify(issuer.issuer)}, expected ${JSON.stringify(`${issuer.issuer}/`)}` +
          ' (they differ by a trailing slash: the issuer option must match the tokens exactly)',
      ]);
    });

    it('[L4] logs each distinct issuer once, up to a bound, then one line', async () => {
      const logger = await start(issuer.moduleOptions());
      for (let i = 0; i < MAX_LOGGED_ISSUERS + 15; i++) {
        const token = issuer.accessToken({ claims: { iss: `https://forged.example/${i}` } });
        expect((await getWithToken(app!, '/me', token)).status).toBe(401);
        // A repeat of a logged issuer adds nothing.
        if (i === 0) expect((await getWithToken(app!, '/me', token)).status).toBe(401);
      }
      const lines = mismatchLines(logger);
      expect(lines).toHaveLength(MAX_LOGGED_ISSUERS + 1);
      expect(lines[0]).toBe(
        `Token issuer not accepted: received "https://forged.example/0", expected ${JSON.stringify(issuer.issuer)}`,
      );
      expect(lines.at(-1)).toBe(
        `Token issuer not accepted for ${MAX_LOGGED_ISSUERS} distinct issuers; further ones are not logged ` +
          `(expected ${JSON.stringify(issuer.issuer)})`,
      );
      // Accepted tokens log no mismatch.
      expect((await getWithToken(app!, '/me', issuer.accessToken())).status).toBe(200);
      expect(mismatchLines(logger)).toHaveLength(MAX_LOGGED_ISSUERS + 1);
    });

    it('[L3] sanitises and truncates what the client sent', async () => {
      const logger = await start(issuer.moduleOptions());
      const forged = [
        'evil\n[Nest] 1  - LOG fake line\u001b[31m',
        `https://long.example/${'a'.repeat(500)}`,
        42,
        undefined,
      ];
      for (const iss of forged) {
        const status = (await getWithToken(app!, '/me', issuer.accessToken({ claims: { iss } }))).status;
        expect(status).toBe(401);
      }
      const received = mismatchLines(logger).map((line) => /received (.*), expected/.exec(line)?.[1]);
      expect(received).toEqual([
        '"evil?[Nest] 1  - LOG fake line?[31m"',
        `"https://long.example/${'a'.repeat(120 - 21)}" (+401 more characters)`,
        '(an iss that is not a string: number)',
        '(no iss claim)',
      ]);
      for (const line of mismatchLines(logger)) expect(line).toMatch(/^[\x20-\x7e]+$/);
    });
  });

  describe('options that look wrong, at start', () => {
    const configWarnings = (logger: CaptureLogger) =>
      logger.messages('warn', 'CognitoAuth').filter((line) => line.startsWith('Pool '));

    it('warns about an issuer with a trailing slash', async () => {
      const logger = await start(issuer.moduleOptions({ issuer: `${issuer.issuer}/` }));
      expect(configWarnings(logger)).toEqual([
        `Pool ${issuer.userPoolId}: option "issuer" ${JSON.stringify(`${issuer.issuer}/`)} ends with "/": ` +
          'Cognito tokens carry their issuer without one, so none would match',
      ]);
    });

    it("warns about a Cognito issuer whose region or path is not the pool id's", async () => {
      // The keys come from the local issuer: nothing leaves 127.0.0.1.
      const local = { jwksUri: issuer.jwksUri, jwks: { prefetch: false }, clientId: null };
      const logger = await start({
        userPoolId: 'eu-west-1_AbC123xyz',
        issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz',
        ...local,
      });
      expect(configWarnings(logger)).toEqual([
        'Pool eu-west-1_AbC123xyz: option "issuer" "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz" ' +
          "names region us-east-1, but the pool id names eu-west-1: tokens carry the pool's own",
        'Pool eu-west-1_AbC123xyz: option "issuer" "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz" ' +
          "does not end with the pool id: Cognito's issuer is https://cognito-idp.us-east-1.amazonaws.com/eu-west-1_AbC123xyz",
      ]);
    });

    it('says nothing of a right configuration: derived issuers, an emulator issuer', async () => {
      const derived = await start({ userPoolId: 'eu-west-1_AbC123xyz', clientId: 'c', jwks: { prefetch: false } });
      await app!.close();
      app = undefined;
      const local = await start(issuer.moduleOptions());
      expect([...configWarnings(derived), ...configWarnings(local)]).toEqual([]);
      expect([...derived.messages('warn'), ...local.messages('warn')]).toEqual([]);
    });
  });
});
