import { Agent } from 'node:http';
import { resolveAlbOptions, type CognitoAlbConfig } from './alb/alb-options';
import { albHeader, ALB_HEADERS } from './alb/alb-headers';
import type { CognitoAuthModuleOptions, CognitoMeterProvider } from './cognito-auth-options.interface';
import type { CognitoTokenUse } from './cognito-jwt-payload.interface';
import { DEFAULT_METER_NAME } from './cognito-auth.metrics';
import { CognitoConfigError } from './errors';
import { resolveRevocationOptions, type CognitoRevocationConfig } from './revocation/revocation-options';
import { inlineJwks, readJwksFile, type StaticJwks } from './static-key-set';
import { TenantPools, type CognitoTenantResolver, type TenantIssuer } from './tenant-resolver';
import { createTokenExtractor } from './token-extractor';
import type { CognitoVerifyHook } from './verify-hook';

/** One pool once validated. */
export interface CognitoPoolConfig {
  readonly userPoolId: string;
  /** `null`: any client of the pool (the user passed `clientId: null`). */
  readonly clientIds: ReadonlySet<string> | null;
  readonly tokenUse: readonly CognitoTokenUse[];
  /** The issuers accepted for this pool, each with the JWKS URI its keys come from. */
  readonly issuers: readonly { readonly issuer: string; readonly jwksUri: string }[];
  /**
   * The keys of `jwksFile` or `jwksInline`, read at start: never fetched. Each of `issuers` then has
   * `staticJwks.id` as its `jwksUri`. `null`: the keys are fetched.
   */
  readonly staticJwks: StaticJwks | null;
  /**
   * The Multi-Region replicas of `replicaRegions`, each with the issuer its tokens carry and where its
   * keys are (also listed in `issuers`). Empty for a pool with none.
   */
  readonly replicas: readonly { readonly region: string; readonly issuer: string; readonly jwksUri: string }[];
}

/** The module options once validated and with every default filled in. */
export interface CognitoAuthConfig {
  readonly pools: readonly CognitoPoolConfig[];
  /**
   * Every accepted `iss`, to its pool and JWKS URI (a Map: an `iss` of `__proto__` is just unknown).
   * With `tenants`, `get` and `has` also answer the tenants' issuers the cache holds.
   */
  readonly issuers: ReadonlyMap<string, { readonly pool: CognitoPoolConfig; readonly jwksUri: string }>;
  /** The pools of `tenants`, resolved at run time; null without the option. */
  readonly tenants: TenantPools<CognitoPoolConfig> | null;
  readonly clockToleranceSeconds: number;
  readonly jwks: {
    readonly cacheMaxAgeMs: number;
    readonly requestsPerMinute: number;
    readonly timeoutMs: number;
    readonly prefetch: boolean;
    /** `undefined`: the environment's proxy, or a direct connection. */
    readonly agent: Agent | undefined;
    /** `60 / requestsPerMinute` seconds. */
    readonly cooldownMs: number;
  };
  readonly maxTokenBytes: number;
  /** Longest lifetime (`exp - iat`) accepted, in seconds; `clockToleranceSeconds` is added to it. */
  readonly maxTokenAge: number;
  /** `null`: the verified-token cache is off. */
  readonly cache: { readonly maxEntries: number; readonly maxEntriesPerUser: number } | null;
  /** Reads the token from a request, as `tokenFrom` says; `null` when there is none. */
  readonly extractToken: (request: unknown) => string | null;
  /**
   * Whether a token read may be cut from a longer text than `Bearer <token>` (a `Cookie` header, an
   * app's `tokenFrom` function): then the verified-token cache keeps a copy, not the slice that would
   * keep the whole text alive.
   */
  readonly tokensCutFromLongerText: boolean;
  /** The app's `verify` hook, if any. */
  readonly verify: CognitoVerifyHook | null;
  /** `null`: revocation is off. */
  readonly revocation: CognitoRevocationConfig | null;
  /** ALB mode; `null`: off (tokens come from `tokenFrom`). */
  readonly alb: CognitoAlbConfig | null;
  /** The `realm` of `WWW-Authenticate` challenges: the pool id, or the pool ids separated by spaces. */
  readonly realm: string;
  /**
   * Passport keeps strategies in one process-wide registry by name; each module instance registers
   * under its own name so two applications in one process keep their own options.
   */
  readonly strategyName: string;
  /** `null`: `metrics: false`. */
  readonly metrics: {
    readonly meterName: string;
    /** `null`: the global MeterProvider. */
    readonly meterProvider: CognitoMeterProvider | null;
    /** Asked for (`true` or an object), so a missing `@opentelemetry/api` fails the start. */
    readonly explicit: boolean;
  } | null;
}

