import { entriesForToken, entryForUser, type RevocationEntry } from '../revocation/revocation-entry';
import { RedisRevocationStore } from '../revocation/redis-revocation-store';
import type { RevokeSettings } from './cli-arguments';

/**
 * `nest-cognito-auth revoke`: writes the entries `CognitoRevocationService` would (same keys, same
 * TTLs, same announcement), so running apps refuse the token(s) within a moment and apps started
 * later load them. For sign-outs the app never sees (Amplify `signOut({ global: true })` goes
 * straight to Cognito), a ban, an incident.
 * @throws Error when Redis cannot be reached or the write fails (exit 1)
 */
export async function revokeCommand(settings: RevokeSettings): Promise<void> {
  const now = Date.now();
  const lifetimeMs = settings.maxTokenLifetimeSeconds * 1000;
  const target = settings.target;
  const entries: RevocationEntry[] =
    target.kind === 'user'
      ? [entryForUser(target.sub, target.before?.getTime() ?? now, lifetimeMs, 0)]
      : entriesForToken(target.claims, now, lifetimeMs, 0);
  if (entries.length === 0) {
    process.stdout.write('Nothing to revoke: the token has expired.\n');
    return;
  }
  // ioredis, lazily: an optional peer of the package. One attempt, no retry loop: a CLI must fail fast.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const client = new Redis(settings.redisUrl, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    try {
      await client.connect();
    } catch (error) {
      throw new Error(`cannot reach Redis at ${redacted(settings.redisUrl)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const store = new RedisRevocationStore({ client }, { keyPrefix: settings.keyPrefix });
    for (const entry of entries) {
      try {
        await store.add(entry);
      } catch (error) {
        const cause = (error as Error).cause;
        throw new Error(`could not write to Redis: ${cause instanceof Error ? cause.message : String(error)}`, {
          cause: error,
        });
      }
      process.stdout.write(`${describeEntry(entry)}\n`);
    }
  } finally {
    client.disconnect();
  }
}

function describeEntry(entry: RevocationEntry): string {
  const until = new Date(entry.expiresAt).toISOString();
  switch (entry.kind) {
    case 'user':
      return `Revoked every token of user ${entry.id} issued before ${new Date(entry.before!).toISOString()} (kept until ${until})`;
    case 'token':
      return `Revoked token jti ${entry.id} (kept until ${until})`;
    case 'family':
      return `Revoked every token of refresh-token family origin_jti ${entry.id} (kept until ${until})`;
  }
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
