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
import { JwksKeyProvider } from './jwks-key-provider';
import { assertAllScopes, assertAnyGroup, assertTokenUse } from './cognito-claims';
import type { CognitoJwtPayload } from './cognito-jwt-payload.interface';
import { toCognitoAuthError } from './cognito.strategy';
import { exceptionForTransport, httpResponseOf, requestOf, transportOf } from './execution-context-transport';
import {
  AuthorizationError,
  CognitoAuthError,
  InsufficientScopeError,
  InvalidTokenError,
  IssuerMismatchError,
  JwksUnavailableError,
  TenantResolverError,
} from './errors';
import { GROUPS_METADATA } from './groups.decorator';
import { Public, type PublicOptions } from './public.decorator';
import { SCOPES_METADATA } from './scopes.decorator';
import { TOKEN_USE_METADATA } from './token-use.decorator';
import { USER_POOL_METADATA } from './user-pool.decorator';
import { VerifyHookRejectedError } from './verify-hook';

/**
 * Authenticates a request with the module's passport-jwt strategy, then applies the route's
 * `@TokenUse()`, `@Groups()` and `@Scopes()`, then the `verify` option. Use it with
 * `@UseGuards(CognitoGuard)`, or everywhere with the module's `global: true`; `@Public()` opts a route
 * out. It guards controllers (Express, Fastify), GraphQL resolvers and WebSocket gateways alike.
 *
 * Every failure is a `CognitoAuthError`, turned into HTTP in `createHttpException` alone: 401 with a
 * `WWW-Authenticate` challenge, 403 for authorization, 503 when keys cannot be fetched; GraphQL and
 * WebSockets get that answer in their own shape (`toTransportException`). Subclass it and override
 * the protected steps to change a rule or an answer.
 */
@Injectable()
export class CognitoGuard extends AuthGuard() {
  protected readonly logger = new Logger('CognitoGuard');

  /** Keys and the verified-token cache (property-injected, so subclasses keep the constructor). */
  @Inject(JwksKeyProvider) protected readonly keys!: JwksKeyProvider;

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
    const request = this.getRequest<Record<string, unknown>>(context);
    // A WebSocket connection keeps one request for all its messages: each message is judged afresh.
    if (transportOf(context) === 'ws') delete request.user;
    if (this.isPublic(context)) return true;
    try {
      // No token on an optional route: the handler runs with no user. Any token sent is verified.
      if (this.isOptional(context) && this.config.extractToken(request) === null) return true;
      await this.authenticate(context, request);
      const payload = request.user as CognitoJwtPayload;
      this.authorize(payload, context);
      await this.runVerifyHook(payload, request, context);
    } catch (error) {
      throw this.toTransportException(error, context);
    }
    return true;
  }

  /**
   * Sets `request.user`. A token that passed every check before and has not expired since is taken
   * from the verified-token cache, without a passport round (which costs more than the lookup on a hot
   * route); any other goes through passport, where passport-jwt verifies it.
   */
  protected async authenticate(context: ExecutionContext, request: Record<string, unknown>): Promise<void> {
    const cache = this.keys.verifiedTokens;
    const token = cache === null ? null : this.config.extractToken(request);
    const cached = token ? cache?.get(token) : undefined;
    // A tenant's pool may have left the tenant cache since: then the token is verified afresh.
    if (cached !== undefined && this.config.issuers.has(cached.iss)) {
      request.user = cached;
      this.keys.refreshIfStale();
      return;
    }
    await super.canActivate(context);
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

  /**
   * The object passport reads the token from and sets `user` on: the HTTP request, the request in a
   * GraphQL context, or a WebSocket connection's `HandshakeRequest`.
   */
  override getRequest<T = unknown>(context: ExecutionContext): T {
    return requestOf(context) as T;
  }

  /** The HTTP response, none outside HTTP (passport-jwt never writes to it). Not in AuthGuard's typings. */
  getResponse<T = unknown>(context: ExecutionContext): T {
    return httpResponseOf(context) as T;
  }

  /** `@Public()` without `optional`: the guard does nothing. */
  protected isPublic(context: ExecutionContext): boolean {
    const options = this.publicOptions(context);
    return options !== undefined && options.optional !== true;
  }

  /** `@Public({ optional: true })`: a token is verified when sent, and not required. */
  protected isOptional(context: ExecutionContext): boolean {
    return this.publicOptions(context)?.optional === true;
  }

  private publicOptions(context: ExecutionContext): PublicOptions | undefined {
    const options = this.reflector.getAllAndOverride(Public, [context.getHandler(), context.getClass()]);
    // A no-argument decorator made by Reflector.createDecorator() reads back as {}.
    return options === undefined ? undefined : (options ?? {});
  }

  /**
   * Runs the `verify` option on a token that passed every other check. Only `true` accepts; a hook
   * that throws is logged (it is the app's bug or outage, not the client's) and the token refused.
   * @throws VerifyHookRejectedError
   */
  protected async runVerifyHook(
    payload: CognitoJwtPayload,
    request: unknown,
    context: ExecutionContext,
  ): Promise<void> {
    const hook = this.config.verify;
    if (!hook) return;
    let accepted: unknown;
    try {
      accepted = await hook(payload, request);
    } catch (error) {
      this.logger.error(
        `The verify hook threw on ${context.getClass().name}.${context.getHandler().name}; the token is refused`,
        error instanceof Error ? error.stack : String(error),
      );
      throw new VerifyHookRejectedError({ cause: error });
    }
    if (accepted !== true) throw new VerifyHookRejectedError();
  }

  /**
   * Route rules on a verified token: its pool, its kind (the route's, or its pool's default), then
   * groups, then scopes.
   * @throws IssuerMismatchError, TokenUseMismatchError, GroupsNotAllowedError, InsufficientScopeError
   */
  protected authorize(payload: CognitoJwtPayload, context: ExecutionContext): void {
    const targets = [context.getHandler(), context.getClass()];
    const pool = this.config.issuers.get(payload.iss)!.pool;
    const pools = this.reflector.getAllAndOverride(USER_POOL_METADATA, targets);
    if (pools && !pools.includes(pool.userPoolId)) throw new IssuerMismatchError();
    const tokenUse = this.reflector.getAllAndOverride(TOKEN_USE_METADATA, targets) ?? pool.tokenUse;
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
    if (error instanceof JwksUnavailableError || error instanceof TenantResolverError) {
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

  /**
   * Shapes the HTTP answer for the transport: as is over HTTP, a `GraphQLError` with `extensions.code`
   * `UNAUTHENTICATED` / `FORBIDDEN` / `SERVICE_UNAVAILABLE` in GraphQL, a `WsException` in gateways.
   * Errors that are not this module's (bugs) pass through untouched.
   */
  protected toTransportException(error: unknown, context: ExecutionContext): unknown {
    let exception: HttpException;
    if (error instanceof HttpException) exception = error;
    else if (error instanceof CognitoAuthError) exception = this.createHttpException(error, context);
    else return error;
    const cause = exception.cause;
    const reason = cause instanceof CognitoAuthError ? cause.code : 'ERR_COGNITO_AUTH';
    return exceptionForTransport(exception, reason, context);
  }

  private setChallenge(context: ExecutionContext, challenge: string): void {
    const response = httpResponseOf(context) as
      { setHeader?: (name: string, value: string) => void; header?: (name: string, value: string) => void } | undefined;
    // Express (and Node's own response) has setHeader; Fastify's reply has header().
    if (typeof response?.setHeader === 'function') response.setHeader('WWW-Authenticate', challenge);
    else if (typeof response?.header === 'function') response.header('WWW-Authenticate', challenge);
  }
}
