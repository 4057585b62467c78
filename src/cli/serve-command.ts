import { CognitoTestIssuer } from '../testing/cognito-test-issuer';
import { describeIssuerConfiguration } from './issuer-configuration';
import type { LocalIssuerSettings } from './local-issuer-settings';

/**
 * `nest-cognito-auth serve`: serves the JWKS of `settings.keysFile` (created on first use) on
 * 127.0.0.1:`settings.port` until SIGINT or SIGTERM, then closes the server and returns, so the
 * process ends with code 0.
 */
export async function serveCommand(settings: LocalIssuerSettings): Promise<void> {
  const issuer = await CognitoTestIssuer.start({
    keysFile: settings.keysFile,
    port: settings.port,
    userPoolId: settings.userPoolId,
    clientId: settings.clientId,
  });
  process.stdout.write(
    [
      `Serving the JWKS of ${settings.keysFile} (kid ${issuer.currentKid}) at ${issuer.jwksUri}`,
      describeIssuerConfiguration(issuer, settings).replace(/\nThe JWKS URL answers[^]*$/, ''),
      'Tokens: npx nest-cognito-auth token --help. Stop with Ctrl+C.',
      '',
    ].join('\n'),
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await issuer.stop();
  process.stdout.write(`${signal}: stopped serving ${issuer.jwksUri}\n`);
}
