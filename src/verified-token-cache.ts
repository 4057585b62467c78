import type { KeyObject } from 'node:crypto';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';

/** A verified token and the key that verified it, as the key provider handed that key out. */
export interface VerifiedTokenSource {
  readonly token: string;
  readonly jwksUri: string;
  readonly kid: string;
  /** The very object jsonwebtoken verified the signature with. */
  readonly key: KeyObject;
  /** The token's `VerifiedTokenCache.keyFor`, when the guard computed it for its lookup. */
  readonly cacheKey?: string | undefined;
}

/** How a `VerifiedTokenCache` is bounded, and how it learns which keys are held. */
export interface VerifiedTokenCacheOptions {
  /** Most entries in all. */
  readonly maxEntries: number;
  /** Most entries of one user (`iss` and `sub`); that user's oldest goes first. */
  readonly maxEntriesPerUser: number;
  /** Longer tokens get no entry. */
  readonly maxTokenLength: number;
  /** The key held now for `kid` of `jwksUri`, without fetching; `undefined` when none is. */
  readonly heldKey: (jwksUri: string, kid: string) => KeyObject | undefined;
  /**
   * Whether an entry keeps a copy of its token, not the string it was given (default true). A token
   * sliced from a long header (a `Cookie` header) would keep all of it alive; one read from
   * `Authorization: Bearer <token>` keeps 7 characters more, and copying it cost more than the rest
   * of an insertion (measured: 6–10 µs per insertion with the copy, 2–3 µs without, at 10,000 entries).
   */
  readonly copyTokens?: boolean;
  /**
   * Whether a token gets its entry when first accepted, not on its second acceptance (default false:
   * the second). See `VerifiedTokenCache`.
   */
  readonly admitOnFirstAcceptance?: boolean;
}

/** One remembered token, linked into the recency list of the whole cache. */
interface Entry {
  /** The map key: `slotOf(token)`. */
  readonly id: number;
  /** The whole token, a copy of its own: a lookup is answered only for this very string. */
  readonly token: string;
  readonly payload: CognitoJwtPayload;
  /** `exp` in milliseconds: the entry is never used at or past it. */
  readonly expiresAt: number;
  readonly jwksUri: string;
  readonly kid: string;
  readonly key: KeyObject;
  /** The user's entries, this one included. */
  readonly user: Set<Entry>;
  readonly userId: string;
  /** Neighbours in the recency list: `newer` towards the most recently used. */
  newer: Entry | null;
  older: Entry | null;
}

/**
 * Tokens the guard accepted, kept until their `exp` so that the many requests a client makes with one
 * token pay for two RSA verifications, not one each (the model is Envoy's `jwt_authn`
 * `jwt_cache_config`, with an admission step).
 *
 * Kept under a number read from the token's end (`slotOf`: its signature's last characters) and
 * answered only when the whole token is equal to the one kept: a lookup reads a few characters to
 * find the entry and compares the token, where a SHA-256 of the token (1–4 KiB) cost a hash of all of
 * it on every request. A token whose end matches a kept one and whose body does not (a forgery reusing
 * a signature) is a miss and is verified; it does not disturb the entry. Only
 * canonical tokens (one spelling per token) get this far. What goes in:
 * - only a token the guard accepted (signature, Cognito rules, the route's rules, the `verify` hook):
 *   a refusal leaves no entry. Route rules (`@TokenUse`, `@Groups`, `@Scopes`, `@UserPool`) are not part
 *   of the entry: the guard applies them on every request;
 * - tied to the very `KeyObject` that verified it: an entry is used only while that object is still
 *   the key held for its `kid`, so a JWKS that serves another key under the same `kid` (a replaced key)
 *   ends the entries of the old one at the next refresh, as it ends the old key's uncached tokens.
 *
 * Admitted on a token's second acceptance, not its first: the first only notes it in a Bloom filter
 * of `ADMISSION_BITS` bits (64 KiB; two bits a token, read from its signature's last 12 characters),
 * the doorkeeper of TinyLFU. A token presented once (a machine client that mints a token per call, a
 * stream of new users, a flood of fresh valid tokens) then costs no entry and evicts nothing, where
 * each entry it took would have lived through `maxEntries` insertions and been collected from the old
 * generation (measured: 12.6–23 µs per new token, one at a time to 64 in flight). The price is one
 * more verification per token that is used again. The filter is cleared after `ADMISSION_WINDOW`
 * notes, so a flood cannot fill it: a token noted before the clearing needs one more acceptance.
 * A token whose two bits other tokens happen to have set is kept on its first acceptance (at most 5%
 * of them, just before a clearing), which is harmless. No note is overwritten: two tokens in use at
 * once are both kept on their second acceptance, however they hash.
 *
 * Bounded: at most `maxEntries`, least recently used out first; at most `maxEntriesPerUser` per user
 * (`iss` and `sub`; a machine client's tokens carry its client id as `sub`), that user's oldest out
 * first, so one holder of many valid tokens cannot push other users out; no entry for tokens longer
 * than `maxTokenLength`. The recency list is linked through the entries, so a hit or an eviction
 * costs the same at any fill (no `Map` delete-and-reinsert, no walk over deleted slots).
 */
