import type { ExecutionContext, HttpException } from '@nestjs/common';
import { handshakeRequestOf } from './handshake-request';

/**
 * Where a guarded handler runs. The guard and `@CognitoUser()` find the request, and shape their
 * failures, by transport; GraphQL and WebSocket packages are loaded only when a context of theirs
 * occurs, so the module runs without them installed.
 */
export type CognitoTransport = 'http' | 'graphql' | 'ws' | 'other';

export function transportOf(context: ExecutionContext): CognitoTransport {
  // `getType()` is a string: 'graphql' is added by @nestjs/graphql, which this module does not import.
  const type = context.getType<string>();
  return type === 'http' || type === 'graphql' || type === 'ws' ? type : 'other';
}

/**
 * The object passport reads the token from and sets `user` on: the HTTP request; for GraphQL the
 * request in the resolver context (Nest's Apollo driver puts it at `context.req` on Express and
 * Fastify); for WebSockets a `HandshakeRequest` of this message, made from the connection's handshake.
 */
export function requestOf(context: ExecutionContext): Record<string, unknown> {
  switch (transportOf(context)) {
    case 'graphql': {
      // Resolver arguments are (root, args, context, info); reading context.req directly avoids
      // loading GqlExecutionContext.
      const gqlContext = context.getArgByIndex<{ req?: Record<string, unknown> } | undefined>(2);
      return gqlContext?.req ?? {};
    }
    case 'ws':
      // Nest hands the guards of one message the same arguments array: it keys the message's request.
      return handshakeRequestOf(context.switchToWs().getClient(), context.getArgs()) as unknown as Record<
        string,
        unknown
      >;
    case 'http':
      // What switchToHttp().getRequest() returns, without the three closures switchToHttp() makes.
      return context.getArgByIndex<Record<string, unknown> | undefined>(0) ?? {};
    default:
      return context.switchToHttp().getRequest<Record<string, unknown>>() ?? {};
  }
}

/**
 * What `CognitoGuard` accepted, by the request it read the token from (HTTP, GraphQL): `@CognitoUser()`
 * reads only this, never `request.user`, which anything before the handler may have set.
 */
const verifiedByRequest = new WeakMap<object, unknown>();

/**
 * What `CognitoGuard` accepted on a WebSocket connection, by gateway class and handler. Nest gives a
 * message's param decorators a copy of the arguments its guards saw, and the message body may be a
 * string, so the guard and `@CognitoUser()` of one message share no per-message object, only the
 * client. Keying by handler is enough: a `@Public()` handler never gets an entry, and since the token
 * comes from the handshake, every message of a connection verifies the same token, so the entry one
 * message of a handler wrote is what any other message of it that passed the guard would write.
 */
const verifiedByConnection = new WeakMap<object, Map<unknown, Map<unknown, unknown>>>();

/**
 * Records `payload` as what the guard verified for this request or message, for `@CognitoUser()`.
 * @internal
 */
export function recordVerifiedUser(context: ExecutionContext, request: object, payload: unknown): void {
  if (transportOf(context) !== 'ws') {
    verifiedByRequest.set(request, payload);
    return;
  }
  const client: unknown = context.switchToWs().getClient();
  if (typeof client !== 'object' || client === null) return;
  let byClass = verifiedByConnection.get(client);
  if (!byClass) verifiedByConnection.set(client, (byClass = new Map<unknown, Map<unknown, unknown>>()));
  let byHandler = byClass.get(context.getClass());
  if (!byHandler) byClass.set(context.getClass(), (byHandler = new Map<unknown, unknown>()));
  byHandler.set(context.getHandler(), payload);
}

/**
 * What the guard verified for the handler now running, `undefined` when it verified nothing: a
 * `@Public()` route, no token on an optional one, a handler the guard does not cover, or a context
 * the guard does not support (RPC, where the "request" is the client's message body).
 * @internal
 */
export function verifiedUserOf(context: ExecutionContext): unknown {
  switch (transportOf(context)) {
    case 'ws': {
      const client: unknown = context.switchToWs().getClient();
      if (typeof client !== 'object' || client === null) return undefined;
      return verifiedByConnection.get(client)?.get(context.getClass())?.get(context.getHandler());
    }
    case 'other':
      return undefined;
    default:
      return verifiedByRequest.get(requestOf(context));
  }
}

/** The HTTP response a challenge header can be set on, when the transport has one. */
export function httpResponseOf(context: ExecutionContext): unknown {
  return transportOf(context) === 'http' ? context.switchToHttp().getResponse() : undefined;
}

/** GraphQL error codes by HTTP status, as Apollo names them; 503 has no Apollo name. */
const GRAPHQL_CODES: Readonly<Record<number, string>> = {
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * The HTTP answer as the transport expects it. HTTP gets it as is. GraphQL gets a `GraphQLError`
 * whose `extensions.code` is `UNAUTHENTICATED`, `FORBIDDEN` or `SERVICE_UNAVAILABLE` (Nest's own
 * translation of a 503 would say `INTERNAL_SERVER_ERROR`); WebSockets get a `WsException`, which
 * Nest sends to the client as an `exception` event (anything else would read "Internal server error").
 */
export function exceptionForTransport(exception: HttpException, reason: string, context: ExecutionContext): Error {
  const statusCode = exception.getStatus();
  const transport = transportOf(context);
  if (transport === 'graphql') {
    // Optional peers, loaded only when a GraphQL or WebSocket request comes: an HTTP-only app need not
    // install them, and a static import would make it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { GraphQLError } = require('graphql') as typeof import('graphql');
    return new GraphQLError(exception.message, {
      extensions: { code: GRAPHQL_CODES[statusCode] ?? 'INTERNAL_SERVER_ERROR', statusCode, reason },
    });
  }
  if (transport === 'ws') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { WsException } = require('@nestjs/websockets') as typeof import('@nestjs/websockets');
    return new WsException({ status: 'error', statusCode, reason, message: exception.message });
  }
  return exception;
}
