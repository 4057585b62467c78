import { Reflector } from '@nestjs/core';

/** A value `@Claims()` compares a claim with: exactly (`===`), so `'3'` is not `3`. */
export type ClaimValue = string | number | boolean;

/**
 * What one claim must be: a value (exactly that), a list of values (one of them), or
 * `{ includes: value }` (a list claim, such as `cognito:groups`, that holds the value).
 */
export type ClaimMatcher = ClaimValue | readonly ClaimValue[] | { readonly includes: ClaimValue };

/** The claims `@Claims()` requires, by claim name; a token must meet every one. */
export type ClaimsRule = Readonly<Record<string, ClaimMatcher>>;

/** Metadata of `@Claims()`, for guards that extend `CognitoGuard`. */
export const CLAIMS_METADATA = Reflector.createDecorator<ClaimsRule>();

const isClaimValue = (value: unknown): value is ClaimValue =>
  typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

function isClaimMatcher(matcher: unknown): matcher is ClaimMatcher {
  if (isClaimValue(matcher)) return true;
  if (Array.isArray(matcher)) return matcher.length > 0 && matcher.every(isClaimValue);
  if (typeof matcher !== 'object' || matcher === null) return false;
  const fields = Object.keys(matcher);
  return fields.length === 1 && fields[0] === 'includes' && isClaimValue((matcher as { includes: unknown }).includes);
}

function copyOf(matcher: ClaimMatcher): ClaimMatcher {
  if (isClaimValue(matcher)) return matcher;
  return Array.isArray(matcher)
    ? Object.freeze([...(matcher as readonly ClaimValue[])])
    : Object.freeze({ includes: (matcher as { includes: ClaimValue }).includes });
}

/**
 * The route answers only tokens whose claims meet `rule`, every entry of it; others get 403
 * `Claim requirement not met` (code `ERR_CLAIM_NOT_ALLOWED`), a message that names no value. For each
 * claim name (custom attributes `custom:*` included):
 * - a string, number or boolean: the claim is exactly that (`===`, no conversion);
 * - a list: the claim is one of its values;
 * - `{ includes: value }`: the claim is a list that holds the value.
 *
 * An absent claim meets nothing. Cognito writes custom attributes into id tokens as strings (a Number
 * attribute reads `"3"`), and into access tokens only through a pre-token-generation trigger, which
 * keeps the JSON types it writes. A handler's `@Claims()` overrides its class's; for a rule that needs
 * the request or a comparison, see `@ClaimCheck()`.
 * @throws TypeError at definition time when `rule` is not an object with at least one claim, or an
 *   entry is not one of the three forms (`null`, `NaN`, an empty list, an object with another field).
 * @example
 * ```ts
 * @Claims({ 'custom:tier': 'gold', 'custom:region': ['eu', 'us'], 'cognito:groups': { includes: 'beta' } })
 * @Get('preview')
 * preview() {}
 * ```
 */
export const Claims = (rule: ClaimsRule): ClassDecorator & MethodDecorator => {
  const entries = typeof rule === 'object' && rule !== null && !Array.isArray(rule) ? Object.entries(rule) : [];
  if (entries.length === 0 || !entries.every(([name, matcher]) => name.length > 0 && isClaimMatcher(matcher))) {
    throw new TypeError(
      '@Claims() takes { [claim]: value | [values] | { includes: value } } with at least one claim, values ' +
        `strings, finite numbers or booleans; got ${JSON.stringify(rule)}`,
    );
  }
  // A frozen copy (the app's object may change after decoration, the route's rule must not).
  // Object.fromEntries defines each name as an own property, `__proto__` included.
  const copy = Object.fromEntries(entries.map(([name, matcher]) => [name, copyOf(matcher)])) as ClaimsRule;
  return CLAIMS_METADATA(Object.freeze(copy));
};
