import { Reflector } from '@nestjs/core';
import type { CognitoTokenUse } from './cognito-jwt-payload.interface';

/** Metadata of `@TokenUse()`, for guards that extend `CognitoGuard`. */
export const TOKEN_USE_METADATA = Reflector.createDecorator<readonly CognitoTokenUse[]>();

/**
 * The token kinds a controller or route accepts, overriding the module's `tokenUse` option. A
 * handler's `@TokenUse()` overrides its class's.
 * @throws TypeError at definition time when no kind, or an unknown kind, is given.
 * @example
 * ```ts
 * @TokenUse('id')
 * @Get('profile')
 * profile(@CognitoUser('email') email: string) { return { email }; }
 * ```
 */
export const TokenUse = (...uses: CognitoTokenUse[]): ClassDecorator & MethodDecorator => {
  if (uses.length === 0 || !uses.every((use) => use === 'access' || use === 'id')) {
    throw new TypeError(`@TokenUse() takes "access" and/or "id", got ${JSON.stringify(uses)}`);
  }
  return TOKEN_USE_METADATA(uses);
};
