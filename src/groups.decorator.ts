import { Reflector } from '@nestjs/core';

/**
 * What `@Groups()` requires of `cognito:groups`; a token must meet every field that is given.
 * Names match exactly and case-sensitively.
 */
export interface GroupsRule {
  /** At least one of these groups. `@Groups('a', 'b')` is `@Groups({ anyOf: ['a', 'b'] })`. */
  readonly anyOf?: readonly string[];
  /** Every one of these groups. */
  readonly allOf?: readonly string[];
}

/** Metadata of `@Groups()`, for guards that extend `CognitoGuard`: always in its object form. */
export const GROUPS_METADATA = Reflector.createDecorator<GroupsRule>();

const isGroupName = (group: unknown): group is string => typeof group === 'string' && group.length > 0;

const isGroupList = (list: unknown): list is readonly string[] =>
  Array.isArray(list) && list.length > 0 && list.every(isGroupName);

/**
 * The route answers only tokens whose `cognito:groups` holds at least one of `groups` (exact,
 * case-sensitive), or, in the object form, meets `anyOf` and `allOf`; others get 403. A handler's
 * `@Groups()` overrides its class's; `@ProhibitedGroups()` is separate and applies beside it.
 * @throws TypeError at definition time when no group is given, a name is empty, or the object has a
 *   field other than `anyOf` / `allOf` (or an empty one).
 * @example
 * ```ts
 * @Groups('admin', 'support') // a member of either
 * @Get('admin')
 * admin() {}
 *
 * @Groups({ allOf: ['staff', 'finance'] }) // a member of both
 * @Get('ledger')
 * ledger() {}
 * ```
 */
// One signature, not overloads: a wrong argument is reported as such, not as "No overload matches".
export function Groups(...args: Array<string | GroupsRule>): ClassDecorator & MethodDecorator {
  const [first] = args;
  if (args.length === 1 && typeof first === 'object' && first !== null && !Array.isArray(first)) {
    return GROUPS_METADATA(groupsRule(first));
  }
  if (args.length === 0 || !args.every(isGroupName)) {
    // A rule object beside names lands here too: one form at a time.
    throw new TypeError(`@Groups() takes one or more group names, got ${JSON.stringify(args)}`);
  }
  return GROUPS_METADATA(Object.freeze({ anyOf: Object.freeze([...args]) }));
}

function groupsRule(rule: GroupsRule): GroupsRule {
  const fields = Object.keys(rule);
  const valid =
    fields.length > 0 &&
    // Every field given must be a list: `{ anyOf: undefined }` would otherwise be a rule that grants all.
    fields.every((field) => (field === 'anyOf' || field === 'allOf') && isGroupList(rule[field]));
  if (!valid) {
    throw new TypeError(
      '@Groups() takes group names or { anyOf?, allOf? }, each a non-empty list of group names ' +
        `(refuse groups with @ProhibitedGroups()), got ${JSON.stringify(rule)}`,
    );
  }
  // A copy: the app's object may change after decoration, the route's rule must not.
  return Object.freeze({
    ...(rule.anyOf ? { anyOf: Object.freeze([...rule.anyOf]) } : {}),
    ...(rule.allOf ? { allOf: Object.freeze([...rule.allOf]) } : {}),
  });
}
