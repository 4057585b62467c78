import type { RevocationEntry } from './revocation-entry';
import { RevocationSet } from './revocation-set';
import type { RevocationStore, RevocationStoreListener } from './revocation-store';

/**
 * Revocations held in this process alone: for an app that runs one instance, and for tests. Several
 * module instances in one process (two apps of a test) share revocations when given the same store.
 * Entries leave when they expire (pruned with the instances' own pruning, once a minute).
 * @example
 * ```ts
 * CognitoAuthModule.forRoot({ userPoolId, clientId, revocation: { store: new InMemoryRevocationStore() } })
 * ```
 */
export class InMemoryRevocationStore implements RevocationStore {
  private readonly set = new RevocationSet();
  private readonly listeners = new Set<RevocationStoreListener>();

  /** Entries held, expired ones included until pruned. */
  get size(): number {
    return this.set.size;
  }

  start(listener: RevocationStoreListener): Promise<void> {
    this.listeners.add(listener);
    listener.entries([...this.set.entries()]);
    listener.available();
    return Promise.resolve();
  }

  add(entry: RevocationEntry): Promise<void> {
    if (this.set.add(entry)) {
      for (const listener of this.listeners) listener.entries([entry]);
    }
    return Promise.resolve();
  }

  stop(listener: RevocationStoreListener): Promise<void> {
    this.listeners.delete(listener);
    return Promise.resolve();
  }

  prune(now: number): void {
    this.set.prune(now);
  }
}