// AWS's pattern for a user pool id; the part before the last `_` is the region for real pools.
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const TOKEN_USES: readonly CognitoTokenUse[] = ['access', 'id'];
const ISSUER_FORMATS = ['original', 'updated', 'both'];
const POOL_OPTION_KEYS = [
  'userPoolId',
  'clientId',
  'tokenUse',
  'issuer',
  'issuerFormat',
  'jwksUri',
  'jwksFile',
  'jwksInline',
  'replicaRegions',
];
const COMMON_OPTION_KEYS = [
  'clockToleranceSeconds',
  'jwks',
  'maxTokenBytes',
  'maxTokenAge',
  'cache',
  'tokenFrom',
  'verify',
  'metrics',
  'revocation',
  'tenants',
  'alb',
];
const SINGLE_POOL_KEYS = new Set([...POOL_OPTION_KEYS, ...COMMON_OPTION_KEYS]);
const MULTI_POOL_KEYS = new Set(['userPools', ...COMMON_OPTION_KEYS]);
const JWKS_OPTION_KEYS = new Set(['cacheMaxAgeMs', 'requestsPerMinute', 'timeoutMs', 'prefetch', 'agent']);
const CACHE_OPTION_KEYS = new Set(['maxEntries', 'maxEntriesPerUser']);
const METRICS_OPTION_KEYS = new Set(['meterName', 'meterProvider']);

let instances = 0;

/**
 * Validates the options of one module instance and fills in the defaults.
 * @throws CognitoConfigError naming the first option that is missing or malformed.
 */
export function resolveCognitoAuthOptions(options: CognitoAuthModuleOptions): CognitoAuthConfig {
  if (!isPlainObject(options)) {
    throw new CognitoConfigError('options', `must be an object, got ${describe(options)}`);
  }
  const multi = options.userPools !== undefined;
  rejectUnknownKeys(options, multi ? MULTI_POOL_KEYS : SINGLE_POOL_KEYS, '');
  const pools = multi ? poolList(options.userPools, options.tenants !== undefined) : [pool(options, '')];

  const tenants = tenantPools(options.tenants);
  const issuers = new IssuerMap(tenants);
  pools.forEach((config, index) => {
    for (const { issuer, jwksUri } of config.issuers) {
      const other = issuers.get(issuer);
      if (other !== undefined) {
        throw new CognitoConfigError(
          multi ? `userPools[${index}].issuer` : 'issuer',
          `"${issuer}" is also an issuer of pool ${other.pool.userPoolId}: each issuer belongs to one pool`,
        );
      }
      issuers.set(issuer, { pool: config, jwksUri });
    }
  });

  const jwks = options.jwks ?? {};
  if (!isPlainObject(jwks)) {
    throw new CognitoConfigError('jwks', `must be an object, got ${describe(jwks)}`);
  }
  rejectUnknownKeys(jwks, JWKS_OPTION_KEYS, 'jwks.');
  const requestsPerMinute = integer('jwks.requestsPerMinute', jwks.requestsPerMinute, 10, 1);
  if (jwks.prefetch !== undefined && typeof jwks.prefetch !== 'boolean') {
    throw new CognitoConfigError('jwks.prefetch', `must be true or false, got ${describe(jwks.prefetch)}`);
  }
  if (jwks.agent !== undefined && !(jwks.agent instanceof Agent)) {
    throw new CognitoConfigError('jwks.agent', `must be an http.Agent or https.Agent, got ${describe(jwks.agent)}`);
  }

  const alb = resolveAlbOptions(options.alb, poolClientIds(pools));
  if (alb !== null && options.tokenFrom !== undefined) {
    throw new CognitoConfigError(
      'tokenFrom',
      'cannot be combined with alb: ALB mode reads the headers the load balancer sets',
    );
  }
  if (alb !== null && options.tenants !== undefined) {
    throw new CognitoConfigError(
      'tenants',
      "cannot be combined with alb: the load balancer's pool is known in advance",
    );
  }

  return {
    pools,
    issuers,
    tenants,
    clockToleranceSeconds: number('clockToleranceSeconds', options.clockToleranceSeconds, 0, 0),
    jwks: {
      // Integers within a timer's range: AbortSignal.timeout() throws past 2^32 - 1.
      cacheMaxAgeMs: integer('jwks.cacheMaxAgeMs', jwks.cacheMaxAgeMs, 600_000, 1),
      requestsPerMinute,
      timeoutMs: integer('jwks.timeoutMs', jwks.timeoutMs, 5_000, 1),
      prefetch: jwks.prefetch ?? true,
      agent: jwks.agent,
      cooldownMs: Math.ceil(60_000 / requestsPerMinute),
    },
    // Below a few hundred bytes no JWT fits; the upper bound only keeps the number sane.
    maxTokenBytes: integer('maxTokenBytes', options.maxTokenBytes, 16_384, 256),
    // Cognito's longest token validity is one day (access and id tokens: 5 minutes to 1 day).
    maxTokenAge: number('maxTokenAge', options.maxTokenAge, 86_400, 1),
    cache: tokenCache(options.cache),
    // In ALB mode the token that decides is the load balancer's signed `x-amzn-oidc-data`.
    extractToken:
      alb === null ? createTokenExtractor(options.tokenFrom) : (request) => albHeader(request, ALB_HEADERS.data),
    tokensCutFromLongerText: alb === null && options.tokenFrom !== undefined,
    verify: verifyHook(options.verify),
    revocation: resolveRevocationOptions(options.revocation),
    alb,
    realm: pools.map((config) => config.userPoolId).join(' ') || 'cognito',
    strategyName: `cognito#${++instances}`,
    metrics: metricsOptions(options.metrics),
  };
}

