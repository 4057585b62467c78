import { Reflector } from '@nestjs/core';

/** Metadata of `@Scopes()`, for guards that extend `CognitoGuard`. */
export const SCOPES_METADATA = Reflector.createDecorator<readonly string[]>();

// RFC 6750 §3 scope-token: the names go into the WWW-Authenticate challenge of a 403.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The route answers only access tokens whose `scope` holds every one of `scopes`; others get 403
 * with `WWW-Authenticate: Bearer error="insufficient_scope"`. Id tokens carry no scopes. A handler's
 * `@Scopes()` overrides its class's.
 * @throws TypeError at definition time when no scope is given, or one with a character outside
 *   RFC 6750's scope alphabet (printable ASCII but space, double quote and backslash).
 * @example
 * ```ts
 * @Scopes('orders/read')
 * @Get('orders')
 * orders() {}
 * ```
 */
export const Scopes = (...scopes: string[]): ClassDecorator & MethodDecorator => {
  if (scopes.length === 0 || !scopes.every((scope) => typeof scope === 'string' && SCOPE_TOKEN.test(scope))) {
    throw new TypeError(
      `@Scopes() takes one or more scope names in RFC 6750's alphabet, got ${JSON.stringify(scopes)}`,
    );
  }
  return SCOPES_METADATA(scopes);
};
