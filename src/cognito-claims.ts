import type { ClaimMatcher, ClaimsRule, ClaimValue } from './claims.decorator';
import type { GroupsRule } from './groups.decorator';
import type { ScopesRule } from './scopes.decorator';
import type { CognitoPoolConfig } from './cognito-auth.config';
import type { CognitoJwtPayload, CognitoTokenUse } from './cognito-jwt-payload.interface';
import {
  ClaimNotAllowedError,
  ClientMismatchError,
  GroupProhibitedError,
  GroupsNotAllowedError,
  GroupsRequiredError,
  InsufficientScopeError,
  JwtClaimInvalidError,
  JwtNotYetValidError,
  TokenLifetimeTooLongError,
  TokenUseMismatchError,
} from './errors';
import { assertClaimTypes } from './jwt';

/**
 * The Cognito rules, in one place. Signature, `iss`, `exp` and `nbf` are checked before this by
 * jsonwebtoken; what is Cognito-specific is checked here.
 */

/** The time limits `assertCognitoClaims` applies, in seconds (from the module's options). */
export interface CognitoTimeLimits {
  readonly clockToleranceSeconds: number;
  /** Longest `exp - iat` accepted, before the tolerance is added. */
  readonly maxTokenAge: number;
}

/**
 * Checks a payload whose signature has verified (with the key of `pool`, whose issuer it names): it is
 * a Cognito access or id token of one of the pool's app clients, issued for no longer than
 * `maxTokenAge`.
 * @throws TokenMalformedError, JwtClaimInvalidError, JwtNotYetValidError, TokenLifetimeTooLongError,
 *   TokenUseMismatchError, ClientMismatchError
 */
export function assertCognitoClaims(
  payload: Record<string, unknown>,
  pool: CognitoPoolConfig,
  { clockToleranceSeconds, maxTokenAge }: CognitoTimeLimits,
): CognitoJwtPayload {
  // jsonwebtoken accepts a token without `exp` and one whose `exp` is Infinity (`1e999` in JSON); a
  // Cognito token always has a finite one. Cognito always sets `iat` too.
  assertClaimTypes(payload);
  if (payload.iat === undefined) throw new JwtClaimInvalidError();
  const iat = payload.iat as number;
  // jsonwebtoken checks exp and nbf but not iat: a token issued in the future is not valid yet.
  if (iat > Date.now() / 1000 + clockToleranceSeconds) throw new JwtNotYetValidError();
  // Cognito's tokens live a day at most; jsonwebtoken takes any finite `exp` (1e308 is accepted, and
  // would stay valid, and cached, for ever). Both times are the issuer's, so the tolerance is only slack.
  if ((payload.exp as number) - iat > maxTokenAge + clockToleranceSeconds) throw new TokenLifetimeTooLongError();
  const tokenUse = payload.token_use;
  if (tokenUse !== 'access' && tokenUse !== 'id') throw new TokenUseMismatchError();
  // Access tokens name their client in `client_id` and carry no `aud`; id tokens use `aud`, a string
  // (Cognito never issues a list, and a list would make "which client" ambiguous).
  if (tokenUse === 'id' && typeof payload.aud !== 'string') throw new JwtClaimInvalidError();
  const client = tokenUse === 'access' ? payload.client_id : payload.aud;
  if (pool.clientIds !== null && (typeof client !== 'string' || !pool.clientIds.has(client))) {
    throw new ClientMismatchError();
  }
  return payload as CognitoJwtPayload;
}

/**
 * @throws TokenUseMismatchError unless the token is of one of the `allowed` kinds.
 */
export function assertTokenUse(payload: CognitoJwtPayload, allowed: readonly CognitoTokenUse[]): void {
  if (!allowed.includes(payload.token_use)) throw new TokenUseMismatchError();
}

/**
 * @throws GroupsNotAllowedError unless `cognito:groups` holds at least one of `required` (exact match).
 */
export function assertAnyGroup(payload: CognitoJwtPayload, required: readonly string[]): void {
  const groups = payload['cognito:groups'];
  if (!Array.isArray(groups) || !required.some((group) => groups.includes(group))) {
    throw new GroupsNotAllowedError(required);
  }
}

