import { createPublicKey } from 'node:crypto';
import { JwksUnavailableError } from './errors';

/** Largest JWKS body accepted: a pool's JWKS is a few KiB. */
const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * The `fetcher` handed to jwks-rsa. Its built-in request has only an idle timeout, so a server that
 * sends headers and then stalls can hold every request waiting on the same key; here one deadline
 * covers connect, headers and body. Redirects are not followed and anything but a 200 JSON object
 * with a `keys` array is a failure.
 */
export class JwksFetcher {
  /** Whether the last fetch failed: a rate-limited refetch then means "keys unavailable", not "unknown kid". */
  lastFetchFailed = false;
  /** The JWKs of the last successful fetch, by `kid` (a Map: a `kid` of `__proto__` is just a key). */
  private lastKeys = new Map<string, unknown>();

  constructor(private readonly timeoutMs: number) {}

  /** Bound so jwks-rsa can call it as a plain function. */
  readonly fetch = async (uri: string): Promise<{ keys: unknown[] }> => {
    try {
      const jwks = await this.fetchJwks(uri);
      this.lastFetchFailed = false;
      this.lastKeys = new Map(
        jwks.keys.flatMap((jwk) => {
          const kid = (jwk as { kid?: unknown } | null)?.kid;
          return typeof kid === 'string' ? [[kid, jwk] as const] : [];
        }),
      );
      return jwks;
    } catch (error) {
      this.lastFetchFailed = true;
      throw error;
    }
  };

  /**
   * The PEM of `kid` as served by the last successful fetch, for when jwks-rsa cannot refresh an
   * expired entry (rate limit spent, endpoint failing). A key the pool has since removed is gone
   * from it after the next successful fetch.
   */
  lastKnownKey(kid: string): string | undefined {
    const jwk = this.lastKeys.get(kid) as { kty?: unknown; use?: unknown } | undefined;
    if (jwk?.kty !== 'RSA' || (jwk.use !== undefined && jwk.use !== 'sig')) return undefined;
    try {
      return createPublicKey({ key: jwk as never, format: 'jwk' }).export({ format: 'pem', type: 'spki' }) as string;
    } catch {
      return undefined;
    }
  }

  private async fetchJwks(uri: string): Promise<{ keys: unknown[] }> {
    let signal: AbortSignal | undefined;
    let text: string;
    try {
      signal = AbortSignal.timeout(this.timeoutMs);
      const response = await fetch(uri, {
        signal,
        redirect: 'manual',
        headers: { accept: 'application/json' },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`JWKS endpoint answered HTTP ${response.status}`);
      }
      text = await readCapped(response, MAX_JWKS_BYTES);
    } catch (cause) {
      throw new JwksUnavailableError({ cause: signal?.aborted ? signal.reason : cause });
    }
    let jwks: unknown;
    try {
      jwks = JSON.parse(text);
    } catch (cause) {
      throw new JwksUnavailableError({ cause });
    }
    const keys = (jwks as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) {
      throw new JwksUnavailableError({ cause: new Error('JWKS has no "keys" array') });
    }
    return { keys };
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`JWKS body larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
