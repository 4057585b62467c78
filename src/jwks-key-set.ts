import { Logger } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Agent } from 'node:http';
import { JwksClient } from 'jwks-rsa';
import { COGNITO_JWT_ALGORITHM } from './cognito-auth.constants';
import { JwksUnavailableError, KidNotFoundError } from './errors';
import { JwksFetcher, JwksHttpStatusError } from './jwks-fetcher';

/** How one key set is fetched and kept. */
export interface JwksKeySetOptions {
  readonly jwksUri: string;
  /** Age after which the set is refreshed in the background. */
  readonly cacheMaxAgeMs: number;
  /**
   * After a fetch for an unknown `kid` that still lacked it, unknown `kid`s do not trigger another
   * fetch for this long; also the longest step of the backoff after failed fetches.
   */
  readonly cooldownMs: number;
  /** Deadline of one whole fetch. */
  readonly timeoutMs: number;
  /** Agent of the fetch (a proxy); the environment's proxy when undefined. */
  readonly agent?: Agent;
  /** Told of every `kid` a refresh removed, so what it signed can be forgotten. */
  readonly onKeysRemoved?: (jwksUri: string, kids: readonly string[]) => void;
  /** Told of every fetch, and whether it gave usable keys (for metrics). */
  readonly onFetch?: (ok: boolean) => void;
}

/** Smallest RSA modulus accepted, in bits (NIST SP 800-131A; Cognito's keys are 2048-bit). */
const MIN_MODULUS_BITS = 2048;
/**
 * Largest RSA modulus accepted, in bits. Refusing a token costs a public-key operation on the key its
 * `kid` names, and that cost grows with the square of the modulus: a 16,384-bit key makes each forged
 * token about 40 times costlier than Cognito's 2048-bit keys. 8192 bits leaves room for any issuer.
 */
const MAX_MODULUS_BITS = 8192;
/**
 * The one public exponent accepted. Cognito publishes `AQAB` (65537), as do the emulators and every
 * common key generator. Exponent 1 makes the signature check a comparison anyone can pass, and even or
 * small exponents are malformed or weak keys; accepting only 65537 refuses all of them with one rule
 * that no legitimate pool trips over.
 */
const PUBLIC_EXPONENT = 65537n;
/** First wait after a failed fetch; it doubles with each failure in a row, up to the cooldown. */
const FIRST_BACKOFF_MS = 1000;
/**
 * Longest wait a `Retry-After` header can impose. It is the endpoint's own request, so it may exceed
 * the cooldown, but a header of hours (a misconfigured proxy) must not keep a rotated key out for that
 * long: one minute is also the longest cooldown `jwks.requestsPerMinute` allows.
 */
const MAX_RETRY_AFTER_MS = 60_000;

/**
 * What the key provider and `CognitoAuthHealth` use of a key set, whether fetched (`JwksKeySet`) or
 * given in the options (`StaticKeySet`).
 */
export interface KeySet {
  /** Where the keys come from: fetched from a JWKS URI, read from `jwksFile`, or given as `jwksInline`. */
  readonly source: 'remote' | 'file' | 'inline';
  readonly loaded: boolean;
  readonly size: number;
  readonly fetchedAtMs: number | null;
  readonly lastFetchFailed: boolean;
  getKey(kid: string): Promise<KeyObject>;
  /** The key held now for `kid`, without a fetch (what a verified-token cache entry is checked against). */
  heldKey(kid: string): KeyObject | undefined;
  refreshIfStale(): void;
  refresh(): Promise<void>;
}

/**
 * The signing keys of one JWKS URI, cached as a whole set of `KeyObject`s built once per key, so no
 * request parses a PEM or waits on the network once the set is loaded.
 *
 * jwks-rsa fetches (through our fetcher, which hands it at most `MAX_JWKS_KEYS` plausible keys) and
 * imports the set; its own cache and rate limiter are off because they work per `kid`: forged `kid`s
 * spend the budget a rotated key needs, failed fetches spend it too, and an expired entry is refetched
 * on the request path. Here instead:
 * - an unknown `kid` triggers one refetch of the whole set, shared by all concurrent requests. Only when
 *   that fetch still lacks the `kid` does a cooldown start, in which unknown `kid`s are refused without
 *   fetching (aws-jwt-verify's penalty box). The prefetch and background refreshes start none, so a key
 *   rotated right after any of them is fetched at once; because a refetch refreshes every key, a real
 *   rotation is picked up within one cooldown even during a flood of forged `kid`s;
 * - an unknown `kid` on a stale set refreshes it, cooldown or not: the refresh is due anyway;
 * - a failed fetch starts a backoff: no fetch of any kind for 1 s, doubling with each failure in a row
 *   up to the cooldown, or longer when a 429/503 `Retry-After` asks (at most 60 s). Within it a `kid`
 *   not held answers 503 at once; held keys keep working. A success ends it;
 * - past `cacheMaxAgeMs` a known key keeps answering while the set is refreshed in the background
 *   (stale-while-revalidate), and keeps working while refreshes fail (stale-if-error); a key the
 *   pool removed stops working once a refresh succeeds.
 * Memory is bounded by the JWKS itself (the fetcher refuses bodies over 1 MiB and keeps 20 keys);
 * nothing is stored for a `kid` the JWKS does not have.
 */
