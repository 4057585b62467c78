import { Reflector } from '@nestjs/core';

/**
 * Opts a controller or route out of `CognitoGuard` (with `global: true`, the guard is on every
 * route). A handler's `@Public()` overrides a guarded class.
 * @example
 * ```ts
 * @Public()
 * @Get('health')
 * health() { return 'ok'; }
 * ```
 */
export const Public = Reflector.createDecorator<void>();
