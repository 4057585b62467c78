import { Reflector } from '@nestjs/core';

/** Metadata of `@UserPool()`, for guards that extend `CognitoGuard`. */
export const USER_POOL_METADATA = Reflector.createDecorator<readonly string[]>();

/**
 * With several `userPools`, the route answers only tokens of the given pools; a token of another
 * configured pool gets 401 "Token issuer not accepted". A handler's `@UserPool()` overrides its class's.
 * @throws TypeError at definition time when no pool id is given.
 * @example
 * ```ts
 * @UserPool('eu-west-1_Staff1234')
 * @Get('backoffice')
 * backoffice() {}
 * ```
 */
export const UserPool = (...userPoolIds: string[]): ClassDecorator & MethodDecorator => {
  if (userPoolIds.length === 0 || !userPoolIds.every((id) => typeof id === 'string' && id.length > 0)) {
    throw new TypeError(`@UserPool() takes one or more user pool ids, got ${JSON.stringify(userPoolIds)}`);
  }
  return USER_POOL_METADATA(userPoolIds);
};
