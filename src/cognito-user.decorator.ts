import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';
import { requestOf } from './execution-context-transport';

/**
 * The verified token payload, or one claim of it, in a controller, a GraphQL resolver or a WebSocket
 * gateway handler. Set by `CognitoGuard`; `undefined` on a `@Public()` route (and on
 * `@Public({ optional: true })` when no token was sent). Type the parameter `CognitoJwtPayload`
 * (or `CognitoAccessTokenPayload<Custom>` …) and narrow it with `isAccessToken()` / `isIdToken()`.
 * @example
 * ```ts
 * @Get('me')
 * me(@CognitoUser() user: CognitoJwtPayload, @CognitoUser('sub') sub: string) {}
 * ```
 */
export const CognitoUser = createParamDecorator((claim: string | undefined, context: ExecutionContext): unknown => {
  const user = requestOf(context).user as CognitoJwtPayload | undefined;
  return claim === undefined ? user : user?.[claim];
});
