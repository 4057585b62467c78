import { existsSync } from 'node:fs';
import { CognitoTestIssuer, type TestTokenOptions } from '../testing/cognito-test-issuer';
import { describeIssuerConfiguration } from './issuer-configuration';
import type { LocalIssuerSettings } from './local-issuer-settings';

/**
 * `nest-cognito-auth token`: signs a token with the keys of `settings.keysFile` (created on first
 * use) for the issuer on `settings.port`, without serving anything, so it works while `serve` runs.
 * The token alone goes to stdout (`TOKEN=$(npx nest-cognito-auth token)`), the rest to stderr.
 */
export async function tokenCommand(
  settings: LocalIssuerSettings,
  kind: 'access' | 'id',
  options: TestTokenOptions,
): Promise<void> {
  const created = !existsSync(settings.keysFile);
  const issuer = await CognitoTestIssuer.start({
    keysFile: settings.keysFile,
    port: settings.port,
    userPoolId: settings.userPoolId,
    clientId: settings.clientId,
    listen: false,
  });
  const token = kind === 'id' ? issuer.idToken(options) : issuer.accessToken(options);
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    [
      `${kind === 'id' ? 'Id' : 'Access'} token above, signed with kid ${issuer.currentKid} from ${settings.keysFile}` +
        (created ? ' (created now: it holds private keys, keep it out of git).' : '.'),
      describeIssuerConfiguration(issuer, settings),
      '',
    ].join('\n'),
  );
}
