import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { CognitoAuthConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';
import { IssuerMismatchError, TokenTooLargeError } from './errors';
import { JwksKeySet } from './jwks-key-set';
import { decodeJwt } from './jwt';
import { VerifiedTokenCache, type VerifiedTokenSource } from './verified-token-cache';

/** A token, the key that should have signed it, and where that key came from. */
export type KeySource = VerifiedTokenSource;

/** Cognito tokens over this length are not cached: a few large tokens must not crowd out the rest. */
const MAX_CACHED_TOKEN_LENGTH = 8192;

/**
 * passport-jwt's key provider: runs every check that needs no key (size, canonical shape, header,
 * issuer) so that a token that could never verify costs no fetch and no cache entry, then hands
 * jsonwebtoken the pool's `KeyObject` for the token's `kid`. Also owns the verified-token cache,
 * because an entry is valid only while the key that verified it is held, and a key the pool removes
 * must take the tokens it signed out of it.
 */
@Injectable()
export class JwksKeyProvider implements OnApplicationBootstrap {
  /** One key set per JWKS URI: two pools (or emulators) that share a `kid` do not collide. */
  readonly keySets: ReadonlyMap<string, JwksKeySet>;
  private readonly keySetList: readonly JwksKeySet[];
  readonly verifiedTokens: VerifiedTokenCache | null;
  /** Each verified payload's token and key, until the guard accepts (and caches) it. */
  private readonly verified = new WeakMap<CognitoJwtPayload, KeySource>();

  constructor(@Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig) {
    this.verifiedTokens =
      config.cache &&
      new VerifiedTokenCache({
        maxEntries: config.cache.maxEntries,
        maxEntriesPerUser: config.cache.maxEntriesPerUser,
        maxTokenLength: MAX_CACHED_TOKEN_LENGTH,
        heldKey: (jwksUri, kid) => this.keySets.get(jwksUri)?.heldKey(kid),
      });
    const uris = new Set([...config.issuers.values()].map(({ jwksUri }) => jwksUri));
    this.keySets = new Map(
      [...uris].map((jwksUri) => [
        jwksUri,
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
    this.keySetList = [...this.keySets.values()];
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
   * The public key that should have signed `token`, with the token and where the key came from.
   * @param cacheKey the token's verified-token cache key, if the guard has computed it (kept in the
   *   source, so that caching the token does not hash it again).
   * @throws TokenTooLargeError, TokenMalformedError, AlgorithmNotAllowedError, UnsupportedHeaderError,
   *   IssuerMismatchError, KidNotFoundError (401), JwksUnavailableError (503).
   */
  async keyFor(token: string, cacheKey?: string): Promise<KeySource> {
    // Before any parsing: the length is all an oversized token costs.
    if (token.length > this.config.maxTokenBytes) throw new TokenTooLargeError();
    const { payload, kid } = decodeJwt(token);
    // The token's `iss` selects its pool and key set. A foreign issuer fetches nothing and caches
    // nothing: forged tokens cannot grow memory.
    const issuer = this.config.issuers.get(payload.iss as string);
    if (issuer === undefined) throw new IssuerMismatchError();
    const key = await this.keySets.get(issuer.jwksUri)!.getKey(kid);
    return { token, jwksUri: issuer.jwksUri, kid, key, cacheKey };
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
