import { Logger } from '@nestjs/common';
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CognitoAuthConfig } from './cognito-auth.config';
import { CognitoConfigError, KidNotFoundError } from './errors';
import { isRs256SigningJwk, MAX_JWKS_KEYS } from './jwks-fetcher';
import { NO_USABLE_KEY, usableKeys, type KeySet } from './jwks-key-set';

/** A pool's keys given in the options, once read and filtered. */
export interface StaticJwks {
  readonly source: 'file' | 'inline';
  /**
   * Stands where a fetched set has its JWKS URI (the verified-token cache, `CognitoAuthHealth`):
   * `file:///…` for `jwksFile`, `inline:<option>` for `jwksInline`.
   */
  readonly id: string;
  readonly keys: ReadonlyMap<string, KeyObject>;
  /** When the keys were read (ms since the epoch). */
  readonly loadedAt: number;
}

/**
 * Reads the JWKS file of `jwksFile` once, at start.
 * @throws CognitoConfigError naming `option` when the file cannot be read, is not a JWKS, or has no
 *   usable key.
 */
export function readJwksFile(option: string, path: unknown): StaticJwks {
  if (typeof path !== 'string' || path.length === 0) {
    throw new CognitoConfigError(option, `must be the path of a JWKS file, got ${typeof path}`);
  }
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new CognitoConfigError(option, `cannot be read (${(error as Error).message})`);
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(text);
  } catch {
    throw new CognitoConfigError(option, `${absolute} is not JSON`);
  }
  return staticJwks(option, 'file', pathToFileURL(absolute).href, jwks);
}

/**
 * Takes the JWKS of `jwksInline`.
 * @throws CognitoConfigError naming `option` when it is not a JWKS or has no usable key.
 */
export function inlineJwks(option: string, jwks: unknown): StaticJwks {
  return staticJwks(option, 'inline', `inline:${option}`, jwks);
}

function staticJwks(option: string, source: 'file' | 'inline', id: string, jwks: unknown): StaticJwks {
  const entries = (jwks as { keys?: unknown } | null)?.keys;
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(entries)) {
    throw new CognitoConfigError(option, 'must be a JWKS: an object with a "keys" array');
  }
  // The same filter as a fetched JWKS: first the cheap checks on the JSON, then on the imported key.
  const candidates = entries.filter(isRs256SigningJwk) as (JsonWebKey & { kid: string })[];
  if (candidates.length > MAX_JWKS_KEYS) {
    // A fetched JWKS is cut to its first keys (it is the endpoint's input); a pinned one is
    // configuration, and silently ignoring some of its keys would turn into puzzling 401s.
    throw new CognitoConfigError(option, `lists ${candidates.length} RSA signing keys; at most ${MAX_JWKS_KEYS}`);
  }
  const keys = usableKeys(
    candidates.map((jwk) => ({
      kid: jwk.kid,
      alg: jwk.alg,
      importKey: () => createPublicKey({ key: jwk, format: 'jwk' }),
    })),
  );
  if (keys.size === 0) throw new CognitoConfigError(option, `has ${NO_USABLE_KEY}`);
  const dropped = entries.length - keys.size;
  if (dropped > 0) {
    // A kid is no secret: naming the ones kept tells the operator which tokens will verify.
    new Logger('CognitoAuth').warn(
      `${option}: ${dropped} of ${entries.length} keys cannot verify Cognito tokens and are ignored; kept: ${[...keys.keys()].join(', ')}`,
    );
  }
  return { source, id, keys, loadedAt: Date.now() };
}

/** The static key set that stands under `jwksUri`, or undefined when that URI is fetched. */
export function staticKeySetFor(config: CognitoAuthConfig, jwksUri: string): StaticKeySet | undefined {
  const jwks = config.pools.find(({ staticJwks }) => staticJwks?.id === jwksUri)?.staticJwks;
  return jwks ? new StaticKeySet(jwks) : undefined;
}

/**
 * A key set that never fetches: the keys of `jwksFile` or `jwksInline`, read once at start. An
 * unknown `kid` is a 401 at once (there is nothing to refetch); the price is that a key Cognito
 * rotates in is refused until the configuration is updated and the app restarted.
 */
export class StaticKeySet implements KeySet {
  readonly loaded = true;
  readonly lastFetchFailed = false;
  readonly source: 'file' | 'inline';
  private readonly keys: ReadonlyMap<string, KeyObject>;
  private readonly loadedAt: number;

  constructor(jwks: StaticJwks) {
    this.source = jwks.source;
    this.keys = jwks.keys;
    this.loadedAt = jwks.loadedAt;
  }

  get size(): number {
    return this.keys.size;
  }

  /** When the keys were read: they never change after. */
  get fetchedAtMs(): number {
    return this.loadedAt;
  }

  /** @throws KidNotFoundError when the set has no usable key `kid`. */
  getKey(kid: string): Promise<KeyObject> {
    const key = this.keys.get(kid);
    return key === undefined ? Promise.reject(new KidNotFoundError()) : Promise.resolve(key);
  }

  heldKey(kid: string): KeyObject | undefined {
    return this.keys.get(kid);
  }

  /** Nothing to refresh. */
  refreshIfStale(): void {}

  /** Nothing to fetch: the prefetch of a static set is done before it starts. */
  refresh(): Promise<void> {
    return Promise.resolve();
  }
}