export class JwksKeySet implements KeySet {
  readonly source = 'remote';
  private readonly logger = new Logger('CognitoAuth');
  private readonly client: JwksClient;
  private keys: ReadonlyMap<string, KeyObject> | null = null;
  private fetchedAt = 0;
  /** Unknown kids on a fresh set fetch only from this instant on (the cooldown). */
  private unknownKidFetchAt = 0;
  /** No fetch starts before this instant while fetches fail (the backoff). */
  private retryAt = 0;
  /** Failed fetches in a row; 0 once one succeeds. */
  private failures = 0;
  /** Why the last fetch failed, for the 503s answered within the backoff. */
  private lastFailure: JwksUnavailableError | null = null;
  private inflight: Promise<void> | null = null;

  constructor(private readonly options: JwksKeySetOptions) {
    const fetcher = new JwksFetcher(options.timeoutMs, options.agent);
    this.client = new JwksClient({
      jwksUri: options.jwksUri,
      cache: false,
      rateLimit: false,
      fetcher: fetcher.fetch as (uri: string) => Promise<{ keys: never[] }>,
    });
  }

  /** Whether a key set has been loaded (it may be stale). */
  get loaded(): boolean {
    return this.keys !== null;
  }

  /** How many usable keys are held. */
  get size(): number {
    return this.keys?.size ?? 0;
  }

  /** When the set was last fetched successfully (ms since the epoch), or null if never. */
  get fetchedAtMs(): number | null {
    return this.keys === null ? null : this.fetchedAt;
  }

  /** Whether the last fetch failed. */
  get lastFetchFailed(): boolean {
    return this.failures > 0;
  }

  /**
   * The key for `kid`.
   * @throws KidNotFoundError when the set, fresh or just refetched, has no usable key `kid`, or an
   *   unknown `kid` arrives within the cooldown on a fresh set.
   * @throws JwksUnavailableError when the key is not held and the set cannot be fetched, or the last
   *   fetch failed and the backoff has not yet passed.
   */
  async getKey(kid: string): Promise<KeyObject> {
    const known = this.keys?.get(kid);
    if (known !== undefined) {
      this.refreshIfStale();
      return known;
    }
    // Joining a fetch under way costs nothing, so only a new fetch is held back.
    if (this.inflight === null) {
      const now = Date.now();
      if (now < this.retryAt) {
        throw new JwksUnavailableError({ cause: this.lastFailure, retryAfterSeconds: secondsUntil(this.retryAt, now) });
      }
      if (now < this.unknownKidFetchAt && !this.isStale(now)) throw new KidNotFoundError();
    }
    await this.refresh();
    const key = this.keys?.get(kid);
    if (key === undefined) {
      // This fetch was searched for the kid and lacked it: more unknown kids wait for the cooldown.
      this.unknownKidFetchAt = Date.now() + this.options.cooldownMs;
      throw new KidNotFoundError();
    }
    return key;
  }

  /**
   * Starts a background refresh when the set is older than `cacheMaxAgeMs` (not within the backoff
   * while refreshes fail). Also called for tokens answered from the verified-token cache, so that a key
   * the pool removed is noticed, and the tokens it signed forgotten, even when no request needs a key.
   */
  refreshIfStale(): void {
    const now = Date.now();
    if (this.inflight === null && this.isStale(now) && now >= this.retryAt) {
      this.refresh().catch(() => undefined);
    }
  }

  /**
   * Fetches the whole set now, or joins the fetch already under way. Not held back by the backoff:
   * `getKey` and `refreshIfStale` are.
   * @throws JwksUnavailableError
   */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private isStale(now: number): boolean {
    return this.keys !== null && now - this.fetchedAt >= this.options.cacheMaxAgeMs;
  }

  /** Records a failed fetch and sets when the next one may start. */
  private backOff(failure: unknown): void {
    this.failures++;
    // 1 s, 2 s, 4 s… up to the cooldown: the budget forged kids get, so a long outage costs no more.
    const step = Math.min(FIRST_BACKOFF_MS * 2 ** Math.min(this.failures - 1, 20), this.options.cooldownMs);
    const asked = Math.min(retryAfterOf(failure) ?? 0, MAX_RETRY_AFTER_MS);
    this.retryAt = Date.now() + Math.max(step, asked);
  }