export class VerifiedTokenCache {
  readonly maxEntries: number;
  readonly maxEntriesPerUser: number;
  readonly maxTokenLength: number;
  private readonly heldKey: VerifiedTokenCacheOptions['heldKey'];
  private readonly copyTokens: boolean;
  /** The admission filter's bits, 32 a number; `null` with `admitOnFirstAcceptance`. */
  private readonly admission: Int32Array | null;
  /** Tokens noted in the filter since it was last cleared. */
  private noted = 0;
  private readonly entries = new Map<number, Entry>();
  /** Each user's entries, oldest first (a `Set` iterates in insertion order). */
  private readonly users = new Map<string, Set<Entry>>();
  private newest: Entry | null = null;
  private oldest: Entry | null = null;

  constructor(options: VerifiedTokenCacheOptions) {
    this.maxEntries = options.maxEntries;
    this.maxEntriesPerUser = options.maxEntriesPerUser;
    this.maxTokenLength = options.maxTokenLength;
    this.heldKey = options.heldKey;
    this.copyTokens = options.copyTokens ?? true;
    this.admission = options.admitOnFirstAcceptance === true ? null : new Int32Array(ADMISSION_BITS / 32);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * `token` when it may have an entry, `undefined` when it is too long to be kept: what the guard's
   * lookup and the strategy's key source carry. Nothing is computed (no hash): `get` finds the entry
   * from a few characters of the token's end.
   */
  keyFor(token: string): string | undefined {
    return token.length > this.maxTokenLength ? undefined : token;
  }

  /**
   * The payload of `token` if the guard accepted it before, it has not expired since, and the key
   * that verified it is still the one held for its `kid`.
   * @param cacheKey `keyFor(token)`, if already computed.
   */
  get(token: string, cacheKey: string | undefined = this.keyFor(token)): CognitoJwtPayload | undefined {
    if (cacheKey === undefined) return undefined;
    const entry = this.entries.get(slotOf(token));
    // Another token with the same end (a forgery reusing a signature) is not this one's entry, and
    // must not evict it.
    if (entry === undefined || entry.token !== token) return undefined;
    if (Date.now() >= entry.expiresAt || this.heldKey(entry.jwksUri, entry.kid) !== entry.key) {
      this.remove(entry);
      return undefined;
    }
    this.unlink(entry);
    this.linkNewest(entry);
    return entry.payload;
  }

  /** Remembers `payload` for the token of `source`, until its `exp`. */
  set(source: VerifiedTokenSource, payload: CognitoJwtPayload): void {
    const { token, jwksUri, kid, key } = source;
    if (token.length > this.maxTokenLength) return;
    const expiresAt = payload.exp * 1000;
    // A refresh may have replaced the key while the guard ran the verify hook: such an entry could
    // never be used.
    if (Date.now() >= expiresAt || this.heldKey(jwksUri, kid) !== key) return;
    const id = slotOf(token);
    if (!this.admits(token, id)) return;
    // A copy when `token` may be cut from a longer text (a cookie header), which a kept slice of it
    // would keep alive whole.
    const kept = this.copyTokens ? detached(token) : token;
    // The same token again, or (never in practice) another valid one with the same end: replaced.
    const previous = this.entries.get(id);
    if (previous !== undefined) this.remove(previous);

    const userId = `${payload.iss}\n${payload.sub ?? ''}`;
    const full = this.users.get(userId);
    // A user at the bound makes room from their own entries, the oldest first, never from another's.
    if (full !== undefined && full.size >= this.maxEntriesPerUser) this.remove(full.values().next().value!);
    if (this.entries.size >= this.maxEntries && this.oldest !== null) this.remove(this.oldest);
    // Looked up again: the removals above drop a user's set once it is empty.
    let user = this.users.get(userId);
    if (user === undefined) {
      user = new Set();
      this.users.set(userId, user);
    }
    const entry: Entry = {
      id,
      token: kept,
      payload,
      expiresAt,
      jwksUri,
      kid,
      key,
      user,
      userId,
      newer: null,
      older: null,
    };
    this.entries.set(id, entry);
    user.add(entry);
    this.linkNewest(entry);
  }

  /**
   * Whether `token` (of slot `id`) was noted before (both its bits are set), else notes it.
   * Bits are not cleared on admission: an entry evicted and presented again within the window is kept
   * again at once.
   */
  private admits(token: string, id: number): boolean {
    const filter = this.admission;
    if (filter === null) return true;
    const first = id & (ADMISSION_BITS - 1);
    const second = mix(token, SLOT_CHARS, SLOT_CHARS) & (ADMISSION_BITS - 1);
    const firstMask = 1 << (first & 31);
    const secondMask = 1 << (second & 31);
    if ((filter[first >>> 5]! & firstMask) !== 0 && (filter[second >>> 5]! & secondMask) !== 0) return true;
    if (this.noted >= ADMISSION_WINDOW) {
      filter.fill(0);
      this.noted = 0;
    }
    filter[first >>> 5]! |= firstMask;
    filter[second >>> 5]! |= secondMask;
    this.noted++;
    return false;
  }

  /** Forgets every token signed by one of `kids` of `jwksUri`: the pool removed those keys. */
  forgetKeys(jwksUri: string, kids: readonly string[]): void {
    const removed = new Set(kids);
    for (const entry of this.entries.values()) {
      if (entry.jwksUri === jwksUri && removed.has(entry.kid)) this.remove(entry);
    }
  }

  private remove(entry: Entry): void {
    this.entries.delete(entry.id);
    this.unlink(entry);
    entry.user.delete(entry);
    if (entry.user.size === 0) this.users.delete(entry.userId);
  }

  private linkNewest(entry: Entry): void {
    entry.older = this.newest;
    entry.newer = null;
    if (this.newest !== null) this.newest.newer = entry;
    this.newest = entry;
    this.oldest ??= entry;
  }

  private unlink(entry: Entry): void {
    if (entry.newer !== null) entry.newer.older = entry.older;
    else if (this.newest === entry) this.newest = entry.older;
    if (entry.older !== null) entry.older.newer = entry.newer;
    else if (this.oldest === entry) this.oldest = entry.newer;
    entry.newer = null;
    entry.older = null;
  }

  /** Forgets every token whose payload `covers` says so: revocation takes revoked tokens out at once. */
  forget(covers: (payload: CognitoJwtPayload) => boolean): void {
    for (const entry of this.entries.values()) {
      if (covers(entry.payload)) this.remove(entry);
    }
  }
}

/** Characters of a token's end that make its slot. */
const SLOT_CHARS = 6;

/**
 * The number a token's entry is kept under: 30 bits mixed from the last 6 characters of the token,
 * the end of its signature (about 32 bits of it for RS256). A signature's end differs from one token
 * to the next, so two kept tokens share a slot about once in 2^30 (the newer replaces the older), and
 * a token that shares a kept one's slot without being it (a forgery reusing a signature, or chance)
 * is told apart by the whole-token comparison. A small integer, where a string key (a hash, or a
 * slice of the token) cost the Map a string hash and a string comparison on every lookup.
 */
function slotOf(token: string): number {
  return mix(token, 0, SLOT_CHARS);
}

/** 30 bits mixed from `count` characters of `token` that end `skip` characters before its end. */
function mix(token: string, skip: number, count: number): number {
  let bits = 0;
  const end = token.length - skip;
  for (let i = end - 1; i >= 0 && i >= end - count; i--) {
    bits = (Math.imul(bits, 31) + token.charCodeAt(i)) | 0;
  }
  return bits & 0x3fffffff;
}

/** Bits of the admission filter (a power of two): 64 KiB. */
const ADMISSION_BITS = 1 << 19;
/**
 * Tokens noted before the filter is cleared. With two bits a token, at most 22% of the bits are set
 * then (1 - e^(-2 * 65,536 / 524,288)), so at most 5% of new tokens (0.22²) are taken for noted ones.
 */
const ADMISSION_WINDOW = 1 << 16;

/**
 * A string equal to `token` that shares no storage with the string it was cut from. Cached tokens
 * are canonical JWTs (ASCII), which survive the Latin-1 round trip; anything else is kept as it is.
 */
function detached(token: string): string {
  const copy = Buffer.from(token, 'latin1').toString('latin1');
  return copy === token ? copy : token;
}

/** Tokens over this length are not cached: a few large tokens must not crowd out the rest. */
const MAX_CACHED_TOKEN_LENGTH = 8192;

/**
 * The verified-token cache of the `cache` option (`null` when `cache: false`), bounded as it says,
 * its entries checked against `heldKey`: one for the pools' tokens, one for ALB mode's.
 */
export function verifiedTokenCacheFor(
  cache: { readonly maxEntries: number; readonly maxEntriesPerUser: number } | null,
  heldKey: VerifiedTokenCacheOptions['heldKey'],
  copyTokens: boolean,
): VerifiedTokenCache | null {
  return (
    cache &&
    new VerifiedTokenCache({
      maxEntries: cache.maxEntries,
      maxEntriesPerUser: cache.maxEntriesPerUser,
      maxTokenLength: MAX_CACHED_TOKEN_LENGTH,
      heldKey,
      copyTokens,
    })
  );
}
