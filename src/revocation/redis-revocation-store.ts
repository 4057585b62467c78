import type { Cluster, Redis } from 'ioredis';
import { CognitoConfigError, RevocationStoreUnavailableError } from '../errors';
import {
  channelOf,
  entryFromKeyValue,
  entryFromMessage,
  keyOf,
  keyPatternOf,
  type RevocationEntry,
} from './revocation-entry';
import type { RevocationStore, RevocationStoreListener } from './revocation-store';

/** The Redis the store talks to: the app's own ioredis client (Redis, Cluster, Sentinel), or a URL. */
export type RedisRevocationConnection = { readonly client: Redis | Cluster } | { readonly url: string };

/** Options of `RedisRevocationStore`. */
export interface RedisRevocationStoreOptions {
  /**
   * Prefix of every key the store writes (`<prefix>token:<jti>`, `<prefix>family:<origin_jti>`,
   * `<prefix>user:<sub>`) and of its pub/sub channel (`<prefix>events`). Apps that share a Redis and
   * must not share revocations use different prefixes; the CLI's `--key-prefix` must match.
   * @default 'nest-cognito-auth:revocation:'
   */
  readonly keyPrefix?: string;
  /**
   * Deadline of one write, in milliseconds: past it `revokeToken()` / `revokeUser()` throw
   * `RevocationStoreUnavailableError`.
   * @default 5000
   */
  readonly writeTimeoutMs?: number;
  /**
   * How long the application's start waits for the first load of the set, in milliseconds. Past it
   * the app starts with the set marked stale (`failClosed` refuses tokens meanwhile) and the load goes
   * on in the background.
   * @default 10000
   */
  readonly startTimeoutMs?: number;
}

/** The prefix when none is given. */
export const DEFAULT_REVOCATION_KEY_PREFIX = 'nest-cognito-auth:revocation:';

/**
 * Writes one entry with its TTL and announces it, atomically: an instance that reloads sees the key,
 * one that listens gets the message, and none can see one without the other having happened. Merges
 * with an entry already there (the later `before` and expiry win), so two revocations of one user in
 * any order leave the stronger one. Expiry is an absolute instant of the writer's clock turned into a
 * relative TTL (PX), so Redis's own clock does not matter.
 * KEYS[1] key; ARGV: expiresAt, before ('' for token entries), now, channel, kind, id.
 */
const WRITE_SCRIPT = `
local expiresAt = tonumber(ARGV[1])
local before = nil
if ARGV[2] ~= '' then before = tonumber(ARGV[2]) end
local current = redis.call('GET', KEYS[1])
if current then
  local ok, old = pcall(cjson.decode, current)
  if ok and type(old) == 'table' then
    local oldExpiresAt = tonumber(old.expiresAt) or 0
    local oldBefore = tonumber(old.before)
    local covered = oldExpiresAt >= expiresAt and (before == nil or (oldBefore ~= nil and oldBefore >= before))
    if covered then return 0 end
    if oldExpiresAt > expiresAt then expiresAt = oldExpiresAt end
    if before ~= nil and oldBefore ~= nil and oldBefore > before then before = oldBefore end
  end
end
local ttl = math.floor(expiresAt - tonumber(ARGV[3]))
if ttl <= 0 then return 0 end
local value = { expiresAt = expiresAt }
local message = { kind = ARGV[5], id = ARGV[6], expiresAt = expiresAt }
if before ~= nil then value.before = before; message.before = before end
redis.call('SET', KEYS[1], cjson.encode(value), 'PX', ttl)
redis.call('PUBLISH', ARGV[4], cjson.encode(message))
return 1
`;

/** The part of an ioredis client (Redis or Cluster) the store uses. */
interface Client {
  readonly status: string;
  readonly isCluster?: boolean;
  duplicate(): Client;
  connect(): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
  subscribe(channel: string): Promise<unknown>;
  eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
  scan(cursor: string, ...args: (string | number)[]): Promise<[string, string[]]>;
  pipeline(commands: string[][]): { exec(): Promise<[Error | null, unknown][] | null> };
  nodes?(role: 'master'): Client[];
}

const SCAN_COUNT = 1000;
const RELOAD_RETRY_MS = 1000;

