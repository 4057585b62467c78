import { Logger } from '@nestjs/common';
import type { CognitoUserPoolOptions } from './cognito-auth-options.interface';
import { TenantResolverError } from './errors';

/**
 * What `tenants.resolve` is asked: the token's `iss`, and the pool id it ends with. Only issuers no
 * configured pool has, shaped like a pool's issuer (an http(s) URL whose last path segment is a pool
 * id), of at most 512 characters, reach it.
 */
export interface CognitoTenantQuery {
  readonly issuer: string;
  readonly userPoolId: string;
}

/**
 * The app's tenant table: the options of the pool a token's issuer belongs to, or `null` /
 * `undefined` when it is no tenant's (401). A throw or rejection answers 503 and is not cached.
 */
export type CognitoTenantResolver = (
  query: CognitoTenantQuery,
) => CognitoUserPoolOptions | null | undefined | Promise<CognitoUserPoolOptions | null | undefined>;

/** One accepted issuer, as the configured pools' issuers are held. */
export interface TenantIssuer<Pool> {
  readonly pool: Pool;
  readonly jwksUri: string;
}

/** The bounds of the tenant cache, validated. */
export interface TenantCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly negativeTtlMs: number;
  readonly maxPending: number;
}

const MAX_ISSUER_LENGTH = 512;
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

interface Entry<Pool> {
  /** null: the resolver said "unknown" (or named a pool that does not issue this `iss`). */
  readonly value: TenantIssuer<Pool> | null;
  readonly expiresAt: number;
}

/**
 * Pools resolved at run time from the token's `iss`, through the app's resolver. Safety rules:
 * - the JWKS URI is the resolved pool's (derived from the pool id the resolver returns, or its
 *   `jwksUri`), never text of the token: an issuer the resolved pool does not issue is unknown;
 * - only issuers the resolver accepted get a key set, so only they are ever fetched;
 * - answers, "unknown" included, are cached (LRU, `maxEntries`, `ttlMs` / `negativeTtlMs`): repeated
 *   forged issuers cost one call each per TTL and memory stays bounded;
 * - at most `maxPending` distinct issuers are being resolved at once; past that a new issuer answers
 *   503 without a call, so a flood of distinct forged issuers cannot flood the resolver. Concurrent
 *   tokens of one issuer share one call.
 */
export class TenantPools<Pool> {
  private readonly logger = new Logger('CognitoAuth');
  /** Insertion order is recency: a hit moves its entry to the end, eviction takes the first. */
  private readonly entries = new Map<string, Entry<Pool>>();
  private readonly pending = new Map<string, Promise<TenantIssuer<Pool> | null>>();
  /** Whether the last call failed: its failure was logged, the next ones are not until one succeeds. */
  private failing = false;

  constructor(
    private readonly resolver: CognitoTenantResolver,
    private readonly options: TenantCacheOptions,
    /**
     * Validates what the resolver returned, as a configured pool's options are, and picks the
     * issuer entry for `issuer` (null when the pool does not issue it).
     * @throws CognitoConfigError
     */
    private readonly accept: (options: unknown, issuer: string) => TenantIssuer<Pool> | null,
  ) {}

  /** The bound of entries held, and of tenants' key sets. */
  get maxEntries(): number {
    return this.options.maxEntries;
  }

  /** Entries held (accepted and unknown issuers), at most `maxEntries`. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The accepted issuer held for `issuer`, expired or not (a token verified with it may sit in the
   * verified-token cache); never calls the resolver.
   */
  peek(issuer: string): TenantIssuer<Pool> | undefined {
    return this.entries.get(issuer)?.value ?? undefined;
  }

  /**
   * The pool of `issuer`, from the cache or the resolver.
   * @returns undefined when the issuer is no tenant's.
   * @throws TenantResolverError when the resolver throws, returns invalid options, or `maxPending`
   *   resolutions are under way.
   */
  async lookup(issuer: unknown): Promise<TenantIssuer<Pool> | undefined> {
    if (typeof issuer !== 'string' || issuer.length > MAX_ISSUER_LENGTH) return undefined;
    const userPoolId = poolIdOf(issuer);
    if (userPoolId === undefined) return undefined;
    const entry = this.entries.get(issuer);
    if (entry !== undefined && entry.expiresAt > Date.now()) {
      this.entries.delete(issuer);
      this.entries.set(issuer, entry);
      return entry.value ?? undefined;
    }
    let resolving = this.pending.get(issuer);
    if (resolving === undefined) {
      if (this.pending.size >= this.options.maxPending) {
        throw new TenantResolverError({ cause: new Error(`${this.options.maxPending} resolutions under way`) });
      }
      resolving = this.resolve(issuer, userPoolId).finally(() => this.pending.delete(issuer));
      this.pending.set(issuer, resolving);
    }
    return (await resolving) ?? undefined;
  }

  private async resolve(issuer: string, userPoolId: string): Promise<TenantIssuer<Pool> | null> {
    let value: TenantIssuer<Pool> | null;
    try {
      const options = await this.resolver({ issuer, userPoolId });
      value = options === null || options === undefined ? null : this.accept(options, issuer);
    } catch (error) {
      if (!this.failing) {
        // Once per outage, as a JWKS outage is: a failing tenant table must not flood the log.
        this.failing = true;
        this.logger.error(
          `tenants.resolve failed; tokens of issuers not cached answer 503 until it answers again`,
          error instanceof Error ? error.stack : String(error),
        );
      }
      throw new TenantResolverError({ cause: error });
    }
    if (this.failing) {
      this.failing = false;
      this.logger.log('tenants.resolve answers again');
    }
    const ttl = value === null ? this.options.negativeTtlMs : this.options.ttlMs;
    this.entries.delete(issuer);
    this.entries.set(issuer, { value, expiresAt: Date.now() + ttl });
    if (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}

/** The pool id an issuer ends with, when it is an http(s) URL shaped like a pool's issuer. */
function poolIdOf(issuer: string): string | undefined {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
  const userPoolId = url.pathname.split('/').pop() ?? '';
  return USER_POOL_ID.test(userPoolId) ? userPoolId : undefined;
}
