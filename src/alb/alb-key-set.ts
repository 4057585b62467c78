import { Logger } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Agent } from 'node:http';
import { JwksUnavailableError, KidNotFoundError } from '../errors';
import { JwksFetcher, JwksHttpStatusError } from '../jwks-fetcher';

/** How an ALB key set fetches and keeps keys. */
export interface AlbKeySetOptions {
  /** A key is fetched from `${keyEndpoint}/${kid}`. */
  readonly keyEndpoint: string;
  /** After a fetch found no key for a kid, no other unknown kid is fetched for this long. */
  readonly cooldownMs: number;
  /** Deadline of one whole fetch. */
  readonly timeoutMs: number;
  readonly agent?: Agent;
  /** Told of every fetch, and whether it gave a usable key (for metrics). */
  readonly onFetch?: (ok: boolean) => void;
}

/** A PEM of one P-256 public key is under 200 bytes. */
const MAX_PEM_BYTES = 16 * 1024;
/** Keys held. An ALB signs with one key at a time and rotates rarely; a few cover every rotation. */
const MAX_KEYS = 16;
/** Kids found missing, remembered for the cooldown so each costs one fetch. */
const MAX_MISSING = 1000;
/** Distinct kids fetched at once; more answer 503 without a fetch. */
const MAX_CONCURRENT_FETCHES = 2;
const FIRST_BACKOFF_MS = 1000;
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The public keys of an Application Load Balancer's region, one PEM per `kid`, as the ALB key endpoint
 * serves them (it publishes no JWKS, so jwks-rsa has nothing to read). Built once per key into a
 * `KeyObject`, so no request parses a PEM once its key is held. An ALB key never changes under its kid,
 * so a held key is kept (up to 16, least recently used out) and keeps working whatever the endpoint
 * does later (stale-if-error). Fetching is bounded as the JWKS key set's is:
 * - one fetch per kid, shared by concurrent requests; at most two distinct kids at once (503 beyond);
 * - a kid the endpoint does not have (403/404) is a 401, remembered for the cooldown, and starts the
 *   cooldown in which no other unknown kid is fetched (401 at once): a flood of forged kids costs one
 *   fetch per cooldown;
 * - a failed fetch (network, deadline, other status, not a P-256 PEM) is a 503 and starts a backoff,
 *   1 s doubling up to the cooldown, or a 429/503 `Retry-After` (at most 60 s); within it a kid not
 *   held answers 503 at once, while held keys keep working;
 * - the fetch has a deadline, a 16 KiB cap and follows no redirect (Node's http does not).
 */
export class AlbKeySet {
  private readonly logger = new Logger('CognitoAuth');
  private readonly fetcher: JwksFetcher;
  private readonly keys = new Map<string, KeyObject>();
  private readonly missing = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<KeyObject>>();
  private unknownKidFetchAt = 0;
  private retryAt = 0;
  private failures = 0;
  private lastFailure: JwksUnavailableError | null = null;

  constructor(private readonly options: AlbKeySetOptions) {
    this.fetcher = new JwksFetcher(options.timeoutMs, options.agent);
  }

  /** Keys held. */
  get size(): number {
    return this.keys.size;
  }

  /** Whether the last fetch failed (an outage, not a kid the endpoint lacks); held keys keep working. */
  get lastFetchFailed(): boolean {
    return this.lastFailure !== null;
  }

  /** The key held now for `kid`, without a fetch. */
  heldKey(kid: string): KeyObject | undefined {
    return this.keys.get(kid);
  }

  /**
   * The key of `kid` (a UUID, checked by the caller), fetched when not held.
   * @throws KidNotFoundError (401), JwksUnavailableError (503)
   */
  getKey(kid: string): Promise<KeyObject> {
    const held = this.keys.get(kid);
    if (held !== undefined) {
      // Most recently used last.
      this.keys.delete(kid);
      this.keys.set(kid, held);
      return Promise.resolve(held);
    }
    const pending = this.inflight.get(kid);
    if (pending !== undefined) return pending;
    const now = Date.now();
    const missingUntil = this.missing.get(kid);
    if (missingUntil !== undefined) {
      if (missingUntil > now) return Promise.reject(new KidNotFoundError());
      this.missing.delete(kid);
    }
    if (now < this.retryAt) {
      return Promise.reject(
        new JwksUnavailableError({
          cause: this.lastFailure?.cause,
          retryAfterSeconds: Math.ceil((this.retryAt - now) / 1000),
        }),
      );
    }
    if (now < this.unknownKidFetchAt) return Promise.reject(new KidNotFoundError());
    if (this.inflight.size >= MAX_CONCURRENT_FETCHES) {
      return Promise.reject(new JwksUnavailableError({ retryAfterSeconds: 1 }));
    }
    const fetching = this.fetch(kid).finally(() => this.inflight.delete(kid));
    this.inflight.set(kid, fetching);
    return fetching;
  }

  private async fetch(kid: string): Promise<KeyObject> {
    let pem: string;
    try {
      pem = await this.fetcher.fetchText(
        `${this.options.keyEndpoint}/${kid}`,
        'application/x-pem-file, text/plain',
        MAX_PEM_BYTES,
      );
    } catch (cause) {
      const status = cause instanceof JwksHttpStatusError ? cause.status : undefined;
      if (status === 404 || status === 403) {
        // The endpoint answers for the region: it has no such key (S3 says 403 for a missing object).
        this.options.onFetch?.(false);
        this.recordMissing(kid);
        throw new KidNotFoundError({ cause });
      }
      throw this.failed(cause, cause instanceof JwksHttpStatusError ? cause.retryAfterMs : undefined);
    }
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (cause) {
      throw this.failed(
        new Error(`ALB key endpoint answered something that is not a PEM public key for ${kid}`, { cause }),
      );
    }
    // ES256 only: an RSA or other-curve key under an ALB kid is the endpoint's fault, never a token's key.
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw this.failed(new Error(`ALB key endpoint answered a key that is not P-256 for ${kid}`));
    }
    this.options.onFetch?.(true);
    this.failures = 0;
    this.retryAt = 0;
    this.lastFailure = null;
    this.keys.set(kid, key);
    if (this.keys.size > MAX_KEYS) this.keys.delete(this.keys.keys().next().value!);
    return key;
  }

  private recordMissing(kid: string): void {
    const now = Date.now();
    this.unknownKidFetchAt = now + this.options.cooldownMs;
    this.missing.set(kid, now + this.options.cooldownMs);
    if (this.missing.size > MAX_MISSING) this.missing.delete(this.missing.keys().next().value!);
  }

  private failed(cause: unknown, retryAfterMs?: number): JwksUnavailableError {
    this.options.onFetch?.(false);
    this.failures++;
    const backoff = Math.min(FIRST_BACKOFF_MS * 2 ** (this.failures - 1), this.options.cooldownMs);
    const wait = retryAfterMs === undefined ? backoff : Math.min(Math.max(retryAfterMs, backoff), MAX_RETRY_AFTER_MS);
    this.retryAt = Date.now() + wait;
    this.logger.warn(
      `ALB public key fetch from ${this.options.keyEndpoint} failed (${cause instanceof Error ? cause.message : String(cause)}); next attempt in ${Math.ceil(wait / 1000)} s`,
    );
    this.lastFailure = new JwksUnavailableError({ cause, retryAfterSeconds: Math.ceil(wait / 1000) });
    return this.lastFailure;
  }
}
