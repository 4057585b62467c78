import type { CognitoTestIssuer } from '../testing/cognito-test-issuer';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_KEYS_FILE,
  DEFAULT_PORT,
  DEFAULT_USER_POOL_ID,
  type LocalIssuerSettings,
} from './local-issuer-settings';

/**
 * What an app needs to trust the CLI's tokens: the module options, the sample's environment
 * variables, and the `serve` command line that makes `jwksUri` answer.
 */
export function describeIssuerConfiguration(issuer: CognitoTestIssuer, settings: LocalIssuerSettings): string {
  return [
    'Configure your app (CognitoAuthModule.forRoot):',
    `  userPoolId: '${issuer.userPoolId}',`,
    `  clientId:   '${issuer.clientId}',`,
    `  issuer:     '${issuer.issuer}',`,
    `  jwksUri:    '${issuer.jwksUri}'  (the default for this issuer)`,
    'or run the sample against it:',
    `  COGNITO_USER_POOL_ID=${issuer.userPoolId} COGNITO_CLIENT_ID=${issuer.clientId} COGNITO_ISSUER=${issuer.issuer} npm run sample`,
    'The JWKS URL answers while this runs:',
    `  npx nest-cognito-auth ${serveCommandLine(settings)}`,
  ].join('\n');
}

/** `serve` with the flags that differ from the defaults, so it serves what `token` signed with. */
export function serveCommandLine(settings: LocalIssuerSettings): string {
  const flags = [
    settings.keysFile !== DEFAULT_KEYS_FILE ? ` --keys ${shellQuote(settings.keysFile)}` : '',
    settings.port !== DEFAULT_PORT ? ` --port ${settings.port}` : '',
    settings.userPoolId !== DEFAULT_USER_POOL_ID ? ` --user-pool-id ${settings.userPoolId}` : '',
    settings.clientId !== DEFAULT_CLIENT_ID ? ` --client-id ${shellQuote(settings.clientId)}` : '',
  ];
  return `serve${flags.join('')}`;
}

function shellQuote(value: string): string {
  return /^[\w./:@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
