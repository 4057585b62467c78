import type { CognitoAuthModuleOptions } from './cognito-auth-options.interface';
import type { CognitoTokenUse } from './cognito-jwt-payload.interface';
import { CognitoConfigError } from './errors';
import { createTokenExtractor } from './token-extractor';
import type { CognitoVerifyHook } from './verify-hook';

/** The module options once validated and with every default filled in. */
export interface CognitoAuthConfig {
  readonly userPoolId: string;
  /** `null`: any client of the pool (the user passed `clientId: null`). */
  readonly clientIds: ReadonlySet<string> | null;
  readonly tokenUse: readonly CognitoTokenUse[];
  readonly issuer: string;
  readonly jwksUri: string;
  readonly clockToleranceSeconds: number;
  readonly jwks: {
    readonly cacheMaxAgeMs: number;
    readonly requestsPerMinute: number;
    readonly timeoutMs: number;
  };
  /** Reads the token from a request, as `tokenFrom` says; `null` when there is none. */
  readonly extractToken: (request: unknown) => string | null;
  /** The app's `verify` hook, if any. */
  readonly verify: CognitoVerifyHook | null;
  /** The `realm` of `WWW-Authenticate` challenges. */
  readonly realm: string;
  /**
   * Passport keeps strategies in one process-wide registry by name; each module instance registers
   * under its own name so two applications in one process keep their own options.
   */
  readonly strategyName: string;
}

// AWS's pattern for a user pool id; the part before the last `_` is the region for real pools.
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const TOKEN_USES: readonly CognitoTokenUse[] = ['access', 'id'];
const OPTION_KEYS = new Set([
  'userPoolId',
  'clientId',
  'tokenUse',
  'issuer',
  'jwksUri',
  'clockToleranceSeconds',
  'jwks',
  'tokenFrom',
  'verify',
]);
const JWKS_OPTION_KEYS = new Set(['cacheMaxAgeMs', 'requestsPerMinute', 'timeoutMs']);

let instances = 0;

/**
 * Validates the options of one module instance and fills in the defaults.
 * @throws CognitoConfigError naming the first option that is missing or malformed.
 */
export function resolveCognitoAuthOptions(options: CognitoAuthModuleOptions): CognitoAuthConfig {
  if (!isPlainObject(options)) {
    throw new CognitoConfigError('options', `must be an object, got ${describe(options)}`);
  }
  rejectUnknownKeys(options, OPTION_KEYS, '');

  const userPoolId = options.userPoolId;
  if (typeof userPoolId !== 'string' || !USER_POOL_ID.test(userPoolId)) {
    throw new CognitoConfigError(
      'userPoolId',
      `must be "<region>_<id>" such as "us-east-1_AbC123xyz", got ${describe(userPoolId)}`,
    );
  }
  const region = userPoolId.slice(0, userPoolId.lastIndexOf('_'));

  const issuer =
    options.issuer === undefined
      ? defaultIssuer(userPoolId, region)
      : httpUrl('issuer', options.issuer);
  const jwksUri =
    options.jwksUri === undefined
      ? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`
      : httpUrl('jwksUri', options.jwksUri);
  const jwks = options.jwks ?? {};
  if (!isPlainObject(jwks)) {
    throw new CognitoConfigError('jwks', `must be an object, got ${describe(jwks)}`);
  }
  rejectUnknownKeys(jwks, JWKS_OPTION_KEYS, 'jwks.');

  return {
    userPoolId,
    clientIds: clientIds(options),
    tokenUse: tokenUses(options.tokenUse),
    issuer,
    jwksUri,
    clockToleranceSeconds: number('clockToleranceSeconds', options.clockToleranceSeconds, 0, 0),
    jwks: {
      // Integers within a timer's range: lru-cache rejects a fractional ttl and takes 0 as
      // "forever", and AbortSignal.timeout() throws past 2^32 - 1.
      cacheMaxAgeMs: integer('jwks.cacheMaxAgeMs', jwks.cacheMaxAgeMs, 600_000, 1),
      requestsPerMinute: integer('jwks.requestsPerMinute', jwks.requestsPerMinute, 10, 1),
      timeoutMs: integer('jwks.timeoutMs', jwks.timeoutMs, 5_000, 1),
    },
    extractToken: createTokenExtractor(options.tokenFrom),
    verify: verifyHook(options.verify),
    realm: userPoolId,
    strategyName: `cognito#${++instances}`,
  };
}

function defaultIssuer(userPoolId: string, region: string): string {
  if (!AWS_REGION.test(region)) {
    throw new CognitoConfigError(
      'issuer',
      `is required: userPoolId "${userPoolId}" names no AWS region to derive it from (emulators need issuer)`,
    );
  }
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

function verifyHook(value: unknown): CognitoVerifyHook | null {
  if (value === undefined) return null;
  if (typeof value !== 'function') {
    throw new CognitoConfigError('verify', `must be a function (payload, request) => boolean, got ${describe(value)}`);
  }
  return value as CognitoVerifyHook;
}

function clientIds(options: CognitoAuthModuleOptions): ReadonlySet<string> | null {
  // `clientId` is required but nullable: forgetting it must not silently mean "any client".
  if (!('clientId' in options) || options.clientId === undefined) {
    throw new CognitoConfigError(
      'clientId',
      'is required: the app client id(s) whose tokens to accept, or null to accept any client of the pool',
    );
  }
  const value: unknown = options.clientId;
  if (value === null) return null;
  const ids = Array.isArray(value) ? value : [value];
  if (ids.length === 0 || !ids.every((id) => typeof id === 'string' && id.length > 0)) {
    throw new CognitoConfigError(
      'clientId',
      `must be a non-empty string, a non-empty array of them, or null; got ${describe(value)}`,
    );
  }
  return new Set(ids as string[]);
}

function tokenUses(value: unknown): readonly CognitoTokenUse[] {
  if (value === undefined) return ['access'];
  const uses = Array.isArray(value) ? value : [value];
  if (uses.length === 0 || !uses.every((use) => TOKEN_USES.includes(use as CognitoTokenUse))) {
    throw new CognitoConfigError(
      'tokenUse',
      `must be "access", "id" or an array of them, got ${describe(value)}`,
    );
  }
  return [...new Set(uses as CognitoTokenUse[])];
}

function httpUrl(option: string, value: unknown): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'https:' || url.protocol === 'http:') return value;
    } catch {
      // reported below
    }
  }
  throw new CognitoConfigError(option, `must be an http(s) URL, got ${describe(value)}`);
}

function number(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new CognitoConfigError(option, `must be a finite number >= ${min}, got ${describe(value)}`);
  }
  return value;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function integer(option: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new CognitoConfigError(option, `must be a whole number from ${min} to ${MAX_TIMER_MS}, got ${describe(value)}`);
  }
  return value;
}

function rejectUnknownKeys(object: object, known: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) {
      throw new CognitoConfigError(
        `${prefix}${key}`,
        `is not an option (expected one of ${[...known].join(', ')})`,
      );
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}
