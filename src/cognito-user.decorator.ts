import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';

/**
 * The verified token payload of the request, or one claim of it. Set by `CognitoGuard`;
 * `undefined` on a `@Public()` route.
 * @example
 * ```ts
 * @Get('me')
 * me(@CognitoUser() user: CognitoJwtPayload, @CognitoUser('sub') sub: string) {}
 * ```
 */
export const CognitoUser = createParamDecorator(
  (claim: string | undefined, context: ExecutionContext): unknown => {
    const user = context.switchToHttp().getRequest<{ user?: CognitoJwtPayload }>().user;
    return claim === undefined ? user : user?.[claim];
  },
);
