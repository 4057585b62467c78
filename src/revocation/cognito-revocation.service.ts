import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { verify as verifyJwt, type JwtPayload } from 'jsonwebtoken';
import type { CognitoAuthConfig } from '../cognito-auth.config';
import { COGNITO_AUTH_CONFIG, COGNITO_JWT_ALGORITHM } from '../cognito-auth.constants';
import type { CognitoJwtPayload } from '../cognito-jwt-payload.interface';
import { toCognitoAuthError } from '../cognito.strategy';
import { RevocationRequestInvalidError, RevocationStateUnavailableError, TokenRevokedError } from '../errors';
import { JwksKeyProvider } from '../jwks-key-provider';
import { entriesForToken, entryForUser, type RevocableClaims, type RevocationEntry } from './revocation-entry';
import { RevocationSet, type RevocationSubject } from './revocation-set';
import type { RevocationStoreListener } from './revocation-store';

/** Options of `revokeUser()`. */
export interface RevokeUserOptions {
  /**
   * Tokens issued (`iat`) before this instant are refused; later ones (a new sign-in) pass.
   * @default now
   */
  before?: Date;
}

/** Expired entries are dropped once a minute: the check itself never looks at expiry. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Revokes tokens that still verify, and tells the guard which ones. Needs the module's `revocation`
 * option; without it `isRevoked()` is always false and the `revoke…` methods throw.
 *
 * Every instance holds the set in memory: `isRevoked()` is a few Map lookups, never a network call.
 * Entries written here or by another instance (or the CLI) arrive through the store; a revocation
 * also takes the tokens it covers out of the verified-token cache at once.
 * @example
 * ```ts
 * @Post('sign-out')
 * async signOut(@CognitoUser() user: CognitoAccessTokenPayload) {
 *   await cognito.send(new GlobalSignOutCommand({ AccessToken: token })); // the refresh tokens die
 *   await this.revocations.revokeUser(user.sub); // the access and id tokens already out, too
 * }
 * ```
 */
