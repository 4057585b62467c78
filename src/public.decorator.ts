import { Reflector } from '@nestjs/core';

/** What `@Public()` takes. */
export interface PublicOptions {
  /**
   * Read the user when there is one: without a token the handler runs with no user; with a valid
   * token `@CognitoUser()` is set; an invalid token (expired, forged, wrong client) is still refused
   * with 401, so a client learns its token is bad. Route rules (`@Groups()` …) apply to tokens sent.
   * @default false
   */
  optional?: boolean;
}

/**
 * Opts a controller, route, resolver or gateway handler out of `CognitoGuard` (with `global: true`,
 * the guard is on every route). A handler's `@Public()` overrides a guarded class.
 * `@Public({ optional: true })` still verifies a token when one is sent.
 * @example
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return 'ok'; }
 *
 * @Public({ optional: true })
 * @Get('catalog')
 * catalog(@CognitoUser() user: CognitoJwtPayload | undefined) {}
 * ```
 */
export const Public = Reflector.createDecorator<PublicOptions | void>();
