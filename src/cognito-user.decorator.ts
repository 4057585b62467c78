import { createParamDecorator, type ExecutionContext, type PipeTransform, type Type } from '@nestjs/common';
import type { CognitoClaimName, CognitoJwtPayload } from './cognito-jwt-payload.interface';
import { verifiedUserOf } from './execution-context-transport';

const cognitoUser = createParamDecorator((claim: string | undefined, context: ExecutionContext): unknown => {
  // Only what CognitoGuard recorded for this request or message: never `request.user`, which
  // middleware, another guard or (outside HTTP, GraphQL and WebSockets) the client's message may set.
  const user = verifiedUserOf(context) as CognitoJwtPayload | undefined;
  return claim === undefined ? user : user?.[claim];
});

/**
 * `T`, hidden from inference: otherwise TypeScript infers `TCustom` from the claim itself and any name
 * compiles. (`NoInfer` would say it, but needs TypeScript 5.4.)
 */
type NotInferred<T> = [T][T extends unknown ? 0 : never];

/** A pipe as Nest's parameter decorators take it: an instance or a class. */
type CognitoUserPipe = PipeTransform | Type<PipeTransform>;

/**
 * The verified token payload, or one claim of it, in a controller, a GraphQL resolver or a WebSocket
 * gateway handler: what `CognitoGuard` accepted for this request or message, and nothing else.
 * `undefined` on a `@Public()` route (and on `@Public({ optional: true })` when no token was sent), on a
 * route the guard does not cover, and in contexts the guard does not support (RPC). Type the parameter
 * `CognitoJwtPayload` (or `CognitoAccessTokenPayload<Custom>` …) and narrow it with `isAccessToken()` /
 * `isIdToken()`.
 *
 * `claim` must be a claim Cognito defines or `custom:<attribute>` (see `CognitoClaimName`); name the
 * claims a pre-token-generation trigger adds with `TCustom`, or allow any name with
 * `Record<string, unknown>`. Pipes may follow, as for Nest's own parameter decorators.
 * @example
 * ```ts
 * @Get('me')
 * me(@CognitoUser() user: CognitoJwtPayload, @CognitoUser('sub') sub: string) {}
 *
 * @Get('tenant')
 * tenant(@CognitoUser<{ tenant_id: string }>('tenant_id') tenantId: string) {}
 * ```
 */
export function CognitoUser(...pipes: CognitoUserPipe[]): ParameterDecorator;
export function CognitoUser<TCustom extends object = {}>(
  claim: CognitoClaimName<NotInferred<TCustom>> | undefined,
  ...pipes: CognitoUserPipe[]
): ParameterDecorator;
export function CognitoUser(...dataOrPipes: (string | CognitoUserPipe | undefined)[]): ParameterDecorator {
  return cognitoUser(...dataOrPipes);
}
