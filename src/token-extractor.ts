import { bearerTokenFromRequest } from './bearer-token';
import { CognitoConfigError, TokenMalformedError } from './errors';
import { HandshakeRequest } from './handshake-request';

/**
 * Reads the token from a request: the HTTP request (Express or Fastify), for GraphQL the request in
 * the resolver context, for WebSockets the connection's `HandshakeRequest`.
 * @returns the token, or `null`/`undefined` when the request carries none.
 */
// `any`: the request is the platform's (Express, Fastify, a GraphQL context's, a WebSocket handshake).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CognitoTokenExtractor = (request: any) => string | null | undefined;

/**
 * Extra places to read the token from. The `Authorization: Bearer` header is always read first;
 * these are tried, in this order, when it is absent.
 */
export interface CognitoTokenSources {
  /**
   * The name of a cookie holding the token (read from the `Cookie` header, so no cookie middleware
   * is needed). A browser sends cookies on cross-site requests too: see the README on CSRF.
   */
  cookie?: string;
  /**
   * WebSockets only: the `access_token` a socket.io client sends in its handshake,
   * `io(url, { auth: { access_token } })`, or else in the handshake query string. Never read from
   * HTTP requests.
   * @default false
   */
  handshake?: boolean;
}

// RFC 6265 cookie-name: an RFC 7230 token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Validates `tokenFrom` and builds the extractor the strategy and the guard share. A custom
 * extractor that throws yields a 401 "Token malformed", never a 500.
 * @throws CognitoConfigError naming `tokenFrom` or the faulty field.
 */
export function createTokenExtractor(tokenFrom: unknown): (request: unknown) => string | null {
  if (tokenFrom === undefined) return bearerTokenFromRequest;
  if (typeof tokenFrom === 'function') {
    const custom = tokenFrom as CognitoTokenExtractor;
    return (request) => {
      let token: unknown;
      try {
        token = custom(request);
      } catch (error) {
        throw new TokenMalformedError({ cause: error });
      }
      return typeof token === 'string' && token.length > 0 ? token : null;
    };
  }
  if (typeof tokenFrom !== 'object' || tokenFrom === null || Array.isArray(tokenFrom)) {
    throw new CognitoConfigError('tokenFrom', 'must be { cookie?, handshake? } or a function (request) => token');
  }
  for (const key of Object.keys(tokenFrom)) {
    if (key !== 'cookie' && key !== 'handshake') {
      throw new CognitoConfigError(`tokenFrom.${key}`, 'is not an option (expected one of cookie, handshake)');
    }
  }
  const { cookie, handshake } = tokenFrom as CognitoTokenSources;
  if (cookie !== undefined && (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie))) {
    throw new CognitoConfigError('tokenFrom.cookie', `must be a cookie name, got ${JSON.stringify(cookie)}`);
  }
  if (handshake !== undefined && typeof handshake !== 'boolean') {
    throw new CognitoConfigError('tokenFrom.handshake', `must be a boolean, got ${JSON.stringify(handshake)}`);
  }
  return (request) =>
    bearerTokenFromRequest(request) ??
    (cookie === undefined ? null : cookieFromRequest(request, cookie)) ??
    (handshake === true && request instanceof HandshakeRequest ? handshakeToken(request) : null);
}

/** The value of cookie `name` in the request's `Cookie` header(s), percent-decoded when it can be. */
export function cookieFromRequest(request: unknown, name: string): string | null {
  const header = (request as { headers?: Record<string, unknown> } | undefined)?.headers?.cookie;
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (typeof text !== 'string') return null;
  for (const pair of text.split(';')) {
    const separator = pair.indexOf('=');
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    let value = pair.slice(separator + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not percent-encoded: a JWT is base64url and dots, taken as is.
    }
    return value.length > 0 ? value : null;
  }
  return null;
}

function handshakeToken(request: HandshakeRequest): string | null {
  const fromAuth = request.auth.access_token;
  if (typeof fromAuth === 'string' && fromAuth.length > 0) return fromAuth;
  const fromQuery = request.query.access_token;
  return typeof fromQuery === 'string' && fromQuery.length > 0 ? fromQuery : null;
}
