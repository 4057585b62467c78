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
 * Fastify); for WebSockets the connection's handshake.
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
      return handshakeRequestOf(context.switchToWs().getClient()) as unknown as Record<string, unknown>;
    case 'http':
      // What switchToHttp().getRequest() returns, without the three closures switchToHttp() makes.
      return context.getArgByIndex<Record<string, unknown> | undefined>(0) ?? {};
    default:
      return context.switchToHttp().getRequest<Record<string, unknown>>() ?? {};
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
