/**
 * What `CognitoGuard` hands passport for a WebSocket message: the connection's handshake (socket.io's
 * `socket.handshake`) seen as a request. One per connection, so the verified payload set on it is what
 * `@CognitoUser()` reads in the gateway's message handlers.
 */
export class HandshakeRequest {
  /** The verified payload, set by `CognitoGuard`. */
  user?: unknown;

  constructor(
    /** The HTTP headers of the handshake (`Authorization`, `Cookie`). */
    readonly headers: Readonly<Record<string, unknown>>,
    /** socket.io's `handshake.auth`: what the client passed as `io(url, { auth })`. */
    readonly auth: Readonly<Record<string, unknown>>,
    /** The query string of the handshake URL. */
    readonly query: Readonly<Record<string, unknown>>,
  ) {}
}

const requests = new WeakMap<object, HandshakeRequest>();

/**
 * The `HandshakeRequest` of a gateway client: a socket.io `Socket` has `handshake`; a client without
 * one (the `ws` platform keeps no upgrade request) gets an empty request, so its messages carry no
 * token.
 */
export function handshakeRequestOf(client: unknown): HandshakeRequest {
  if (typeof client !== 'object' || client === null) return new HandshakeRequest({}, {}, {});
  let request = requests.get(client);
  if (!request) {
    const handshake = (client as { handshake?: { headers?: unknown; auth?: unknown; query?: unknown } }).handshake;
    request = new HandshakeRequest(record(handshake?.headers), record(handshake?.auth), record(handshake?.query));
    requests.set(client, request);
  }
  return request;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