/**
 * Revocations shared by every instance through Redis. Each entry is a key with a TTL (Redis drops it
 * once nothing it covers can be valid); each write is announced on a pub/sub channel. Every instance
 * holds the whole set in memory, loads it at start and on every reconnect, and merges what is
 * announced: the per-request check never touches Redis.
 *
 * Why pub/sub: it is the simplest push that works everywhere, managed Redis included (keyspace
 * notifications need `CONFIG SET notify-keyspace-events`, which ElastiCache and others forbid, and
 * say only that a key changed, costing a GET per event; a stream would need trimming and a cursor per
 * instance). Pub/sub forgets what is published while a subscriber is disconnected: that is why every
 * reconnect reloads the whole set (SCAN), after subscribing, so nothing falls between the two.
 *
 * Why ioredis: Nest apps already hold one (BullMQ, `@nestjs/microservices`, throttler storage), it
 * does Cluster and Sentinel behind the same client, reconnects by itself and resubscribes. It is an
 * optional peer: required only when a URL is given, so apps that never use this store need not
 * install it. A subscribing connection can send nothing else, so the store opens its own
 * (`client.duplicate()`) and closes it on shutdown; a client passed in is never closed by the store.
 * @example
 * ```ts
 * revocation: { store: new RedisRevocationStore({ client: app.get(Redis) }) }
 * revocation: { store: new RedisRevocationStore({ url: 'redis://127.0.0.1:6379' }, { keyPrefix: 'orders-api:' }) }
 * ```
 */
export class RedisRevocationStore implements RevocationStore {
  /** Prefix of keys and channel, as given or the default. */
  readonly keyPrefix: string;
  private readonly writeTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly url: string | undefined;
  private client: Client | undefined;
  private readonly ownsClient: boolean;
  private readonly createClient: ((url: string) => Client) | undefined;
  private subscriber: Client | undefined;
  private listener: RevocationStoreListener | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  /** @throws CognitoConfigError naming `revocation.store` when the connection or an option is malformed. */
  constructor(connection: RedisRevocationConnection, options: RedisRevocationStoreOptions = {}) {
    const given = connection as { client?: unknown; url?: unknown } | null | undefined;
    if (typeof given?.url === 'string') {
      try {
        if (!/^rediss?:$/.test(new URL(given.url).protocol)) throw new Error('not redis:');
      } catch {
        throw new CognitoConfigError(
          'revocation.store',
          `Redis URL must be redis://… or rediss://…, got "${given.url}"`,
        );
      }
      this.url = given.url;
      this.ownsClient = true;
      this.createClient = loadIoredis();
    } else if (isClient(given?.client)) {
      this.client = given.client;
      this.ownsClient = false;
    } else {
      throw new CognitoConfigError(
        'revocation.store',
        'RedisRevocationStore needs { client } (an ioredis client) or { url }',
      );
    }
    const prefix = options.keyPrefix ?? DEFAULT_REVOCATION_KEY_PREFIX;
    if (typeof prefix !== 'string' || prefix === '') {
      throw new CognitoConfigError('revocation.store', `keyPrefix must be a non-empty string, got ${String(prefix)}`);
    }
    const timeout = options.writeTimeoutMs ?? 5000;
    if (!Number.isInteger(timeout) || timeout < 1) {
      throw new CognitoConfigError(
        'revocation.store',
        `writeTimeoutMs must be a whole number >= 1, got ${String(timeout)}`,
      );
    }
    const startTimeout = options.startTimeoutMs ?? 10_000;
    if (!Number.isInteger(startTimeout) || startTimeout < 1) {
      throw new CognitoConfigError(
        'revocation.store',
        `startTimeoutMs must be a whole number >= 1, got ${String(startTimeout)}`,
      );
    }
    this.keyPrefix = prefix;
    this.writeTimeoutMs = timeout;
    this.startTimeoutMs = startTimeout;
  }

