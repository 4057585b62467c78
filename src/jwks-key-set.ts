import { Logger } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Agent } from 'node:http';
import { JwksClient, type SigningKey } from 'jwks-rsa';
import { COGNITO_JWT_ALGORITHM } from './cognito-auth.constants';
import { JwksUnavailableError, KidNotFoundError } from './errors';
import { JwksFetcher } from './jwks-fetcher';

/** How one key set is fetched and kept. */
export interface JwksKeySetOptions {
  readonly jwksUri: string;
  /** Age after which the set is refreshed in the background. */
  readonly cacheMaxAgeMs: number;
  /** After a successful fetch, unknown `kid`s do not trigger another one for this long. */
  readonly cooldownMs: number;
  /** Deadline of one whole fetch. */
  readonly timeoutMs: number;
  /** Agent of the fetch (a proxy); the environment's proxy when undefined. */
  readonly agent?: Agent;
  /** Told of every `kid` a refresh removed, so what it signed can be forgotten. */
  readonly onKeysRemoved?: (jwksUri: string, kids: readonly string[]) => void;
}

/** Smallest RSA modulus accepted, in bits (NIST SP 800-131A; Cognito's keys are 2048-bit). */
const MIN_MODULUS_BITS = 2048;

/**
 * The signing keys of one JWKS URI, cached as a whole set of `KeyObject`s built once per key, so no
 * request parses a PEM or waits on the network once the set is loaded.
 *
 * jwks-rsa fetches (through our fetcher) and imports the set; its own cache and rate limiter are off
 * because they work per `kid`: forged `kid`s spend the budget a rotated key needs, failed fetches
 * spend it too, and an expired entry is refetched on the request path. Here instead:
 * - an unknown `kid` triggers one refetch of the whole set, shared by all concurrent requests, then a
 *   cooldown in which unknown `kid`s are refused without fetching; because the refetch refreshes every
 *   key, a real rotation is picked up within one cooldown even during a flood of forged `kid`s;
 * - a failed fetch starts no cooldown: the next request after the endpoint recovers fetches;
 * - past `cacheMaxAgeMs` a known key keeps answering while the set is refreshed in the background
 *   (stale-while-revalidate), and keeps working while refreshes fail (stale-if-error); a key the
 *   pool removed stops working once a refresh succeeds.
 * Memory is bounded by the JWKS itself (the fetcher refuses bodies over 1 MiB); nothing is stored
 * for a `kid` the JWKS does not have.
 */
export class JwksKeySet {
  private readonly logger = new Logger('CognitoAuth');
  private readonly client: JwksClient;
  private keys: ReadonlyMap<string, KeyObject> | null = null;
  private fetchedAt = 0;
  /** Unknown kids fetch only from this instant on. */
  private unknownKidFetchAt = 0;
  /** Background refreshes of a stale set start only from this instant on (spaced out while failing). */
  private staleRefreshAt = 0;
  private inflight: Promise<void> | null = null;
  private failing = false;

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
    return this.failing;
  }

  /**
   * The key for `kid`.
   * @throws KidNotFoundError when the set, fresh or just refetched, has no usable key `kid`, or an
   *   unknown `kid` arrives within the cooldown.
   * @throws JwksUnavailableError when the key is not held and the set cannot be fetched.
   */
  async getKey(kid: string): Promise<KeyObject> {
    const known = this.keys?.get(kid);
    if (known !== undefined) {
      this.refreshIfStale();
      return known;
    }
    if (this.inflight === null && this.keys !== null && Date.now() < this.unknownKidFetchAt) {
      throw new KidNotFoundError();
    }
    await this.refresh();
    const key = this.keys?.get(kid);
    if (key === undefined) throw new KidNotFoundError();
    return key;
  }

  /**
   * Starts a background refresh when the set is older than `cacheMaxAgeMs` (at most one per cooldown
   * while refreshes fail). Also called for tokens answered from the verified-token cache, so that a key
   * the pool removed is noticed, and the tokens it signed forgotten, even when no request needs a key.
   */
  refreshIfStale(): void {
    const now = Date.now();
    if (this.keys !== null && now - this.fetchedAt >= this.options.cacheMaxAgeMs && now >= this.staleRefreshAt) {
      this.refresh().catch(() => undefined);
    }
  }

  /**
   * Fetches the whole set, or joins the fetch already under way.
   * @throws JwksUnavailableError
   */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    let keys: Map<string, KeyObject>;
    try {
      keys = usableKeys(await this.client.getSigningKeys());
      if (keys.size === 0) throw new Error('the JWKS has no RSA key of at least 2048 bits for RS256 signatures');
    } catch (error) {
      this.staleRefreshAt = Date.now() + this.options.cooldownMs;
      if (!this.failing) {
        // Once per outage: a failing endpoint must not flood the log.
        this.failing = true;
        this.logger.warn(`JWKS fetch from ${this.options.jwksUri} failed: ${describeCause(error)}`);
      }
      throw error instanceof JwksUnavailableError ? error : new JwksUnavailableError({ cause: error });
    }
    if (this.failing) {
      this.failing = false;
      this.logger.log(`JWKS fetch from ${this.options.jwksUri} succeeded again`);
    }
    const previous = this.keys;
    const now = Date.now();
    this.keys = keys;
    this.fetchedAt = now;
    this.unknownKidFetchAt = now + this.options.cooldownMs;
    this.staleRefreshAt = now;
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

/**
 * The keys that may verify a Cognito token: RSA (not RSA-PSS, EC or `oct`), `alg` absent or RS256, a
 * modulus of at least 2048 bits, and a `kid`. jwks-rsa has already dropped keys whose `use` is not `sig`.
 */
function usableKeys(signingKeys: readonly SigningKey[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const signingKey of signingKeys) {
    const { kid, alg } = signingKey;
    if (typeof kid !== 'string' || kid.length === 0 || keys.has(kid)) continue;
    if (alg !== undefined && alg !== COGNITO_JWT_ALGORITHM) continue;
    let key: KeyObject;
    try {
      key = createPublicKey(signingKey.getPublicKey());
    } catch {
      continue;
    }
    if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_MODULUS_BITS) {
      continue;
    }
    keys.set(kid, key);
  }
  return keys;
}

function describeCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