const WHITESPACE = /\s+/;

/**
 * @throws InsufficientScopeError unless the token is an access token whose space-separated `scope`
 *   holds every one of `required`.
 */
export function assertAllScopes(payload: CognitoJwtPayload, required: readonly string[]): void {
  const scope = payload.token_use === 'access' ? payload.scope : undefined;
  const granted = typeof scope === 'string' ? new Set(scope.split(WHITESPACE)) : new Set<string>();
  if (!required.every((s) => granted.has(s))) throw new InsufficientScopeError(required);
}

/**
 * @throws InsufficientScopeError unless the token is an access token whose space-separated `scope`
 *   holds at least one of `anyOf`.
 */
export function assertAnyScope(payload: CognitoJwtPayload, anyOf: readonly string[]): void {
  const scope = payload.token_use === 'access' ? payload.scope : undefined;
  const granted = typeof scope === 'string' ? new Set(scope.split(WHITESPACE)) : new Set<string>();
  if (!anyOf.some((s) => granted.has(s))) throw new InsufficientScopeError(anyOf);
}

/**
 * `@Scopes()`: `allOf`, then `anyOf`.
 * @throws InsufficientScopeError naming the scopes of the part not met.
 */
export function assertScopes(payload: CognitoJwtPayload, rule: ScopesRule): void {
  if (rule.allOf) assertAllScopes(payload, rule.allOf);
  if (rule.anyOf) assertAnyScope(payload, rule.anyOf);
}

/**
 * @throws GroupsRequiredError unless `cognito:groups` holds every one of `allOf` (exact match).
 */
export function assertAllGroups(payload: CognitoJwtPayload, allOf: readonly string[]): void {
  const groups = payload['cognito:groups'];
  if (!Array.isArray(groups) || !allOf.every((group) => groups.includes(group))) {
    throw new GroupsRequiredError(allOf);
  }
}

/**
 * `@Groups()`: `anyOf`, then `allOf`.
 * @throws GroupsNotAllowedError, GroupsRequiredError
 */
export function assertGroups(payload: CognitoJwtPayload, rule: GroupsRule): void {
  if (rule.anyOf) assertAnyGroup(payload, rule.anyOf);
  if (rule.allOf) assertAllGroups(payload, rule.allOf);
}

/**
 * `@ProhibitedGroups()`. No `cognito:groups` is no group; one that is not a list of strings denies,
 * since what it would prohibit cannot be told.
 * @throws GroupProhibitedError
 */
export function assertNoGroup(payload: CognitoJwtPayload, prohibited: readonly string[]): void {
  const groups: unknown = payload['cognito:groups'];
  if (groups === undefined) return;
  if (
    !Array.isArray(groups) ||
    !groups.every((group) => typeof group === 'string') ||
    prohibited.some((group) => groups.includes(group))
  ) {
    throw new GroupProhibitedError(prohibited);
  }
}

/**
 * `@Claims()`: every claim of `rule` meets its matcher. Claims are read as own properties only, so a
 * rule on `constructor` or `toString` never sees `Object.prototype`.
 * @throws ClaimNotAllowedError naming the first claim not met (its name, not its value).
 */
export function assertClaims(payload: CognitoJwtPayload, rule: ClaimsRule): void {
  for (const [name, matcher] of Object.entries(rule)) {
    const present = Object.prototype.hasOwnProperty.call(payload, name);
    if (!present || !claimMeets(payload[name], matcher)) throw new ClaimNotAllowedError(name);
  }
}

function claimMeets(claim: unknown, matcher: ClaimMatcher): boolean {
  if (isValueList(matcher)) return (matcher as readonly unknown[]).includes(claim);
  if (typeof matcher === 'object') return Array.isArray(claim) && claim.includes(matcher.includes);
  return claim === matcher;
}

// Array.isArray does not narrow a readonly array out of a union.
const isValueList = (matcher: ClaimMatcher): matcher is readonly ClaimValue[] => Array.isArray(matcher);
