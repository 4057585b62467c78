import { Reflector } from '@nestjs/core';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';

/**
 * A route's own rule on a verified token, run by `CognitoGuard` after every other check and route
 * rule has passed, on every request (tokens from the verified-token cache included). Synchronous:
 * only `true` lets the request in; anything else, a promise included, or a throw, is 403.
 * @param payload the verified payload, frozen.
 * @param request the HTTP request (`params`, `query`, `headers`: Express and Fastify alike), the
 *   GraphQL context's request, or a WebSocket `HandshakeRequest`.
 */
// `any`: the request is the platform's, as for `CognitoVerifyHook`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CognitoClaimCheck = (payload: CognitoJwtPayload, request: any) => boolean;

/** Metadata of `@ClaimCheck()`, for guards that extend `CognitoGuard`. */
export const CLAIM_CHECK_METADATA = Reflector.createDecorator<CognitoClaimCheck>();

/**
 * The route answers only tokens for which `check(payload, request)` returns `true`; others get 403
 * `Refused by the route claim check` (code `ERR_CLAIM_CHECK_REFUSED`). A check that throws is logged
 * as an error (it is the app's bug, not the client's) and the request refused with the same 403, never a 500.
 *
 * It runs after `@TokenUse()`, `@Groups()`, `@ProhibitedGroups()`, `@Scopes()` and `@Claims()`,
 * and before the module's `verify` option. It is synchronous, so that it costs no event-loop turn
 * on a hot route: checks that need I/O belong in the `verify` option. A handler's `@ClaimCheck()`
 * overrides its class's; combine conditions in one function.
 * @throws TypeError at definition time when `check` is not a function.
 * @example
 * ```ts
 * // the route's :tenantId must be the token's custom:tenant_id
 * @ClaimCheck((payload, request: { params: Record<string, string | undefined> }) =>
 *   typeof payload['custom:tenant_id'] === 'string' && payload['custom:tenant_id'] === request.params.tenantId,
 * )
 * @Get('tenants/:tenantId/orders')
 * orders() {}
 * ```
 */
export const ClaimCheck = (check: CognitoClaimCheck): ClassDecorator & MethodDecorator => {
  if (typeof check !== 'function') {
    throw new TypeError(`@ClaimCheck() takes a function (payload, request) => boolean, got ${typeof check}`);
  }
  return CLAIM_CHECK_METADATA(check);
};