/** Every pool's client ids, for `alb.clientId`'s default; `null` when a pool accepts any client. */
function poolClientIds(pools: readonly CognitoPoolConfig[]): ReadonlySet<string> | null {
  const ids = new Set<string>();
  for (const { clientIds } of pools) {
    if (clientIds === null) return null;
    for (const id of clientIds) ids.add(id);
  }
  return ids;
}

function poolList(value: unknown, withTenants: boolean): CognitoPoolConfig[] {
  // With tenants every pool may come from the resolver.
  if (!Array.isArray(value) || (value.length === 0 && !withTenants)) {
    throw new CognitoConfigError('userPools', `must be a non-empty array of pools, got ${describe(value)}`);
  }
  return value.map((entry: unknown, index) => {
    const prefix = `userPools[${index}].`;
    if (!isPlainObject(entry)) {
      throw new CognitoConfigError(`userPools[${index}]`, `must be an object, got ${describe(entry)}`);
    }
    rejectUnknownKeys(entry, new Set(POOL_OPTION_KEYS), prefix);
    return pool(entry, prefix);
  });
}

function pool(options: Record<string, unknown>, prefix: string): CognitoPoolConfig {
  const userPoolId = options.userPoolId;
  if (typeof userPoolId !== 'string' || !USER_POOL_ID.test(userPoolId)) {
    throw new CognitoConfigError(
      `${prefix}userPoolId`,
      `must be "<region>_<id>" such as "us-east-1_AbC123xyz", got ${describe(userPoolId)}`,
    );
  }
  const jwks = staticJwks(options, prefix);
  const replicas = replicaIssuers(options, userPoolId, prefix);
  const issuers = [
    ...poolIssuers(options, userPoolId, prefix),
    ...replicas.map(({ issuer, jwksUri }) => ({ issuer, jwksUri })),
  ];
  return {
    userPoolId,
    clientIds: clientIds(options, prefix),
    tokenUse: tokenUses(options.tokenUse, prefix),
    // Every issuer of the pool verifies with the one static set: nothing is derived to fetch.
    issuers: jwks ? issuers.map(({ issuer }) => ({ issuer, jwksUri: jwks.id })) : issuers,
    staticJwks: jwks,
    replicas: jwks ? replicas.map((replica) => ({ ...replica, jwksUri: jwks.id })) : replicas,
  };
}

const REPLICA_KEYS = new Set(['region', 'jwksUri']);

/**
 * The issuers of a pool's Multi-Region replicas. With the ORIGINAL issuer format a replica puts its
 * own region in `iss`, `https://cognito-idp.<replica region>.amazonaws.com/<userPoolId>` (the pool id
 * keeps the primary region), and serves its keys under that issuer, like any ORIGINAL issuer
 * ("hosted in the user pool's region and provides OIDC endpoints specific to that region",
 * IssuerConfigurationType). With the UPDATED format every region issues the primary region's
 * `issuer-cognito-idp` issuer, so replicas need no entry (aws-jwt-verify#282, PR #285).
 */
