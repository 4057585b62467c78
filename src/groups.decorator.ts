import { Reflector } from '@nestjs/core';

/** Metadata of `@Groups()`, for guards that extend `CognitoGuard`. */
export const GROUPS_METADATA = Reflector.createDecorator<readonly string[]>();

/**
 * The route answers only tokens whose `cognito:groups` holds at least one of `groups` (exact,
 * case-sensitive); others get 403. A handler's `@Groups()` overrides its class's.
 * @throws TypeError at definition time when no group is given.
 * @example
 * ```ts
 * @Groups('admin', 'support')
 * @Get('admin')
 * admin() {}
 * ```
 */
export const Groups = (...groups: string[]): ClassDecorator & MethodDecorator => {
  if (groups.length === 0 || !groups.every((group) => typeof group === 'string' && group.length > 0)) {
    throw new TypeError(`@Groups() takes one or more group names, got ${JSON.stringify(groups)}`);
  }
  return GROUPS_METADATA(groups);
};
