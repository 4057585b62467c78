import type { RevocationEntry } from './revocation-entry';

/**
 * What a store tells the instance that started it. The instance keeps its own copy of the set in
 * memory (`RevocationSet`): the store only feeds it.
 */
export interface RevocationStoreListener {
  /** Entries to merge in: the whole set on (re)load, one entry on a push. */
  entries(entries: readonly RevocationEntry[]): void;
  /** The set is loaded and pushes arrive: the instance's copy is current. */
  available(): void;
  /** Pushes may be missed (connection lost, first load failed): the copy may be stale until `available`. */
  unavailable(error: unknown): void;
}

/**
 * Where revocations are written and where every instance learns them from. `InMemoryRevocationStore`
 * for one process, `RedisRevocationStore` for many; another backend implements these three methods
 * (plus `prune` if it does not expire entries by itself).
 */
export interface RevocationStore {
  /**
   * Loads the current set into `listener` and keeps it informed. Resolves once the first load is done
   * or has failed (never rejects: the app starts either way, as with the JWKS prefetch).
   */
  start(listener: RevocationStoreListener): Promise<void>;
  /**
   * Records `entry` durably for every instance, merging with an existing entry of the same key.
   * @throws RevocationStoreUnavailableError when it cannot be recorded now (nothing is queued)
   */
  add(entry: RevocationEntry): Promise<void>;
  /** Stops informing `listener`; closes only what the store opened itself. */
  stop(listener: RevocationStoreListener): Promise<void>;
  /** Drops expired entries, for stores whose backend does not (called with the instance's own pruning). */
  prune?(now: number): void;
}