@Injectable()
export class CognitoRevocationService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('CognitoRevocation');
  private readonly set = new RevocationSet();
  /** Until the first load, and while the store is unreachable: pushes may have been missed. */
  private stale = true;
  private outageWarned = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private evictionScheduled = false;
  /**
   * Payloads found not revoked, with the set's version then. A cached token's payload is the same
   * object on every request: one WeakMap lookup instead of three lookups in the set's Maps, until
   * the set gains an entry. Held weakly: gone with the payload.
   */
  private readonly passed = new WeakMap<object, number>();
  private readonly listener: RevocationStoreListener = {
    entries: (entries) => this.merge(entries),
    available: () => this.onAvailable(),
    unavailable: (error) => this.onUnavailable(error),
  };

  constructor(
    @Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig,
    private readonly keys: JwksKeyProvider,
  ) {}

  /** Whether the module's `revocation` option is set. */
  get enabled(): boolean {
    return this.config.revocation !== null;
  }

  /** Entries held in memory by this instance (expired ones until the next pruning, once a minute). */
  get size(): number {
    return this.set.size;
  }

  /**
   * Whether this instance's set may be stale: the store is unreachable or was not loaded yet. With
   * `failClosed`, every token is refused meanwhile.
   */
  get isStale(): boolean {
    return this.enabled && this.stale;
  }

  /** Loads the set before the application serves anything: the first request already knows it. */
  async onModuleInit(): Promise<void> {
    const revocation = this.config.revocation;
    if (revocation === null) return;
    await revocation.store.start(this.listener);
    // unref: the timer alone never keeps the process alive.
    this.pruneTimer = setInterval(() => this.pruneExpired(), PRUNE_INTERVAL_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.config.revocation?.store.stop(this.listener);
  }

  /**
   * Revokes one token: its `jti`, and when it has one, its `origin_jti` (every access and id token
   * minted from the same refresh token, as Cognito's `RevokeToken` does; revoke the refresh token
   * there too, or it mints new tokens that pass). A token string is verified first (signature and
   * issuer of one of the module's pools; expiry aside) so that a forged `origin_jti` cannot revoke
   * another user's tokens; a payload is taken as verified (`@CognitoUser()`). An expired token needs
   * no entry and writes none.
   * @throws RevocationStoreUnavailableError when the store cannot record it: nothing is queued
   * @throws InvalidTokenError subclasses for a token string that does not verify
   * @throws RevocationRequestInvalidError without `revocation`, or for a token with neither `jti` nor `origin_jti`
   */
  async revokeToken(tokenOrPayload: string | CognitoJwtPayload | RevocableClaims): Promise<void> {
    const revocation = this.requireEnabled();
    const claims = typeof tokenOrPayload === 'string' ? await this.verified(tokenOrPayload) : tokenOrPayload;
    if (
      typeof claims !== 'object' ||
      claims === null ||
      (typeof claims.jti !== 'string' && typeof claims.origin_jti !== 'string')
    ) {
      throw new RevocationRequestInvalidError('Nothing to revoke: the token has neither jti nor origin_jti');
    }
    const entries = entriesForToken(claims, Date.now(), revocation.maxTokenLifetimeMs, this.toleranceMs());
    await this.write(entries);
  }

  /**
   * Revokes every token of `sub` issued before `before` (default now), as `GlobalSignOut` does:
   * tokens of a later sign-in pass. The entry lasts `before` plus `maxTokenLifetimeSeconds`.
   * @throws RevocationStoreUnavailableError when the store cannot record it: nothing is queued
   * @throws RevocationRequestInvalidError without `revocation`, for an empty `sub` or an invalid `before`
   */
  async revokeUser(sub: string, options: RevokeUserOptions = {}): Promise<void> {
    const revocation = this.requireEnabled();
    if (typeof sub !== 'string' || sub === '') {
      throw new RevocationRequestInvalidError("revokeUser() needs the user's sub, a non-empty string");
    }
    const before = options.before === undefined ? Date.now() : options.before.getTime?.();
    if (typeof before !== 'number' || !Number.isFinite(before)) {
      throw new RevocationRequestInvalidError('revokeUser() option "before" must be a valid Date');
    }
    await this.write([entryForUser(sub, before, revocation.maxTokenLifetimeMs, this.toleranceMs())]);
  }

  /** Whether a verified token is revoked: a memory lookup (jti, origin_jti, sub and iat). */
  isRevoked(payload: RevocationSubject): boolean {
    return this.set.covers(payload);
  }

  /**
   * The guard's check: refuses a revoked token, and with `failClosed` any token while the set may
   * be stale.
   * @throws TokenRevokedError (401), RevocationStateUnavailableError (503)
   */
  assertNotRevoked(payload: RevocationSubject): void {
    if (this.config.revocation === null) return;
    const version = this.set.version;
    if (this.passed.get(payload) !== version) {
      if (this.set.covers(payload)) throw new TokenRevokedError();
      this.passed.set(payload, version);
    }
    if (this.stale && this.config.revocation.failClosed) throw new RevocationStateUnavailableError();
  }

  /**
   * Drops expired entries from memory (and from the in-memory store). Runs once a minute by itself;
   * Redis expires its keys by their TTL.
   */
  pruneExpired(): void {
    const now = Date.now();
    this.set.prune(now);
    this.config.revocation?.store.prune?.(now);
  }

  private async write(entries: readonly RevocationEntry[]): Promise<void> {
    const store = this.config.revocation!.store;
    for (const entry of entries) await store.add(entry);
    // Known here at once, before the store's push comes back.
    this.merge(entries);
  }

  private merge(entries: readonly RevocationEntry[]): void {
    let added = false;
    for (const entry of entries) added = this.set.add(entry) || added;
    if (added) this.scheduleEviction();
  }

  /**
   * Takes revoked tokens out of the verified-token cache. The guard checks every cached answer anyway;
   * this frees their memory. One pass over the cache for a whole burst of entries (a reload, a bench
   * loading thousands), not one per entry.
   */
  private scheduleEviction(): void {
    const cache = this.keys.verifiedTokens;
    if (cache === null || this.evictionScheduled) return;
    this.evictionScheduled = true;
    setImmediate(() => {
      this.evictionScheduled = false;
      cache.forget((payload) => this.set.covers(payload));
    });
  }

  private onAvailable(): void {
    if (this.stale && this.outageWarned) {
      this.logger.log(`Revocation store reachable again: ${this.set.size} entries known`);
    }
    this.stale = false;
    this.outageWarned = false;
  }

  private onUnavailable(error: unknown): void {
    this.stale = true;
    // One warning per outage: ioredis retries every couple of seconds, each retry reports again.
    if (this.outageWarned) return;
    this.outageWarned = true;
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn(
      `Revocation store unreachable (${reason}): ` +
        (this.config.revocation?.failClosed
          ? 'tokens are refused (failClosed) until it is back'
          : `verifying with the last known set (${this.set.size} entries) until it is back`),
    );
  }

  private async verified(token: string): Promise<JwtPayload> {
    try {
      const { key } = await this.keys.keyFor(token);
      return verifyJwt(token, key, {
        algorithms: [COGNITO_JWT_ALGORITHM],
        issuer: [...this.config.issuers.keys()] as [string, ...string[]],
        // An expired token is still worth its family entry (its siblings may live on).
        ignoreExpiration: true,
        clockTolerance: this.config.clockToleranceSeconds,
      }) as JwtPayload;
    } catch (error) {
      throw toCognitoAuthError(this.keys.explainRefusal(token, error));
    }
  }

  private requireEnabled() {
    const revocation = this.config.revocation;
    if (revocation === null) {
      throw new RevocationRequestInvalidError(
        'Revocation is off: set the CognitoAuthModule option "revocation", e.g. { store: new InMemoryRevocationStore() }',
      );
    }
    return revocation;
  }

  private toleranceMs(): number {
    return this.config.clockToleranceSeconds * 1000;
  }
}
