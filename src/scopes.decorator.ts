import { Reflector } from '@nestjs/core';

/** What `@Scopes()` requires of an access token's `scope`; a token must meet every field that is given. */
export interface ScopesRule {
  /** Every one of these scopes. `@Scopes('a', 'b')` is `@Scopes({ allOf: ['a', 'b'] })`. */
  readonly allOf?: readonly string[];
  /** At least one of these scopes (express-oauth2-jwt-bearer's `scopeIncludesAny`). */
  readonly anyOf?: readonly string[];
}

/** Metadata of `@Scopes()`, for guards that extend `CognitoGuard`: always in its object form. */
export const SCOPES_METADATA = Reflector.createDecorator<ScopesRule>();

// RFC 6750 §3 scope-token: the names go into the WWW-Authenticate challenge of a 403.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const isScope = (scope: unknown): scope is string => typeof scope === 'string' && SCOPE_TOKEN.test(scope);

const isScopeList = (list: unknown): list is readonly string[] =>
  Array.isArray(list) && list.length > 0 && list.every(isScope);

/**
 * The route answers only access tokens whose `scope` holds every one of `scopes`, or, in the object
 * form, meets `allOf` and `anyOf`; others get 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope", scope="<the scopes of the rule not met>"`.
 * Id tokens carry no scopes. A handler's `@Scopes()` overrides its class's.
 * @throws TypeError at definition time when no scope is given, one with a character outside
 *   RFC 6750's scope alphabet (printable ASCII but space, double quote and backslash), or an object
 *   with a field other than `allOf` / `anyOf` (or an empty one).
 * @example
 * ```ts
 * @Scopes('orders/read') // all of them
 * @Get('orders')
 * orders() {}
 *
 * @Scopes({ anyOf: ['orders/read', 'orders/admin'] }) // either
 * @Get('orders/summary')
 * summary() {}
 * ```
 */
// One signature, not overloads: a wrong argument is reported as such, not as "No overload matches".
export function Scopes(...args: Array<string | ScopesRule>): ClassDecorator & MethodDecorator {
  const [first] = args;
  if (args.length === 1 && typeof first === 'object' && first !== null && !Array.isArray(first)) {
    return SCOPES_METADATA(scopesRule(first));
  }
  if (args.length === 0 || !args.every(isScope)) {
    throw new TypeError(`@Scopes() takes one or more scope names in RFC 6750's alphabet, got ${JSON.stringify(args)}`);
  }
  return SCOPES_METADATA(Object.freeze({ allOf: Object.freeze([...args]) }));
}

function scopesRule(rule: ScopesRule): ScopesRule {
  const fields = Object.keys(rule);
  const valid =
    fields.length > 0 &&
    // Every field given must be a list: `{ allOf: undefined }` would otherwise be a rule that grants all.
    fields.every((field) => (field === 'allOf' || field === 'anyOf') && isScopeList(rule[field]));
  if (!valid) {
    throw new TypeError(
      "@Scopes() takes scope names or { allOf?, anyOf? }, each a non-empty list of scope names in RFC 6750's " +
        `alphabet, got ${JSON.stringify(rule)}`,
    );
  }
  // A copy: the app's object may change after decoration, the route's rule must not.
  return Object.freeze({
    ...(rule.allOf ? { allOf: Object.freeze([...rule.allOf]) } : {}),
    ...(rule.anyOf ? { anyOf: Object.freeze([...rule.anyOf]) } : {}),
  });
}