function replicaIssuers(
  options: Record<string, unknown>,
  userPoolId: string,
  prefix: string,
): { region: string; issuer: string; jwksUri: string }[] {
  const value = options.replicaRegions;
  const option = `${prefix}replicaRegions`;
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new CognitoConfigError(option, `must be an array of AWS regions, got ${describe(value)}`);
  }
  if (options.issuer !== undefined) {
    throw new CognitoConfigError(
      option,
      "cannot be combined with issuer: replicas' issuers are derived from the pool id",
    );
  }
  if (options.issuerFormat === 'updated') {
    throw new CognitoConfigError(
      option,
      'has no effect with issuerFormat "updated": every region then issues the primary region\'s issuer',
    );
  }
  const primary = userPoolId.slice(0, userPoolId.lastIndexOf('_'));
  const seen = new Set([primary]);
  return value.map((entry: unknown, index) => {
    const at = `${option}[${index}]`;
    const replica = typeof entry === 'string' ? { region: entry } : entry;
    if (!isPlainObject(replica)) {
      throw new CognitoConfigError(at, `must be a region or { region, jwksUri? }, got ${describe(entry)}`);
    }
    rejectUnknownKeys(replica, REPLICA_KEYS, `${at}.`);
    const { region } = replica;
    if (typeof region !== 'string' || !AWS_REGION.test(region)) {
      throw new CognitoConfigError(at, `must name an AWS region such as "eu-west-1", got ${describe(region)}`);
    }
    if (seen.has(region)) {
      throw new CognitoConfigError(
        at,
        region === primary ? `"${region}" is the pool's primary region` : `lists "${region}" twice`,
      );
    }
    seen.add(region);
    if (replica.jwksUri !== undefined && (options.jwksFile !== undefined || options.jwksInline !== undefined)) {
      throw new CognitoConfigError(`${at}.jwksUri`, "cannot be combined with the pool's jwksFile or jwksInline");
    }
    const issuer = `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
    const jwksUri =
      replica.jwksUri === undefined ? `${issuer}/.well-known/jwks.json` : httpUrl(`${at}.jwksUri`, replica.jwksUri);
    return { region, issuer, jwksUri };
  });
}

/** The keys of `jwksFile` / `jwksInline`, or null when the pool's keys are fetched. */
function staticJwks(options: Record<string, unknown>, prefix: string): StaticJwks | null {
  const given = (['jwksUri', 'jwksFile', 'jwksInline'] as const).filter((key) => options[key] !== undefined);
  if (given.length > 1) {
    throw new CognitoConfigError(
      `${prefix}${given[1]}`,
      `cannot be combined with ${given[0]}: a pool's keys come from one place`,
    );
  }
  if (options.jwksFile !== undefined) return readJwksFile(`${prefix}jwksFile`, options.jwksFile);
  if (options.jwksInline !== undefined) return inlineJwks(`${prefix}jwksInline`, options.jwksInline);
  return null;
}

/**
 * The issuers of a pool. Cognito API reference, IssuerConfigurationType: a pool's issuer is
 * `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` (ORIGINAL) or
 * `https://issuer-cognito-idp.<region>.amazonaws.com/<userPoolId>` (UPDATED, region being the pool's
 * primary region), and each serves its JWKS under itself.
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_IssuerConfigurationType.html
 */
function poolIssuers(
  options: Record<string, unknown>,
  userPoolId: string,
  prefix: string,
): { issuer: string; jwksUri: string }[] {
  const explicitJwksUri = options.jwksUri === undefined ? undefined : httpUrl(`${prefix}jwksUri`, options.jwksUri);
  const withJwks = (issuer: string) => ({
    issuer,
    jwksUri: explicitJwksUri ?? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
  });
  if (options.issuer !== undefined) {
    if (options.issuerFormat !== undefined) {
      throw new CognitoConfigError(
        `${prefix}issuerFormat`,
        'cannot be combined with issuer, which is accepted exactly',
      );
    }
    return [withJwks(httpUrl(`${prefix}issuer`, options.issuer))];
  }
  const format = options.issuerFormat ?? 'both';
  if (typeof format !== 'string' || !ISSUER_FORMATS.includes(format)) {
    throw new CognitoConfigError(
      `${prefix}issuerFormat`,
      `must be "original", "updated" or "both", got ${describe(format)}`,
    );
  }
  const region = userPoolId.slice(0, userPoolId.lastIndexOf('_'));
  if (!AWS_REGION.test(region)) {
    throw new CognitoConfigError(
      `${prefix}issuer`,
      `is required: userPoolId "${userPoolId}" names no AWS region to derive it from (emulators need issuer)`,
    );
  }
  const issuers: string[] = [];
  if (format !== 'updated') issuers.push(`https://cognito-idp.${region}.amazonaws.com/${userPoolId}`);
  if (format !== 'original') issuers.push(`https://issuer-cognito-idp.${region}.amazonaws.com/${userPoolId}`);
  return issuers.map(withJwks);
}

