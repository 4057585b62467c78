import type { CognitoAuthModuleOptions } from '../src';

/** How the sample runs, read from the environment. */
export interface SampleSettings {
  /** `PORT`; 0 picks a free port. @default 3000 */
  readonly port: number;
  /**
   * `pool`: verify the tokens of the pool the `COGNITO_*` variables name (AWS, cognito-local,
   * LocalStack, `nest-cognito-auth serve`). `local`: start an embedded `CognitoTestIssuer`.
   */
  readonly auth:
    | { readonly mode: 'pool'; readonly userPoolId: string; readonly options: CognitoAuthModuleOptions }
    | { readonly mode: 'local' };
}

/** An environment the sample refuses to start with; the message names the variable. */
export class SampleSettingsError extends Error {
  override readonly name = 'SampleSettingsError';
}

/**
 * `COGNITO_USER_POOL_ID` and `COGNITO_CLIENT_ID` (both or neither), optionally `COGNITO_ISSUER` and
 * `COGNITO_JWKS_URI` for an emulator, and `PORT`.
 * @throws SampleSettingsError naming the variable that is missing or malformed.
 */
export function readSampleSettings(env: NodeJS.ProcessEnv): SampleSettings {
  const port = readPort(env.PORT);
  const userPoolId = nonEmpty(env.COGNITO_USER_POOL_ID);
  const clientId = nonEmpty(env.COGNITO_CLIENT_ID);
  const issuer = nonEmpty(env.COGNITO_ISSUER);
  const jwksUri = nonEmpty(env.COGNITO_JWKS_URI);
  if (userPoolId === undefined && clientId === undefined) {
    if (issuer !== undefined || jwksUri !== undefined) {
      throw new SampleSettingsError(
        'COGNITO_ISSUER and COGNITO_JWKS_URI need COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID',
      );
    }
    return { port, auth: { mode: 'local' } };
  }
  // One of the two alone is a typo, not a request for local mode: say so rather than ignore it.
  if (userPoolId === undefined)
    throw new SampleSettingsError('COGNITO_USER_POOL_ID is required with COGNITO_CLIENT_ID');
  if (clientId === undefined) throw new SampleSettingsError('COGNITO_CLIENT_ID is required with COGNITO_USER_POOL_ID');
  return {
    port,
    auth: {
      mode: 'pool',
      userPoolId,
      options: {
        userPoolId,
        // Several app clients, comma-separated.
        clientId: clientId.includes(',') ? clientId.split(',').map((id) => id.trim()) : clientId,
        ...(issuer !== undefined ? { issuer } : {}),
        ...(jwksUri !== undefined ? { jwksUri } : {}),
      },
    },
  };
}

function readPort(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new SampleSettingsError(`PORT must be a whole number from 0 (a free port) to 65535, got "${value}"`);
  }
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
