import { createHash } from 'node:crypto';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';

/** What the verified-token cache holds per token. */
interface Entry {
  readonly payload: CognitoJwtPayload;
  /** `exp` in milliseconds: the entry is never used at or past it. */
  readonly expiresAt: number;
  readonly jwksUri: string;
  readonly kid: string;
}

/**
 * Tokens that passed every check of the strategy, kept until their `exp` so that the many requests a
 * client makes with one token pay for one RSA verification (the model is Envoy's `jwt_authn`
 * `jwt_cache_config`).
 *
 * Keyed by the SHA-256 of the token (44 characters, where a token is 1–4 KiB), which is safe because
 * only canonical tokens (one spelling per token) get this far. Bounded: at most `maxEntries`, least recently used out first, and no entry for tokens
 * longer than `maxTokenLength`. Failures are never cached. Route rules (`@TokenUse`, `@Groups`,
 * `@Scopes`) are not part of the entry: the guard applies them on every request.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly maxEntries: number,
    readonly maxTokenLength: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The payload of `token` if it verified before and has not expired since. */
  get(token: string): CognitoJwtPayload | undefined {
    if (token.length > this.maxTokenLength) return undefined;
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    // Most recently used goes last: a Map iterates in insertion order, so eviction takes the first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.payload;
  }

  set(token: string, payload: CognitoJwtPayload, jwksUri: string, kid: string): void {
    if (token.length > this.maxTokenLength) return;
    const expiresAt = payload.exp * 1000;
    if (Date.now() >= expiresAt) return;
    const key = keyOf(token);
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.evictOldest();
    this.entries.set(key, { payload, expiresAt, jwksUri, kid });
  }

  /** Forgets every token signed by one of `kids` of `jwksUri`: the pool removed those keys. */
  forgetKeys(jwksUri: string, kids: readonly string[]): void {
    const removed = new Set(kids);
    for (const [key, entry] of this.entries) {
      if (entry.jwksUri === jwksUri && removed.has(entry.kid)) this.entries.delete(key);
    }
  }

  private evictOldest(): void {
    // Expired entries are dropped lazily; the oldest-used one goes when the cache is full.
    const oldest = this.entries.keys().next();
    if (!oldest.done) this.entries.delete(oldest.value);
  }

  /** Forgets every token whose payload `covers` says so: revocation takes revoked tokens out at once. */
  forget(covers: (payload: CognitoJwtPayload) => boolean): void {
    for (const [key, entry] of this.entries) {
      if (covers(entry.payload)) this.entries.delete(key);
    }
  }
}

function keyOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