/** The configured pools' issuers, and (for `get` / `has`) the tenants' ones the cache holds. */
class IssuerMap extends Map<string, TenantIssuer<CognitoPoolConfig>> {
  constructor(private readonly tenants: TenantPools<CognitoPoolConfig> | null) {
    super();
  }

  override get(issuer: string): TenantIssuer<CognitoPoolConfig> | undefined {
    return super.get(issuer) ?? this.tenants?.peek(issuer);
  }

  override has(issuer: string): boolean {
    return this.get(issuer) !== undefined;
  }
}

const TENANT_OPTION_KEYS = new Set(['resolve', 'maxEntries', 'ttlMs', 'negativeTtlMs', 'maxPending']);
// A tenant's options come at run time: reading a file then would block a request.
const TENANT_POOL_KEYS = new Set(POOL_OPTION_KEYS.filter((key) => key !== 'jwksFile'));

function tenantPools(value: unknown): TenantPools<CognitoPoolConfig> | null {
  if (value === undefined) return null;
  if (!isPlainObject(value)) throw new CognitoConfigError('tenants', `must be an object, got ${describe(value)}`);
  rejectUnknownKeys(value, TENANT_OPTION_KEYS, 'tenants.');
  if (typeof value.resolve !== 'function') {
    throw new CognitoConfigError(
      'tenants.resolve',
      `must be a function ({ issuer, userPoolId }) => pool options, got ${describe(value.resolve)}`,
    );
  }
  const options = {
    maxEntries: integer('tenants.maxEntries', value.maxEntries, 1_000, 1),
    ttlMs: integer('tenants.ttlMs', value.ttlMs, 600_000, 1),
    negativeTtlMs: integer('tenants.negativeTtlMs', value.negativeTtlMs, 60_000, 1),
    maxPending: integer('tenants.maxPending', value.maxPending, 10, 1),
  };
  return new TenantPools(value.resolve as CognitoTenantResolver, options, (resolved, issuer) => {
    const prefix = 'tenants.resolve().';
    if (!isPlainObject(resolved)) {
      throw new CognitoConfigError('tenants.resolve()', `must return pool options or null, got ${describe(resolved)}`);
    }
    rejectUnknownKeys(resolved, TENANT_POOL_KEYS, prefix);
    const config = pool(resolved, prefix);
    // The JWKS URI is the resolved pool's; the token only picks which of its issuers applies.
    const entry = config.issuers.find((candidate) => candidate.issuer === issuer);
    return entry === undefined ? null : { pool: config, jwksUri: entry.jwksUri };
  });
}

function verifyHook(value: unknown): CognitoVerifyHook | null {
  if (value === undefined) return null;
  if (typeof value !== 'function') {
    throw new CognitoConfigError('verify', `must be a function (payload, request) => boolean, got ${describe(value)}`);
  }
  return value as CognitoVerifyHook;
}

function metricsOptions(value: unknown): CognitoAuthConfig['metrics'] {
  if (value === false) return null;
  if (value === undefined || value === true) {
    return { meterName: DEFAULT_METER_NAME, meterProvider: null, explicit: value === true };
  }
  if (!isPlainObject(value)) {
    throw new CognitoConfigError('metrics', `must be true, false or an object, got ${describe(value)}`);
  }
  rejectUnknownKeys(value, METRICS_OPTION_KEYS, 'metrics.');
  const { meterName = DEFAULT_METER_NAME, meterProvider } = value;
  if (typeof meterName !== 'string' || meterName.length === 0) {
    throw new CognitoConfigError('metrics.meterName', `must be a non-empty string, got ${describe(meterName)}`);
  }
  if (
    meterProvider !== undefined &&
    (typeof meterProvider !== 'object' ||
      meterProvider === null ||
      typeof (meterProvider as Partial<CognitoMeterProvider>).getMeter !== 'function')
  ) {
    throw new CognitoConfigError(
      'metrics.meterProvider',
      `must be an OpenTelemetry MeterProvider (an object with getMeter()), got ${describe(meterProvider)}`,
    );
  }
  return { meterName, meterProvider: (meterProvider as CognitoMeterProvider | undefined) ?? null, explicit: true };
}