  /** @throws CognitoConfigError when already started by another module instance */
  async start(listener: RevocationStoreListener): Promise<void> {
    if (this.listener !== undefined && this.listener !== listener) {
      throw new CognitoConfigError(
        'revocation.store',
        'is a RedisRevocationStore already started by another CognitoAuthModule: give each app its own store',
      );
    }
    this.listener = listener;
    this.stopped = false;
    const client = this.connection();
    if (client.status === 'wait') client.connect().catch(() => undefined);
    const subscriber = client.duplicate();
    this.subscriber = subscriber;
    // Errors surface as 'close' and reach the listener (one warning per outage); without a listener
    // here ioredis would print every reconnect attempt's error.
    subscriber.on('error', () => undefined);
    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== channelOf(this.keyPrefix)) return;
      const entry = entryFromMessage(message);
      if (entry !== undefined) this.listener?.entries([entry]);
    });
    subscriber.on('ready', () => void this.load(subscriber).finally(settle));
    subscriber.on('close', () => {
      if (this.stopped) return;
      this.listener?.unavailable(new Error('the connection to Redis closed'));
      settle();
    });
    if (subscriber.status === 'wait') subscriber.connect().catch(() => undefined);
    // The app's start waits for the first load, but not forever: past the deadline it starts with the
    // set marked stale (failClosed refuses meanwhile) and the load carries on in the background.
    let deadline: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      deadline = setTimeout(() => {
        if (!this.stopped)
          this.listener?.unavailable(new Error(`no answer from Redis within ${this.startTimeoutMs} ms`));
        resolve();
      }, this.startTimeoutMs);
    });
    await Promise.race([settled, timedOut]);
    clearTimeout(deadline);
  }

  async add(entry: RevocationEntry): Promise<void> {
    const client = this.connection();
    // ioredis would queue the command until it reconnects: refuse now instead, so the caller knows
    // the revocation is not recorded (and a sign-out endpoint can answer an error).
    if (client.status !== 'ready') {
      throw new RevocationStoreUnavailableError({ cause: new Error(`the Redis connection is ${client.status}`) });
    }
    const write = client.eval(
      WRITE_SCRIPT,
      1,
      keyOf(this.keyPrefix, entry),
      entry.expiresAt,
      entry.before ?? '',
      Date.now(),
      channelOf(this.keyPrefix),
      entry.kind,
      entry.id,
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer from Redis in ${this.writeTimeoutMs} ms`)),
        this.writeTimeoutMs,
      );
    });
    try {
      await Promise.race([write, deadline]);
    } catch (cause) {
      throw new RevocationStoreUnavailableError({ cause });
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listener = undefined;
    clearTimeout(this.retryTimer);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await close(subscriber);
    if (this.ownsClient && this.client) {
      await close(this.client);
      this.client = undefined;
    }
  }

  /** Every entry in Redis now, read with SCAN (on every master of a Cluster) and pipelined GETs. */
  async readAll(): Promise<RevocationEntry[]> {
    const client = this.connection();
    const nodes = client.isCluster && client.nodes ? client.nodes('master') : [client];
    const entries: RevocationEntry[] = [];
    const reads: Promise<void>[] = [];
    // Caught where it happens (a read left rejected while the loop awaits the next SCAN would be an
    // unhandled rejection), thrown once all are done.
    let failure: Error | undefined;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', keyPatternOf(this.keyPrefix), 'COUNT', SCAN_COUNT);
        cursor = next;
        if (keys.length === 0) continue;
        // The GETs of one batch go out while the next SCAN runs: one round trip per batch, not two.
        reads.push(
          node
            .pipeline(keys.map((key) => ['get', key]))
            .exec()
            .then((values) => {
              keys.forEach((key, i) => {
                const value = values?.[i]?.[1];
                const entry = entryFromKeyValue(this.keyPrefix, key, typeof value === 'string' ? value : null);
                if (entry !== undefined) entries.push(entry);
              });
            })
            .catch((error: unknown) => {
              failure ??= error instanceof Error ? error : new Error(`Redis read failed: ${JSON.stringify(error)}`);
            }),
        );
      } while (cursor !== '0');
    }
    await Promise.all(reads);
    if (failure !== undefined) throw failure;
    return entries;
  }

  /**
   * On each (re)connect of the subscriber: subscribe first, then read the whole set, so an entry
   * written in between arrives one way or the other. Retried while the subscriber stays up.
   */
  private async load(subscriber: Client): Promise<void> {
    try {
      await subscriber.subscribe(channelOf(this.keyPrefix));
      const entries = await this.readAll();
      if (this.stopped || subscriber !== this.subscriber) return;
      this.listener?.entries(entries);
      this.listener?.available();
    } catch (error) {
      if (this.stopped || subscriber !== this.subscriber) return;
      this.listener?.unavailable(error);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (subscriber.status === 'ready') void this.load(subscriber);
      }, RELOAD_RETRY_MS);
      this.retryTimer.unref();
    }
  }

  /** The client writes and reads go through: the one given, or one made from the URL on first use. */
  private connection(): Client {
    if (this.client === undefined) {
      const client = this.createClient!(this.url!);
      client.on('error', () => undefined);
      this.client = client;
    }
    return this.client;
  }
}

/**
 * ioredis, required when a URL is given and not at the top of the file: it is an optional peer,
 * needed only by this store, so an app without it loads the module unharmed.
 * @throws CognitoConfigError naming revocation.store when it is not installed
 */
function loadIoredis(): (url: string) => Client {
  let ioredis: typeof import('ioredis');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ioredis = require('ioredis') as typeof import('ioredis');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new CognitoConfigError(
      'revocation.store',
      'RedisRevocationStore({ url }) needs the ioredis package: npm install ioredis (or pass your own client)',
    );
  }
  return (url) => new ioredis.Redis(url, { lazyConnect: true }) as unknown as Client;
}

function isClient(value: unknown): value is Client {
  const client = value as Partial<Client> | null | undefined;
  return (
    typeof client?.duplicate === 'function' && typeof client.eval === 'function' && typeof client.scan === 'function'
  );
}

async function close(client: Client): Promise<void> {
  if (client.status === 'ready') {
    await client.quit().catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
}
