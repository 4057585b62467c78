/** Where the CLI keeps its private keys unless `--keys` says otherwise (relative to the working directory). */
export const DEFAULT_KEYS_FILE = '.cognito-keys.json';
/** The port `serve` listens on and tokens name in their `iss`, unless `--port` says otherwise. */
export const DEFAULT_PORT = 9339;
/** The pool the CLI's tokens claim to come from. */
export const DEFAULT_USER_POOL_ID = 'us-east-1_LocalDev';
/** The app client the CLI's tokens are issued to. */
export const DEFAULT_CLIENT_ID = 'local-dev-client';

/**
 * The local issuer `token` signs for and `serve` serves: both commands must agree on these, so both
 * take the same flags with the same defaults.
 */
export interface LocalIssuerSettings {
  readonly keysFile: string;
  readonly port: number;
  readonly userPoolId: string;
  readonly clientId: string;
}
