import type { RevocationEntry } from './revocation-entry';

/** The claims `RevocationSet.covers` reads. */
export interface RevocationSubject {
  readonly jti?: unknown;
  readonly origin_jti?: unknown;
  readonly sub?: unknown;
  readonly iat?: unknown;
}

/**
 * The revocations one instance knows, in memory: what the guard checks on every request. Three Maps
 * (by `jti`, by `origin_jti`, by `sub`), so a check is at most three lookups and never a network call.
 * Token entries hold only their expiry (a number), user entries their instant and expiry.
 *
 * Entries are only ever added or merged (a later `before`, a later expiry wins) and leave when they
 * expire: there is no un-revoke, so a reload can merge what it reads instead of replacing the set,
 * and an entry pushed while a reload runs is never lost.
 */
export class RevocationSet {
  private readonly tokens = new Map<string, number>();
  private readonly families = new Map<string, number>();
  private readonly users = new Map<string, { before: number; expiresAt: number }>();
  private revision = 0;

  /**
   * Goes up with every entry that refuses more than before (`add` returning true, or a user entry
   * moved later): a token `covers` passed at one version passes at the same version again.
   * Pruning leaves it as it is (an expired entry refused nothing more).
   */
  get version(): number {
    return this.revision;
  }

  /** Entries held (expired ones included until the next `prune`). */
  get size(): number {
    return this.tokens.size + this.families.size + this.users.size;
  }

  /** Merges `entry` in. @returns whether it refuses more than before (it is new, or later). */
  add(entry: RevocationEntry): boolean {
    if (entry.kind === 'user') {
      const current = this.users.get(entry.id);
      const before = Math.max(current?.before ?? -Infinity, entry.before ?? -Infinity);
      const expiresAt = Math.max(current?.expiresAt ?? -Infinity, entry.expiresAt);
      if (current !== undefined && current.before === before && current.expiresAt === expiresAt) return false;
      this.users.set(entry.id, { before, expiresAt });
      // A later expiry refuses more too (past the old one): every change counts.
      this.revision++;
      return current === undefined || before > current.before;
    }
    const map = entry.kind === 'token' ? this.tokens : this.families;
    const current = map.get(entry.id);
    if (current !== undefined && current >= entry.expiresAt) return false;
    map.set(entry.id, entry.expiresAt);
    this.revision++;
    return current === undefined;
  }

  /**
   * Whether a token with these claims is revoked. A token without `iat` counts as issued before any
   * user entry (Cognito always sets it; the guard never passes one without).
   */
  covers(claims: RevocationSubject): boolean {
    const { jti, origin_jti: originJti, sub } = claims;
    if (typeof jti === 'string' && this.tokens.has(jti)) return true;
    if (typeof originJti === 'string' && this.families.has(originJti)) return true;
    if (typeof sub !== 'string') return false;
    const user = this.users.get(sub);
    if (user === undefined) return false;
    // `iat` is in whole seconds: a token of the revocation's own second counts as issued before it.
    return typeof claims.iat !== 'number' || claims.iat * 1000 < user.before;
  }

  /** Every entry held, for a store that serves its set to a new listener. */
  *entries(): IterableIterator<RevocationEntry> {
    for (const [id, expiresAt] of this.tokens) yield { kind: 'token', id, expiresAt };
    for (const [id, expiresAt] of this.families) yield { kind: 'family', id, expiresAt };
    for (const [id, { before, expiresAt }] of this.users) yield { kind: 'user', id, before, expiresAt };
  }

  /**
   * Drops every entry expired at `now`. One pass over the set: a few milliseconds for 100,000 entries,
   * run once a minute, so no per-request work is spent on expiry.
   * @returns how many were dropped
   */
  prune(now: number): number {
    let dropped = 0;
    for (const map of [this.tokens, this.families]) {
      for (const [id, expiresAt] of map) {
        if (expiresAt <= now) {
          map.delete(id);
          dropped++;
        }
      }
    }
    for (const [id, { expiresAt }] of this.users) {
      if (expiresAt <= now) {
        this.users.delete(id);
        dropped++;
      }
    }
    return dropped;
  }
}
