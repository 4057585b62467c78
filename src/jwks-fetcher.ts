import { Logger } from '@nestjs/common';
import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { COGNITO_JWT_ALGORITHM } from './cognito-auth.constants';
import { JwksUnavailableError } from './errors';

/** Largest JWKS body accepted: a pool's JWKS is a few KiB. */
const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * Most keys of one JWKS handed to jwks-rsa. A Cognito pool publishes two (a few more at most while it
 * rotates); importing one costs about 0.4 ms of synchronous work, so a JWKS of 2,000 keys (808 KiB,
 * under the size cap) would block the event loop for most of a second on every refresh.
 */
export const MAX_JWKS_KEYS = 20;

/**
 * A non-200 answer of the JWKS endpoint, with the wait its `Retry-After` asks for (429 and 503 only,
 * the statuses that define it for this case: RFC 6585 §4, RFC 9110 §15.6.4).
 */
export class JwksHttpStatusError extends Error {
  constructor(
    readonly status: number | undefined,
    /** Milliseconds to wait before the next fetch, from `Retry-After`; undefined when absent or unreadable. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(`JWKS endpoint answered HTTP ${status}`);
    this.name = 'JwksHttpStatusError';
  }
}

/**
 * The `fetcher` handed to jwks-rsa. Its built-in request has only an idle timeout, so a server that
 * sends headers and then stalls, or drips a byte at a time, can hold every request waiting on a key;
 * here one deadline covers connect, headers and body. Redirects are not followed, bodies over 1 MiB
 * are cut off, and anything but a 200 JSON object with a `keys` array is a failure.
 *
 * Of `keys`, only entries that could be an RS256 signing key reach jwks-rsa, at most `MAX_JWKS_KEYS`
 * of them: jwks-rsa 3 throws on an entry that is not an object (one `null` would fail the whole set),
 * and imports every key it is given, synchronously.
 *
 * Node's `http`/`https` rather than `fetch`: they take an `http.Agent`, so `jwks.agent` (a proxy
 * agent, custom CAs, keep-alive) works, and with no agent the standard `HTTPS_PROXY` / `HTTP_PROXY` /
 * `NO_PROXY` variables are honoured (read at each fetch).
 */
export class JwksFetcher {
  private readonly logger = new Logger('CognitoAuth');
  private readonly agents = new Map<string, Agent>();
  /** Whether the last JWKS listed more than `MAX_JWKS_KEYS` keys: warned once while it lasts. */
  private tooManyKeys = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly agent?: Agent,
  ) {}

  /** Bound so jwks-rsa can call it as a plain function. */
  readonly fetch = (uri: string): Promise<{ keys: unknown[] }> => this.fetchJwks(uri);

  private async fetchJwks(uri: string): Promise<{ keys: unknown[] }> {
    let text: string;
    try {
      text = await this.get(uri);
    } catch (cause) {
      throw new JwksUnavailableError({ cause });
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
    return { keys: this.boundKeys(uri, keys.filter(isRs256SigningJwk)) };
  }

  /** The first `MAX_JWKS_KEYS` candidates, in the order the JWKS lists them. */
  private boundKeys(uri: string, candidates: object[]): object[] {
    const tooMany = candidates.length > MAX_JWKS_KEYS;
    if (tooMany && !this.tooManyKeys) {
      this.logger.warn(
        `JWKS from ${uri} lists ${candidates.length} RSA signing keys; only the first ${MAX_JWKS_KEYS} are used`,
      );
    }
    this.tooManyKeys = tooMany;
    return tooMany ? candidates.slice(0, MAX_JWKS_KEYS) : candidates;
  }

  /**
   * The body of a 200 answer to GET `uri`, within the deadline and the size cap, with the same
   * discipline as a JWKS fetch (no redirects, proxy agents). For the ALB key endpoint's PEMs.
   */
  fetchText(uri: string, accept: string, maxBytes: number): Promise<string> {
    return this.get(uri, accept, maxBytes);
  }

  /** The body of a 200 answer to GET `uri`, within the deadline and the size cap. */
  private get(uri: string, accept = 'application/json', maxBytes = MAX_JWKS_BYTES): Promise<string> {
    return new Promise((resolve, reject) => {
      const url = new URL(uri);
      let request: ClientRequest | undefined = undefined;
      let settled = false;
      const settle = (error: Error | null, body?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (error) {
          request?.destroy();
          reject(error);
        } else {
          resolve(body!);
        }
      };
      const deadline = setTimeout(
        () => settle(new Error(`JWKS fetch did not complete within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      request = send(url, { agent: this.agentFor(uri), headers: { accept } }, (response) =>
        readBody(response, maxBytes, settle),
      );
      request.on('error', (error) => settle(error));
      request.end();
    });
  }

  /**
   * `false` (a connection per fetch) unless a proxy applies: Node's global agent keeps connections
   * alive, and a fetch every few minutes would reuse one the server has just closed at its own idle
   * timeout (ECONNRESET, seen under load as 503s).
   */
  private agentFor(uri: string): Agent | false {
    if (this.agent !== undefined) return this.agent;
    const proxy = getProxyForUrl(uri);
    if (proxy === '') return false;
    let agent = this.agents.get(proxy);
    if (agent === undefined) {
      agent = new HttpsProxyAgent(proxy);
      this.agents.set(proxy, agent);
    }
    return agent;
  }
}

/**
 * Whether a `keys` entry could verify a Cognito token: an object with `kty: "RSA"`, `use` absent or
 * `sig`, `alg` absent or RS256, a `kid`, and `n` and `e` strings. Cheap checks on the JSON, so that
 * what is dropped costs no import and does not count towards `MAX_JWKS_KEYS`; the key set checks the
 * imported key itself (size, exponent). Static key sets (`jwksFile`, `jwksInline`) apply it too.
 */
export function isRs256SigningJwk(entry: unknown): entry is object {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return false;
  const { kty, use, alg, kid, n, e } = entry as Record<string, unknown>;
  return (
    kty === 'RSA' &&
    (use === undefined || use === 'sig') &&
    (alg === undefined || alg === COGNITO_JWT_ALGORITHM) &&
    typeof kid === 'string' &&
    kid.length > 0 &&
    typeof n === 'string' &&
    typeof e === 'string'
  );
}

/** The wait a `Retry-After` header asks for, in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function readBody(
  response: IncomingMessage,
  maxBytes: number,
  settle: (error: Error | null, body?: string) => void,
): void {
  if (response.statusCode !== 200) {
    response.resume();
    const status = response.statusCode;
    const honoured = status === 429 || status === 503;
    settle(new JwksHttpStatusError(status, honoured ? retryAfterMs(response.headers['retry-after']) : undefined));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      settle(new Error(`body larger than ${maxBytes} bytes`));
      return;
    }
    chunks.push(chunk);
  });
  response.on('end', () => settle(null, Buffer.concat(chunks).toString('utf8')));
  response.on('error', (error) => settle(error));
  response.on('aborted', () => settle(new Error('JWKS answer aborted')));
}