function tokenCache(value: unknown): { maxEntries: number; maxEntriesPerUser: number } | null {
  if (value === false) return null;
  const cache = value ?? {};
  if (!isPlainObject(cache)) {
    throw new CognitoConfigError('cache', `must be false or an object, got ${describe(value)}`);
  }
  rejectUnknownKeys(cache, CACHE_OPTION_KEYS, 'cache.');
  return {
    maxEntries: integer('cache.maxEntries', cache.maxEntries, 10_000, 1),
    // A user on a few devices or app clients holds an access and an id token on each, and the pair
    // of the last refresh stays valid beside the new one: 10 covers that with room to spare.
    maxEntriesPerUser: integer('cache.maxEntriesPerUser', cache.maxEntriesPerUser, 10, 1),
  };
}

function clientIds(options: Record<string, unknown>, prefix: string): ReadonlySet<string> | null {
  // `clientId` is required but nullable: forgetting it must not silently mean "any client".
  if (!('clientId' in options) || options.clientId === undefined) {
    throw new CognitoConfigError(
      `${prefix}clientId`,
      'is required: the app client id(s) whose tokens to accept, or null to accept any client of the pool',
    );
  }
  const value: unknown = options.clientId;
  if (value === null) return null;
  const ids = Array.isArray(value) ? value : [value];
  if (ids.length === 0 || !ids.every((id) => typeof id === 'string' && id.length > 0)) {
    throw new CognitoConfigError(
      `${prefix}clientId`,
      `must be a non-empty string, a non-empty array of them, or null; got ${describe(value)}`,
    );
  }
  return new Set(ids as string[]);
}

function tokenUses(value: unknown, prefix: string): readonly CognitoTokenUse[] {
  if (value === undefined) return ['access'];
  const uses = Array.isArray(value) ? value : [value];
  if (uses.length === 0 || !uses.every((use) => TOKEN_USES.includes(use as CognitoTokenUse))) {
    throw new CognitoConfigError(
      `${prefix}tokenUse`,
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
    throw new CognitoConfigError(
      option,
      `must be a whole number from ${min} to ${MAX_TIMER_MS}, got ${describe(value)}`,
    );
  }
  return value;
}

function rejectUnknownKeys(object: object, known: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) {
      throw new CognitoConfigError(`${prefix}${key}`, `is not an option (expected one of ${[...known].join(', ')})`);
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

// A Cognito issuer host names its region: cognito-idp.<region>.amazonaws.com (or issuer-cognito-idp.).
const COGNITO_ISSUER_HOST = /^(?:issuer-)?cognito-idp\.([a-z0-9-]+)\.amazonaws\.com$/;

/**
 * Options that validate but look wrong: an `issuer` with a trailing slash (Cognito's `iss` has none,
 * so every token would be refused), or one on a Cognito host whose region or path does not match
 * the pool id. Each line names the pool and the option; the module logs them as warnings at start.
 */
export function configWarnings(config: CognitoAuthConfig): string[] {
  const warnings: string[] = [];
  for (const pool of config.pools) {
    const region = pool.userPoolId.slice(0, pool.userPoolId.lastIndexOf('_'));
    for (const { issuer } of pool.issuers) {
      const where = `Pool ${pool.userPoolId}: option "issuer" ${JSON.stringify(issuer)}`;
      if (issuer.endsWith('/')) {
        warnings.push(`${where} ends with "/": Cognito tokens carry their issuer without one, so none would match`);
      }
      let url: URL;
      try {
        url = new URL(issuer);
      } catch {
        continue;
      }
      const host = COGNITO_ISSUER_HOST.exec(url.hostname);
      if (host === null) continue; // an emulator or a proxy: its issuer is whatever it says
      if (host[1] !== region) {
        warnings.push(`${where} names region ${host[1]}, but the pool id names ${region}: tokens carry the pool's own`);
      }
      if (url.pathname.replace(/\/+$/, '') !== `/${pool.userPoolId}`) {
        warnings.push(
          `${where} does not end with the pool id: Cognito's issuer is https://${url.hostname}/${pool.userPoolId}`,
        );
      }
    }
  }
  return warnings;
}
