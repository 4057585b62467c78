import { InvalidTokenError } from './errors';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';

/**
 * The app's own last check of a token, run by `CognitoGuard` after every built-in one has passed
 * (signature, issuer, expiry, client, token_use, and the route's `@TokenUse`, `@Groups`, `@Scopes`).
 * Only `true` accepts; `false`, anything else, or a throw answers 401 `invalid_token`.
 * @param request the HTTP request, the GraphQL context's request, or a WebSocket `HandshakeRequest`.
 * @example
 * ```ts
 * verify: async (payload) => !(await revocations.has(payload.jti))
 * ```
 */
// `any`: the request is the platform's, as for `CognitoTokenExtractor`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CognitoVerifyHook = (payload: CognitoJwtPayload, request: any) => boolean | Promise<boolean>;

/** The `verify` hook refused the token, or threw (the hook's error is the `cause`). */
export class VerifyHookRejectedError extends InvalidTokenError {
  readonly code = 'ERR_JWT_VERIFY_HOOK_REJECTED';

  constructor(options?: { cause?: unknown }) {
    super('Token rejected', options);
  }
}
