import {
  ExecutionContext,
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, type IAuthModuleOptions } from '@nestjs/passport';
import type { CognitoAuthConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
import { assertAllScopes, assertAnyGroup, assertTokenUse } from './cognito-claims';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';
import { toCognitoAuthError } from './cognito.strategy';
import {
  AuthorizationError,
  CognitoAuthError,
  InsufficientScopeError,
  InvalidTokenError,
  JwksUnavailableError,
} from './errors';
import { GROUPS_METADATA } from './groups.decorator';
import { Public } from './public.decorator';
import { SCOPES_METADATA } from './scopes.decorator';
import { TOKEN_USE_METADATA } from './token-use.decorator';

/**
 * Authenticates a request with the module's passport-jwt strategy, then applies the route's
 * `@TokenUse()`, `@Groups()` and `@Scopes()`. Use it with `@UseGuards(CognitoGuard)`, or everywhere
 * with the module's `global: true`; `@Public()` opts a route out.
 *
 * Every failure is a `CognitoAuthError`, turned into HTTP in `createHttpException` alone: 401 with a
 * `WWW-Authenticate` challenge, 403 for authorization, 503 when keys cannot be fetched. Subclass it
 * and override the protected steps to change a rule or an answer.
 */
@Injectable()
export class CognitoGuard extends AuthGuard() {
  protected readonly logger = new Logger('CognitoGuard');

  constructor(
    protected readonly reflector: Reflector,
    @Inject(COGNITO_AUTH_CONFIG) protected readonly config: CognitoAuthConfig,
  ) {
    const options: IAuthModuleOptions = { defaultStrategy: config.strategyName, session: false, property: 'user' };
    super(options);
    // AuthGuard also takes its options by property injection, from PassportModule.register() of the
    // host module if there is one; that must not swap this module's strategy for the app's default.
    Object.defineProperty(this, 'options', { get: () => options, set: () => undefined, enumerable: true });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    await super.canActivate(context);
    const payload = this.getRequest(context).user as CognitoJwtPayload;
    try {
      this.authorize(payload, context);
    } catch (error) {
      throw this.createHttpException(toCognitoAuthError(error), context);
    }
    return true;
  }

  /** Called by passport with the outcome of the strategy. */
  override handleRequest<TUser = CognitoJwtPayload>(
    error: unknown,
    user: unknown,
    info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (error || !user) throw this.createHttpException(toCognitoAuthError(error ?? info), context);
    return user as TUser;
  }

  protected isPublic(context: ExecutionContext): boolean {
    return this.reflector.getAllAndOverride(Public, [context.getHandler(), context.getClass()]) !== undefined;
  }

  /**
   * Route rules on a verified token: its kind, then groups, then scopes.
   * @throws TokenUseMismatchError, GroupsNotAllowedError, InsufficientScopeError
   */
  protected authorize(payload: CognitoJwtPayload, context: ExecutionContext): void {
    const targets = [context.getHandler(), context.getClass()];
    const tokenUse = this.reflector.getAllAndOverride(TOKEN_USE_METADATA, targets) ?? this.config.tokenUse;
    assertTokenUse(payload, tokenUse);
    const groups = this.reflector.getAllAndOverride(GROUPS_METADATA, targets);
    if (groups) assertAnyGroup(payload, groups);
    const scopes = this.reflector.getAllAndOverride(SCOPES_METADATA, targets);
    if (scopes) assertAllScopes(payload, scopes);
  }

  /**
   * The one place a `CognitoAuthError` becomes an HTTP answer. `description` is spelled out because
   * Nest 11 leaves `error` out of the body when options are passed without one (Nest 12 fills it in).
   */
  protected createHttpException(error: CognitoAuthError, context: ExecutionContext): HttpException {
    this.logger.debug(`Refused ${context.getClass().name}.${context.getHandler().name}: ${error.code}`);
    const realm = `Bearer realm="${this.config.realm}"`;
    if (error instanceof JwksUnavailableError) {
      return new ServiceUnavailableException(error.message, { cause: error, description: 'Service Unavailable' });
    }
    if (error instanceof InsufficientScopeError) {
      this.setChallenge(
        context,
        `${realm}, error="insufficient_scope", error_description="${error.message}", scope="${error.required.join(' ')}"`,
      );
      return new ForbiddenException(error.message, { cause: error, description: 'Forbidden' });
    }
    if (error instanceof AuthorizationError) {
      return new ForbiddenException(error.message, { cause: error, description: 'Forbidden' });
    }
    if (error instanceof InvalidTokenError) {
      this.setChallenge(context, `${realm}, error="invalid_token", error_description="${error.message}"`);
      return new UnauthorizedException(error.message, { cause: error, description: 'Unauthorized' });
    }
    this.setChallenge(context, realm);
    return new UnauthorizedException(error.message, { cause: error, description: 'Unauthorized' });
  }

  private setChallenge(context: ExecutionContext, challenge: string): void {
    const response = context.switchToHttp().getResponse() as
      | { setHeader?: (name: string, value: string) => void; header?: (name: string, value: string) => void }
      | undefined;
    // Express (and Node's own response) has setHeader; Fastify's reply has header().
    if (typeof response?.setHeader === 'function') response.setHeader('WWW-Authenticate', challenge);
    else if (typeof response?.header === 'function') response.header('WWW-Authenticate', challenge);
  }
}
