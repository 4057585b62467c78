/**
 * What a revocation is, once written down: the entries every store holds, how one is derived from a
 * token or a user, and the key layout and message format shared by the Redis store and the CLI.
 */

/**
 * One revocation. `token` refuses one token by its `jti`; `family` refuses every access and id token
 * minted from one refresh token (their `origin_jti`, what Cognito's `RevokeToken` kills); `user`
 * refuses every token of `sub` issued before `before` (what `GlobalSignOut` kills).
 */
export interface RevocationEntry {
  readonly kind: RevocationKind;
  /** The `jti`, the `origin_jti` or the `sub`. */
  readonly id: string;
  /**
   * When nothing the entry covers can still be valid, in milliseconds since the epoch: the entry
   * disappears then, from memory and from Redis (its TTL).
   */
  readonly expiresAt: number;
  /** `user` entries: tokens with `iat` (seconds) before this instant (milliseconds) are refused. */
  readonly before?: number;
}

export type RevocationKind = 'token' | 'family' | 'user';

const KINDS: readonly string[] = ['token', 'family', 'user'];

/** The claims revocation reads, from a verified payload or from a decoded token. */
export interface RevocableClaims {
  readonly jti?: unknown;
  readonly origin_jti?: unknown;
  readonly exp?: unknown;
}

/**
 * The entries that revoke one token: its `jti` until its `exp`, and its `origin_jti` for as long as a
 * token minted from that refresh token may still be valid. The refresh token itself must be revoked at
 * Cognito (`RevokeToken`) for that to be enough: tokens minted from it later are new tokens.
 * @param maxTokenLifetimeMs the pool's longest access / id token lifetime
 * @param toleranceMs `clockToleranceSeconds`: a token passes until `exp` plus it
 */
export function entriesForToken(
  claims: RevocableClaims,
  now: number,
  maxTokenLifetimeMs: number,
  toleranceMs: number,
): RevocationEntry[] {
  const exp = typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  const entries: RevocationEntry[] = [];
  // A token without a usable `exp` never verifies; the family entry still covers its siblings.
  if (typeof claims.jti === 'string' && claims.jti !== '' && exp !== undefined && exp + toleranceMs > now) {
    entries.push({ kind: 'token', id: claims.jti, expiresAt: exp + toleranceMs });
  }
  if (typeof claims.origin_jti === 'string' && claims.origin_jti !== '') {
    // Siblings minted a moment ago live up to the longest token lifetime from now.
    const expiresAt = Math.max(now + maxTokenLifetimeMs, exp ?? 0) + toleranceMs;
    entries.push({ kind: 'family', id: claims.origin_jti, expiresAt });
  }
  return entries;
}

/**
 * The entry that revokes every token of `sub` issued before `before`: a token issued earlier expires
 * at most `maxTokenLifetimeMs` after `before`, so the entry can go then.
 */
export function entryForUser(
  sub: string,
  before: number,
  maxTokenLifetimeMs: number,
  toleranceMs: number,
): RevocationEntry {
  return { kind: 'user', id: sub, before, expiresAt: before + maxTokenLifetimeMs + toleranceMs };
}

/**
 * Redis key of an entry: `<prefix><kind>:<id>`. One key an entry, so each carries its own TTL and
 * Redis drops it by itself; the id comes last so a `:` inside it needs no escaping.
 */
export function keyOf(prefix: string, entry: Pick<RevocationEntry, 'kind' | 'id'>): string {
  return `${prefix}${entry.kind}:${entry.id}`;
}

/** The pub/sub channel new entries are announced on: `<prefix>events` (not a key: no clash with entries). */
export function channelOf(prefix: string): string {
  return `${prefix}events`;
}

/** The `SCAN MATCH` pattern of every entry key of `prefix`, glob characters of the prefix escaped. */
export function keyPatternOf(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
}

/** The entry a Redis key and value stand for; `undefined` for a key or value this module did not write. */
export function entryFromKeyValue(prefix: string, key: string, value: string | null): RevocationEntry | undefined {
  if (value === null || !key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const colon = rest.indexOf(':');
  if (colon <= 0) return undefined;
  return parseEntry({ ...parseJson(value), kind: rest.slice(0, colon), id: rest.slice(colon + 1) });
}

/** The entry a pub/sub message announces; `undefined` for anything else on the channel. */
export function entryFromMessage(message: string): RevocationEntry | undefined {
  return parseEntry(parseJson(message));
}

/** The message announcing `entry`: the entry as JSON. */
export function messageOf(entry: RevocationEntry): string {
  return JSON.stringify(entry);
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function parseEntry(value: Record<string, unknown>): RevocationEntry | undefined {
  const { kind, id, expiresAt, before } = value;
  if (typeof kind !== 'string' || !KINDS.includes(kind) || typeof id !== 'string' || id === '') return undefined;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return undefined;
  if (kind !== 'user') return { kind: kind as RevocationKind, id, expiresAt };
  if (typeof before !== 'number' || !Number.isFinite(before)) return undefined;
  return { kind, id, expiresAt, before };
}
