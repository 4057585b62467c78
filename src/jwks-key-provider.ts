import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { CognitoAuthConfig, CognitoPoolConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
import { CognitoAuthMetrics } from './cognito-auth.metrics';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';
import { CognitoAuthError, IssuerMismatchError, TokenTooLargeError } from './errors';
import { IssuerMismatchLog } from './issuer-mismatch-log';
import { JwksKeySet, type KeySet } from './jwks-key-set';
import { StaticKeySet, staticKeySetFor } from './static-key-set';
import { decodeJwt, peekKid } from './jwt';
import { verifiedTokenCacheFor, type VerifiedTokenCache, type VerifiedTokenSource } from './verified-token-cache';

/** A token, the key that should have signed it, and where that key came from. */
export type KeySource = VerifiedTokenSource;

/**
 * passport-jwt's key provider: runs every check that needs no key (size, canonical shape, header,
 * issuer) so that a token that could never verify costs no fetch and no cache entry, then hands
 * jsonwebtoken the pool's `KeyObject` for the token's `kid`. Also owns the verified-token cache,
 * because an entry is valid only while the key that verified it is held, and a key the pool removes
 * must take the tokens it signed out of it.
 */
@Injectable()
export class JwksKeyProvider implements OnApplicationBootstrap {
  /**
   * One key set per JWKS URI: two pools (or emulators) that share a `kid` do not collide. A pool
   * with `jwksFile` / `jwksInline` has a `StaticKeySet` under its `staticJwks.id`.
   */
  readonly keySets: ReadonlyMap<string, KeySet>;
  private readonly keySetList: readonly KeySet[];
  /**
   * The only key set, without `tenants` (every token's key is in it, whatever its `iss`): `keyFor`'s
   * synchronous path. Undefined with several JWKS URIs or with tenants, where `iss` picks the set.
   */
  private readonly soleKeySet: { readonly jwksUri: string; readonly keySet: KeySet } | undefined;
  readonly verifiedTokens: VerifiedTokenCache | null;
  /** Each verified payload's token and key, until the guard accepts (and caches) it. */
  private readonly verified = new WeakMap<CognitoJwtPayload, KeySource>();
  /** Made on the first refused issuer (most apps never see one). */
  private issuerMismatches?: IssuerMismatchLog;
  /** The key sets of tenants' pools (`tenants`), least recently used first. */
  private readonly tenantKeySets = new Map<string, KeySet>();

  constructor(
    @Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig,
    @Inject(CognitoAuthMetrics) private readonly metrics: CognitoAuthMetrics,
  ) {
    this.verifiedTokens = verifiedTokenCacheFor(
      config.cache,
      (jwksUri, kid) => this.heldKey(jwksUri, kid),
      config.tokensCutFromLongerText,
    );
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
            onFetch: (ok) => metrics.jwksFetch(ok),
          }),
      ]),
    );
    this.keySetList = [...this.keySets.values()];
    const [only] = this.keySets;
    this.soleKeySet =
      this.keySets.size === 1 && config.tenants === null ? { jwksUri: only![0], keySet: only![1] } : undefined;
  }

  /**
   * Prefetches every key set while the application starts, unless `jwks.prefetch` is false. A failure
   * is logged by the key set and does not fail the start; the first request fetches again.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.jwks.prefetch) return;
    // ALB mode without the access token verifies the load balancer's keys only (fetched per kid).
    if (this.config.alb !== null && !this.config.alb.accessToken) return;
    await Promise.all([...this.keySets.values()].map((keySet) => keySet.refresh().catch(() => undefined)));
  }

  /**
   * The public key that should have signed `token`, with the token and where the key came from:
   * synchronously when nothing needs to wait (one key set holding the token's kid), else a promise.
   * What needs no key (size, spelling, header) is refused by a throw.
   * @param cacheKey the token's verified-token cache key, if the guard has computed it (kept in the
   *   source, so that caching the token does not hash it again).
   * @throws TokenTooLargeError, TokenMalformedError, AlgorithmNotAllowedError, UnsupportedHeaderError,
   *   IssuerMismatchError, KidNotFoundError (401), JwksUnavailableError (503).
   */
  keyFor(token: string, cacheKey?: string): KeySource | Promise<KeySource> {
    // Before any parsing: the length is all an oversized token costs.
    if (token.length > this.config.maxTokenBytes) throw new TokenTooLargeError();
    const sole = this.soleKeySet;
    if (sole !== undefined) {
      // One key set, and its key for this kid held: nothing to fetch, so nothing for the issuer to
      // guard. jsonwebtoken checks `iss` against the configured issuers once the signature holds (and
      // `explainRefusal` answers a refused foreign `iss` as the issuer check below would have), so the
      // payload is parsed once, by jsonwebtoken, and the key handed over synchronously.
      const kid = peekKid(token);
      const held = kid === undefined ? undefined : sole.keySet.heldKey(kid);
      if (held !== undefined) {
        sole.keySet.refreshIfStale();
        return { token, jwksUri: sole.jwksUri, kid: kid!, key: held, cacheKey };
      }
    }
    return this.fetchedKeyFor(token, cacheKey);
  }

  /** `keyFor` of a token that needs its `iss` to find its key set, or whose key may need a fetch. */
  private async fetchedKeyFor(token: string, cacheKey: string | undefined): Promise<KeySource> {
    const { payload, kid } = decodeJwt(token);
    // The token's `iss` selects its pool and key set. A foreign issuer fetches nothing and caches
    // nothing: forged tokens cannot grow memory.
    const issuer = await this.issuerOf(payload.iss);
    if (issuer === undefined) throw this.issuerRefused(payload.iss);
    const key = await this.keySetOf(issuer).getKey(kid);
    return { token, jwksUri: issuer.jwksUri, kid, key, cacheKey };
  }

  /**
   * What a refused token's answer is, given what verifying it reported (`failure`). A token whose key
   * `keyFor` handed over without reading its issuer (one key set, the kid held) and that then failed in
   * jsonwebtoken (signature, expiry, issuer) answers for its issuer first when no pool has it, as if the
   * issuer had been checked before the key was looked up: one answer per token whichever path it took.
   */
  explainRefusal(token: string | null, failure: unknown): unknown {
    if (token === null || this.soleKeySet === undefined || failure instanceof CognitoAuthError) return failure;
    let iss: unknown;
    try {
      iss = decodeJwt(token).payload.iss;
    } catch (malformed) {
      return malformed;
    }
    return this.config.issuers.has(iss as string) ? failure : this.issuerRefused(iss);
  }

  private issuerRefused(iss: unknown): IssuerMismatchError {
    (this.issuerMismatches ??= new IssuerMismatchLog(this.config.issuers.keys())).record(iss);
    return new IssuerMismatchError();
  }

  /** The key set of a configured pool's or a resolved tenant's JWKS URI. */
  private keySetOf(issuer: { readonly pool: CognitoPoolConfig; readonly jwksUri: string }): KeySet {
    return this.keySets.get(issuer.jwksUri) ?? this.tenantKeySet(issuer);
  }

  /** The key held now for `kid` of `jwksUri`, no fetch: what a cached token's entry is checked against. */
  private heldKey(jwksUri: string, kid: string): KeyObject | undefined {
    return (this.keySets.get(jwksUri) ?? this.tenantKeySets.get(jwksUri))?.heldKey(kid);
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
              onFetch: (ok) => this.metrics.jwksFetch(ok),
            });
    }
    this.tenantKeySets.set(jwksUri, keySet);
    const bound = this.config.tenants?.maxEntries ?? 0;
    if (this.tenantKeySets.size > bound) this.tenantKeySets.delete(this.tenantKeySets.keys().next().value!);
    return keySet;
  }

  /**
   * Records that `payload` is what `source`'s token verified to, for `CognitoGuard` to cache once it
   * has accepted the token. Kept by payload object, not by request: concurrent messages of one
   * WebSocket connection share a request, never a payload.
   */
  noteVerified(payload: CognitoJwtPayload, source: KeySource): void {
    if (this.verifiedTokens !== null) this.verified.set(payload, source);
  }

  /** The token and key `payload` was verified from, once (`noteVerified`); undefined after that. */
  takeVerified(payload: CognitoJwtPayload): KeySource | undefined {
    const source = this.verified.get(payload);
    if (source !== undefined) this.verified.delete(payload);
    return source;
  }

  /** Starts a background refresh of each key set older than `jwks.cacheMaxAgeMs`. */
  refreshIfStale(): void {
    // On every cache hit: an array loop allocates no iterator.
    for (let i = 0; i < this.keySetList.length; i++) this.keySetList[i]!.refreshIfStale();
  }
}