  private async load(): Promise<void> {
    let keys: Map<string, KeyObject>;
    try {
      const signingKeys = await this.client.getSigningKeys();
      keys = usableKeys(
        signingKeys.map((signingKey) => ({
          kid: signingKey.kid,
          alg: signingKey.alg,
          importKey: () => createPublicKey(signingKey.getPublicKey()),
        })),
      );
      if (keys.size === 0) throw new Error(`the JWKS has ${NO_USABLE_KEY}`);
    } catch (error) {
      if (this.failures === 0) {
        // Once per outage: a failing endpoint must not flood the log.
        this.logger.warn(`JWKS fetch from ${this.options.jwksUri} failed: ${describeCause(error)}`);
      }
      this.backOff(error);
      // The 503 tells the client when a fetch may be tried again (Retry-After).
      const failure = new JwksUnavailableError({
        cause: error instanceof JwksUnavailableError ? error.cause : error,
        retryAfterSeconds: secondsUntil(this.retryAt, Date.now()),
      });
      this.lastFailure = failure;
      this.options.onFetch?.(false);
      throw failure;
    }
    if (this.failures > 0) {
      this.failures = 0;
      this.lastFailure = null;
      this.retryAt = 0;
      this.logger.log(`JWKS fetch from ${this.options.jwksUri} succeeded again`);
    }
    this.options.onFetch?.(true);
    const previous = this.keys;
    if (previous !== null) {
      // A key served again as it was stays the very object held: verified-token cache entries are
      // tied to it by identity, and would otherwise all end at each refresh (every cacheMaxAgeMs, and
      // at each unknown kid) though nothing changed. A different key under an old kid is a new object.
      for (const [kid, key] of keys) {
        const held = previous.get(kid);
        if (held !== undefined && held.equals(key)) keys.set(kid, held);
      }
    }
    const now = Date.now();
    this.keys = keys;
    this.fetchedAt = now;
    if (previous !== null && this.options.onKeysRemoved) {
      const removed = [...previous.keys()].filter((kid) => !keys.has(kid));
      if (removed.length > 0) this.options.onKeysRemoved(this.options.jwksUri, removed);
    }
  }

  /**
   * The key held now for `kid`, stale or not, without fetching: the verified-token cache compares it
   * (by identity) with the key that verified an entry.
   */
  heldKey(kid: string): KeyObject | undefined {
    return this.keys?.get(kid);
  }
}

/** A key of a JWKS before the filter: its `kid`, its `alg`, and how to import it. */
export interface CandidateKey {
  readonly kid: unknown;
  readonly alg: unknown;
  /** Builds the public key; may throw for a malformed key, which is then skipped. */
  importKey(): KeyObject;
}

/** What a JWKS that yields no usable key lacks, for the messages that say so. */
export const NO_USABLE_KEY = `no RS256 key with a ${MIN_MODULUS_BITS}- to ${MAX_MODULUS_BITS}-bit modulus and exponent ${PUBLIC_EXPONENT}`;

/**
 * The keys that may verify a Cognito token: RSA (not RSA-PSS, EC or `oct`), `alg` absent or RS256, a
 * modulus of 2048 to 8192 bits, public exponent 65537, and a `kid` (the first key of a `kid` wins).
 * The one filter of fetched and static key sets alike; for fetched ones the fetcher has already
 * dropped entries whose `use` is not `sig` and kept at most `MAX_JWKS_KEYS`.
 */
export function usableKeys(candidates: Iterable<CandidateKey>): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const candidate of candidates) {
    const { kid, alg } = candidate;
    if (typeof kid !== 'string' || kid.length === 0 || keys.has(kid)) continue;
    if (alg !== undefined && alg !== COGNITO_JWT_ALGORITHM) continue;
    let key: KeyObject;
    try {
      key = candidate.importKey();
    } catch {
      continue;
    }
    if (key.asymmetricKeyType !== 'rsa') continue;
    const { modulusLength = 0, publicExponent } = key.asymmetricKeyDetails ?? {};
    if (modulusLength < MIN_MODULUS_BITS || modulusLength > MAX_MODULUS_BITS) continue;
    if (publicExponent !== PUBLIC_EXPONENT) continue;
    keys.set(kid, key);
  }
  return keys;
}

/** The wait a 429/503 answer's `Retry-After` asked for, found along the `cause` chain. */
/** Whole seconds from `now` to `instant`, at least 1 (what a `Retry-After` header can say). */
function secondsUntil(instant: number, now: number): number {
  return Math.max(1, Math.ceil((instant - now) / 1000));
}

function retryAfterOf(error: unknown): number | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof JwksHttpStatusError) return current.retryAfterMs;
  }
  return undefined;
}

function describeCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
