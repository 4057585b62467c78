import { Reflector } from '@nestjs/core';

/** Metadata of `@ProhibitedGroups()`, for guards that extend `CognitoGuard`. */
export const PROHIBITED_GROUPS_METADATA = Reflector.createDecorator<readonly string[]>();

/**
 * The route refuses (403) tokens whose `cognito:groups` holds any of `groups` (exact, case-sensitive),
 * and tokens whose `cognito:groups` is malformed (not a list of strings): a prohibition that cannot
 * be checked denies. A token with no `cognito:groups` is in no group, so it passes.
 *
 * Separate from `@Groups()` on purpose: a handler's `@Groups()` overrides its class's `@Groups()`
 * but leaves a class-wide `@ProhibitedGroups('suspended')` in force. A handler's
 * `@ProhibitedGroups()` overrides its class's.
 * @throws TypeError at definition time when no group is given, or a name is empty.
 * @example
 * ```ts
 * @ProhibitedGroups('suspended')
 * @Controller('orders')
 * export class OrdersController {}
 * ```
 */
export const ProhibitedGroups = (...groups: string[]): ClassDecorator & MethodDecorator => {
  if (groups.length === 0 || !groups.every((group) => typeof group === 'string' && group.length > 0)) {
    throw new TypeError(`@ProhibitedGroups() takes one or more group names, got ${JSON.stringify(groups)}`);
  }
  return PROHIBITED_GROUPS_METADATA(Object.freeze([...groups]));
};
