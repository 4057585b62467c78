import { request as httpRequest, type Agent, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { getProxyForUrl } from 'proxy-from-env';
import { JwksUnavailableError } from './errors';

/** Largest JWKS body accepted: a pool's JWKS is a few KiB. */
const MAX_JWKS_BYTES = 1024 * 1024;

/**
 * The `fetcher` handed to jwks-rsa. Its built-in request has only an idle timeout, so a server that
 * sends headers and then stalls, or drips a byte at a time, can hold every request waiting on a key;
 * here one deadline covers connect, headers and body. Redirects are not followed, bodies over 1 MiB
 * are cut off, and anything but a 200 JSON object with a `keys` array is a failure.
 *
 * Node's `http`/`https` rather than `fetch`: they take an `http.Agent`, so `jwks.agent` (a proxy
 * agent, custom CAs, keep-alive) works, and with no agent the standard `HTTPS_PROXY` / `HTTP_PROXY` /
 * `NO_PROXY` variables are honoured (read at each fetch).
 */
export class JwksFetcher {
  private readonly agents = new Map<string, Agent>();

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
    return { keys };
  }

  /** The body of a 200 answer to GET `uri`, within the deadline and the size cap. */
  private get(uri: string): Promise<string> {
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
      request = send(url, { agent: this.agentFor(uri), headers: { accept: 'application/json' } }, (response) =>
        readBody(response, settle),
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

function readBody(response: IncomingMessage, settle: (error: Error | null, body?: string) => void): void {
  if (response.statusCode !== 200) {
    response.resume();
    settle(new Error(`JWKS endpoint answered HTTP ${response.statusCode}`));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  response.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_JWKS_BYTES) {
      settle(new Error(`JWKS body larger than ${MAX_JWKS_BYTES} bytes`));
      return;
    }
    chunks.push(chunk);
  });
  response.on('end', () => settle(null, Buffer.concat(chunks).toString('utf8')));
  response.on('error', (error) => settle(error));
  response.on('aborted', () => settle(new Error('JWKS answer aborted')));
}
