import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { CognitoAuthConfig, CognitoPoolConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
import { IssuerMismatchError, TokenTooLargeError } from './errors';
import { JwksKeySet, type KeySet } from './jwks-key-set';
import { StaticKeySet, staticKeySetFor } from './static-key-set';
import { decodeJwt } from './jwt';
import { VerifiedTokenCache } from './verified-token-cache';

/** A request's token and where its key came from, for the verified-token cache. */
export interface KeySource {
  readonly token: string;
  readonly jwksUri: string;
  readonly kid: string;
}

/** Cognito tokens over this length are not cached: a few large tokens must not crowd out the rest. */
const MAX_CACHED_TOKEN_LENGTH = 8192;

/**
 * passport-jwt's key provider: runs every check that needs no key (size, canonical shape, header,
 * issuer) so that a token that could never verify costs no fetch and no cache entry, then hands
 * jsonwebtoken the pool's `KeyObject` for the token's `kid`. Also owns the verified-token cache,
 * because a key the pool removes must take the tokens it signed out of it.
 */
@Injectable()
export class JwksKeyProvider implements OnApplicationBootstrap {
  /**
   * One key set per JWKS URI: two pools (or emulators) that share a `kid` do not collide. A pool
   * with `jwksFile` / `jwksInline` has a `StaticKeySet` under its `staticJwks.id`.
   */
  readonly keySets: ReadonlyMap<string, KeySet>;
  readonly verifiedTokens: VerifiedTokenCache | null;
  private readonly sources = new WeakMap<object, KeySource>();
  /** The key sets of tenants' pools (`tenants`), least recently used first. */
  private readonly tenantKeySets = new Map<string, KeySet>();

  constructor(@Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig) {
    this.verifiedTokens = config.cache && new VerifiedTokenCache(config.cache.maxEntries, MAX_CACHED_TOKEN_LENGTH);
    const uris = new Set([...config.issuers.values()].map(({ jwksUri }) => jwksUri));
    this.keySets = new Map<string, KeySet>(
      [...uris].map((jwksUri) => [
        jwksUri,
        staticKeySetFor(config, jwksUri) ??
          new JwksKeySet({
            jwksUri,
            cacheMaxAgeMs: config.jwks.cacheMaxAgeMs,
            cooldownMs: config.jwks.cooldownMs,
            timeoutMs: config.jwks.timeoutMs,
            agent: config.jwks.agent,
            onKeysRemoved: (uri, kids) => this.verifiedTokens?.forgetKeys(uri, kids),
          }),
      ]),
    );
  }

  /**
   * Prefetches every key set while the application starts, unless `jwks.prefetch` is false. A failure
   * is logged by the key set and does not fail the start; the first request fetches again.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.jwks.prefetch) return;
    await Promise.all([...this.keySets.values()].map((keySet) => keySet.refresh().catch(() => undefined)));
  }

  /**
   * The public key that should have signed `token`.
   * @throws TokenTooLargeError, TokenMalformedError, AlgorithmNotAllowedError, UnsupportedHeaderError,
   *   IssuerMismatchError, KidNotFoundError (401), JwksUnavailableError (503).
   */
  async keyFor(request: object, token: string): Promise<KeyObject> {
    // Before any parsing: the length is all an oversized token costs.
    if (token.length > this.config.maxTokenBytes) throw new TokenTooLargeError();
    const { payload, kid } = decodeJwt(token);
    // The token's `iss` selects its pool and key set. A foreign issuer fetches nothing and caches
    // nothing: forged tokens cannot grow memory.
    const issuer = await this.issuerOf(payload.iss);
    if (issuer === undefined) throw new IssuerMismatchError();
    const key = await (this.keySets.get(issuer.jwksUri) ?? this.tenantKeySet(issuer)).getKey(kid);
    this.sources.set(request, { token, jwksUri: issuer.jwksUri, kid });
    return key;
  }

  /**
   * A configured pool's issuer, or with `tenants` one the resolver accepts (cached within its TTL).
   * @throws TenantResolverError
   */
  private async issuerOf(
    iss: unknown,
  ): Promise<{ readonly pool: CognitoPoolConfig; readonly jwksUri: string } | undefined> {
    const { issuers, tenants } = this.config;
    const known = issuers.get(iss as string);
    // A tenant's issuer held past its TTL is asked again; a configured pool's never.
    if (tenants === null || (known !== undefined && tenants.peek(iss as string) !== known)) return known;
    return tenants.lookup(iss);
  }

  /**
   * The key set of a tenant's pool, made when its issuer is first accepted: only issuers the resolver
   * accepted get one, so only they are fetched. At most `tenants.maxEntries` are kept.
   */
  private tenantKeySet({ pool, jwksUri }: { readonly pool: CognitoPoolConfig; readonly jwksUri: string }): KeySet {
    let keySet = this.tenantKeySets.get(jwksUri);
    if (keySet !== undefined) {
      this.tenantKeySets.delete(jwksUri);
    } else {
      const { jwks } = this.config;
      keySet =
        pool.staticJwks?.id === jwksUri
          ? new StaticKeySet(pool.staticJwks)
          : new JwksKeySet({
              jwksUri,
              cacheMaxAgeMs: jwks.cacheMaxAgeMs,
              cooldownMs: jwks.cooldownMs,
              timeoutMs: jwks.timeoutMs,
              agent: jwks.agent,
              onKeysRemoved: (uri, kids) => this.verifiedTokens?.forgetKeys(uri, kids),
            });
    }
    this.tenantKeySets.set(jwksUri, keySet);
    const bound = this.config.tenants?.maxEntries ?? 0;
    if (this.tenantKeySets.size > bound) this.tenantKeySets.delete(this.tenantKeySets.keys().next().value!);
    return keySet;
  }

  /** The token of `request` and where its key came from, once `keyFor` has found it. */
  sourceOf(request: object): KeySource | undefined {
    return this.sources.get(request);
  }

  /** Starts a background refresh of each key set older than `jwks.cacheMaxAgeMs`. */
  refreshIfStale(): void {
    for (const keySet of this.keySets.values()) keySet.refreshIfStale();
  }
}
