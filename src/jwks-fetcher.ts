import type { ReadableStream } from 'node:stream/web';
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
  constructor(private readonly timeoutMs: number) {}

  /** Bound so jwks-rsa can call it as a plain function. */
  readonly fetch = (uri: string): Promise<{ keys: unknown[] }> => this.fetchJwks(uri);

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
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
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
