import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CognitoAuthError } from '../errors';
import { decodeJwt } from '../jwt';
import { DEFAULT_REVOCATION_KEY_PREFIX } from '../revocation/redis-revocation-store';
import type { RevocableClaims } from '../revocation/revocation-entry';
import type { TestTokenOptions } from '../testing/cognito-test-issuer';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_KEYS_FILE,
  DEFAULT_PORT,
  DEFAULT_USER_POOL_ID,
  type LocalIssuerSettings,
} from './local-issuer-settings';
import { UsageError } from './usage-error';

/** A command line the CLI understood. */
export type CliCommand =
  | { readonly name: 'help' }
  | { readonly name: 'serve'; readonly issuer: LocalIssuerSettings }
  | ({ readonly name: 'revoke' } & RevokeSettings)
  | {
      readonly name: 'token';
      readonly issuer: LocalIssuerSettings;
      readonly kind: 'access' | 'id';
      readonly token: TestTokenOptions;
    };

/** What `revoke` writes, and where. */
export interface RevokeSettings {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly maxTokenLifetimeSeconds: number;
  readonly target:
    | { readonly kind: 'user'; readonly sub: string; readonly before: Date | undefined }
    | { readonly kind: 'token'; readonly claims: RevocableClaims };
}

// The module's own rule for a pool id (cognito-auth.config.ts), checked here so a typo fails now
// rather than when the app that trusts the token starts.
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

