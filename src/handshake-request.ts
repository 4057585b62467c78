/**
 * What `CognitoGuard` hands passport for a WebSocket message: the connection's handshake (socket.io's
 * `socket.handshake`) seen as a request. One per message, so that what passport sets on it while one
 * message is in the guard is never seen, changed or cleared by another message of the connection.
 */
export class HandshakeRequest {
  /** The verified payload of this message, set by `CognitoGuard` (passport). */
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

/** Each message's request, by the arguments array Nest hands that message's guards. */
const requests = new WeakMap<object, HandshakeRequest>();

/**
 * The `HandshakeRequest` of one message of a gateway client: a socket.io `Socket` has `handshake`; a
 * client without one (the `ws` platform keeps no upgrade request) gets an empty request, so its
 * messages carry no token.
 * @param message an object that exists once per message (Nest's arguments array of the message):
 *   the same object gives the same request.
 */
export function handshakeRequestOf(client: unknown, message: object): HandshakeRequest {
  let request = requests.get(message);
  if (!request) {
    const handshake =
      typeof client === 'object' && client !== null
        ? (client as { handshake?: { headers?: unknown; auth?: unknown; query?: unknown } }).handshake
        : undefined;
    request = new HandshakeRequest(record(handshake?.headers), record(handshake?.auth), record(handshake?.query));
    requests.set(message, request);
  }
  return request;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}
