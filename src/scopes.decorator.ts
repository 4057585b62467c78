import { Reflector } from '@nestjs/core';

/** Metadata of `@Scopes()`, for guards that extend `CognitoGuard`. */
export const SCOPES_METADATA = Reflector.createDecorator<readonly string[]>();

/**
 * The route answers only access tokens whose `scope` holds every one of `scopes`; others get 403
 * with `WWW-Authenticate: Bearer error="insufficient_scope"`. Id tokens carry no scopes. A handler's
 * `@Scopes()` overrides its class's.
 * @throws TypeError at definition time when no scope, or one containing white space, is given.
 * @example
 * ```ts
 * @Scopes('orders/read')
 * @Get('orders')
 * orders() {}
 * ```
 */
export const Scopes = (...scopes: string[]): ClassDecorator & MethodDecorator => {
  if (scopes.length === 0 || !scopes.every((scope) => typeof scope === 'string' && /^\S+$/.test(scope))) {
    throw new TypeError(`@Scopes() takes one or more scope names without spaces, got ${JSON.stringify(scopes)}`);
  }
  return SCOPES_METADATA(scopes);
};