const ISSUER_FLAGS = {
  keys: { type: 'string' },
  port: { type: 'string' },
  'user-pool-id': { type: 'string' },
  'client-id': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const TOKEN_FLAGS = {
  ...ISSUER_FLAGS,
  id: { type: 'boolean' },
  groups: { type: 'string' },
  scope: { type: 'string' },
  claim: { type: 'string', multiple: true },
  'expires-in': { type: 'string' },
} as const;

const REVOKE_FLAGS = {
  redis: { type: 'string' },
  sub: { type: 'string' },
  before: { type: 'string' },
  token: { type: 'string' },
  'key-prefix': { type: 'string' },
  'max-token-lifetime': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Reads `argv` (without `node` and the script).
 * @throws UsageError naming the command, flag or value that is wrong.
 */
export function parseCliArguments(argv: readonly string[]): CliCommand {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw new UsageError('A command is required: token, serve or revoke');
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help' };
    case 'serve': {
      const { values } = parse(command, rest, ISSUER_FLAGS);
      return values.help ? { name: 'help' } : { name: 'serve', issuer: issuerSettings(values) };
    }
    case 'token': {
      const { values } = parse(command, rest, TOKEN_FLAGS);
      if (values.help) return { name: 'help' };
      const kind = values.id ? 'id' : 'access';
      if (kind === 'id' && values.scope !== undefined) {
        throw new UsageError('--scope applies to access tokens only; id tokens carry no scope (drop --id or --scope)');
      }
      const token: TestTokenOptions = {
        ...(values.groups !== undefined ? { groups: groups(values.groups) } : {}),
        ...(values.scope !== undefined ? { scope: scope(values.scope) } : {}),
        ...(values['expires-in'] !== undefined ? { expiresIn: expiresIn(values['expires-in']) } : {}),
        ...(values.claim !== undefined ? { claims: claims(values.claim) } : {}),
      };
      return { name: 'token', issuer: issuerSettings(values), kind, token };
    }
    case 'revoke': {
      const { values } = parse(command, rest, REVOKE_FLAGS);
      return values.help ? { name: 'help' } : { name: 'revoke', ...revokeSettings(values) };
    }
    default:
      throw new UsageError(
        command.startsWith('-')
          ? `A command comes first: token, serve or revoke, got "${command}"`
          : `Unknown command "${command}": use token, serve or revoke`,
      );
  }
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T) {
  try {
    const parsed = parseArgs({ args, options, strict: true as const, allowPositionals: true as const });
    if (parsed.positionals.length > 0) {
      throw new UsageError(`Unexpected argument "${parsed.positionals[0]}" after ${command}`);
    }
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // node:util's messages name the flag ("Unknown option '--grups'"); keep them, drop its advice
    // about positionals, which this CLI does not take.
    const message = error instanceof Error ? error.message.split('. To specify a positional')[0]! : String(error);
    throw new UsageError(`${command}: ${message}`);
  }
}

function issuerSettings(values: {
  keys?: string;
  port?: string;
  'user-pool-id'?: string;
  'client-id'?: string;
}): LocalIssuerSettings {
  const keysFile = values.keys ?? DEFAULT_KEYS_FILE;
  if (keysFile === '') throw new UsageError('--keys needs a file path');
  const userPoolId = values['user-pool-id'] ?? DEFAULT_USER_POOL_ID;
  if (!USER_POOL_ID.test(userPoolId)) {
    throw new UsageError(`--user-pool-id must be "<region>_<id>" such as "us-east-1_LocalDev", got "${userPoolId}"`);
  }
  const clientId = values['client-id'] ?? DEFAULT_CLIENT_ID;
  if (clientId.trim() === '') throw new UsageError('--client-id must not be empty');
  return { keysFile, port: port(values.port), userPoolId, clientId };
}

function revokeSettings(values: {
  redis?: string;
  sub?: string;
  before?: string;
  token?: string;
  'key-prefix'?: string;
  'max-token-lifetime'?: string;
}): RevokeSettings {
  const redisUrl = values.redis;
  if (redisUrl === undefined) throw new UsageError('revoke needs --redis URL, e.g. --redis redis://127.0.0.1:6379');
  if (!/^rediss?:\/\/./.test(redisUrl)) {
    throw new UsageError(`--redis must be a redis:// or rediss:// URL, got "${redisUrl}"`);
  }
  const keyPrefix = values['key-prefix'] ?? DEFAULT_REVOCATION_KEY_PREFIX;
  if (keyPrefix === '') throw new UsageError('--key-prefix must not be empty');
  const lifetime = values['max-token-lifetime'] ?? '86400';
  if (!/^\d+$/.test(lifetime) || Number(lifetime) < 1) {
    throw new UsageError(
      `--max-token-lifetime takes whole seconds >= 1 (the app's maxTokenLifetimeSeconds), got "${lifetime}"`,
    );
  }
  const common = { redisUrl, keyPrefix, maxTokenLifetimeSeconds: Number(lifetime) };
  if ((values.sub === undefined) === (values.token === undefined)) {
    throw new UsageError(
      'revoke takes either --sub SUB (every token of a user) or --token TOKEN (one token), not both',
    );
  }
  if (values.token !== undefined) {
    if (values.before !== undefined) throw new UsageError('--before applies to --sub only');
    return { ...common, target: { kind: 'token', claims: tokenClaims(values.token) } };
  }
  const sub = values.sub!;
  if (sub.trim() === '') throw new UsageError('--sub must not be empty');
  let before: Date | undefined;
  if (values.before !== undefined) {
    before = new Date(values.before);
    if (!/^\d{4}-\d{2}-\d{2}/.test(values.before) || Number.isNaN(before.getTime())) {
      throw new UsageError(`--before takes an ISO 8601 instant such as 2026-01-31T12:00:00Z, got "${values.before}"`);
    }
  }
  return { ...common, target: { kind: 'user', sub, before } };
}

/**
 * The claims of `--token`, decoded but not verified: the CLI holds no keys, and whoever runs it can
 * write to the revocation Redis anyway.
 */
function tokenClaims(token: string): RevocableClaims {
  let payload: Readonly<Record<string, unknown>>;
  try {
    ({ payload } = decodeJwt(token.trim()));
  } catch (error) {
    const reason = error instanceof CognitoAuthError ? error.message : String(error);
    throw new UsageError(`--token is not a Cognito access or id token (${reason})`);
  }
  const { jti, origin_jti: originJti, exp } = payload;
  if (typeof jti !== 'string' && typeof originJti !== 'string') {
    throw new UsageError('--token has neither jti nor origin_jti: nothing to revoke it by (use --sub)');
  }
  if (typeof exp !== 'number') throw new UsageError('--token has no numeric exp');
  return { jti, origin_jti: originJti, exp };
}

function port(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  // Not 0: the issuer URL inside every token names the port, so it has to be known before signing.
  if (!(number >= 1 && number <= 65535)) {
    throw new UsageError(`--port must be a whole number from 1 to 65535, got "${value}"`);
  }
  return number;
}

function groups(value: string): string[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) {
    throw new UsageError(`--groups takes comma-separated group names such as "admin,support", got "${value}"`);
  }
  return names;
}

function scope(value: string): string {
  const scopes = value.split(' ').filter((part) => part !== '');
  if (scopes.length === 0) throw new UsageError('--scope needs at least one scope, such as "orders/read"');
  return scopes.join(' ');
}

function expiresIn(value: string): number {
  if (!/^-?\d+$/.test(value)) {
    throw new UsageError(`--expires-in takes whole seconds (negative for an expired token), got "${value}"`);
  }
  return Number(value);
}

function claims(pairs: readonly string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--claim takes name=value, such as "custom:tier=gold", got "${pair}"`);
    result[pair.slice(0, equals)] = jsonOrString(pair.slice(equals + 1));
  }
  return result;
}

/** `3` → 3, `true` → true, `["a"]` → ["a"]; anything that is not JSON stays the string given. */
function jsonOrString(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
