import {
  ExecutionContext,
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  Logger,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, type IAuthModuleOptions } from '@nestjs/passport';
import { albHeader, ALB_HEADERS } from './alb/alb-headers';
import type { AlbUserClaims } from './alb/alb.strategy';
import { CognitoAlbVerifier } from './alb/cognito-alb-verifier';
import type { CognitoAuthConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
import { JwksKeyProvider } from './jwks-key-provider';
import { CognitoAuthMetrics } from './cognito-auth.metrics';
import { CLAIM_CHECK_METADATA, type CognitoClaimCheck } from './claim-check.decorator';
import { CLAIMS_METADATA, type ClaimsRule } from './claims.decorator';
import { assertClaims, assertGroups, assertNoGroup, assertScopes, assertTokenUse } from './cognito-claims';
import type { CognitoJwtPayload, CognitoTokenUse } from './cognito-jwt-payload.interface';
import { CognitoStrategy, toCognitoAuthError } from './cognito.strategy';
import {
  exceptionForTransport,
  httpResponseOf,
  recordVerifiedUser,
  requestOf,
  transportOf,
} from './execution-context-transport';
import {
  AlbIdentityMismatchError,
  AuthorizationError,
  ClaimCheckRefusedError,
  CognitoAuthError,
  CognitoAuthModuleMissingError,
  InsufficientScopeError,
  InvalidTokenError,
  IssuerMismatchError,
  JwksUnavailableError,
  RevocationStateUnavailableError,
  UnsupportedContextError,
  TenantResolverError,
  TokenMissingError,
} from './errors';
import { GROUPS_METADATA, type GroupsRule } from './groups.decorator';
import { PROHIBITED_GROUPS_METADATA } from './prohibited-groups.decorator';
import { Public, type PublicOptions } from './public.decorator';
import { SCOPES_METADATA, type ScopesRule } from './scopes.decorator';
import { TOKEN_USE_METADATA } from './token-use.decorator';
import { USER_POOL_METADATA } from './user-pool.decorator';
import { CognitoRevocationService } from './revocation/cognito-revocation.service';
import { type CognitoVerifyHook, VerifyHookRejectedError } from './verify-hook';

/**
 * The rules of one route (a handler of a class), as `Reflector.getAllAndOverride` reads each from the
 * handler, then the class: `undefined` where neither has it.
 */
interface RouteRules {
  readonly public: PublicOptions | undefined;
  readonly pools: readonly string[] | undefined;
  readonly tokenUse: readonly CognitoTokenUse[] | undefined;
  readonly groups: GroupsRule | undefined;
  readonly prohibited: readonly string[] | undefined;
  readonly scopes: ScopesRule | undefined;
  readonly claims: ClaimsRule | undefined;
  readonly check: CognitoClaimCheck | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type RouteTarget = Function;

/**
 * Authenticates a request (from the verified-token cache, or with the module's passport-jwt strategy),
 * then applies the route's rules (`@UserPool()`, `@TokenUse()`, `@Groups()`, `@ProhibitedGroups()`,
 * `@Scopes()`, `@Claims()`, `@ClaimCheck()`), then the `verify` option, then revocation. Use it with
 * `@UseGuards(CognitoGuard)`, or everywhere with the module's `global: true`; `@Public()` opts a route
 * out. It guards controllers (Express, Fastify), GraphQL resolvers and WebSocket gateways alike, and
 * refuses to guard any other context (RPC) with an `UnsupportedContextError`.
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
  // @Optional() here and on the config: without CognitoAuthModule, the constructor says so by name.
  @Optional() @Inject(JwksKeyProvider) protected readonly keys!: JwksKeyProvider;

  /** Decision metrics (property-injected like `keys`, optional for the same reason). */
  @Optional() @Inject(CognitoAuthMetrics) protected readonly metrics!: CognitoAuthMetrics;

  /** Revocations known to this instance (property-injected and optional, as `keys`). */
  @Optional() @Inject(CognitoRevocationService) protected readonly revocations!: CognitoRevocationService;

  /** The module's passport-jwt strategy, which verifies every token the cache does not answer. */
  @Optional() @Inject(CognitoStrategy) protected readonly strategy!: CognitoStrategy;

  /** ALB mode's verifier (the `alb` option; inert without it), property-injected as `keys`. */
  @Optional() @Inject(CognitoAlbVerifier) protected readonly albVerifier!: CognitoAlbVerifier;

  /** ALB mode with `accessToken`: the two verified halves of each merged user, until it is cached. */
  private readonly albParts = new WeakMap<
    object,
    { readonly data: AlbUserClaims; readonly access: CognitoJwtPayload }
  >();

  /**
   * Each route's rules, by class and then handler (a handler inherited by two controller classes is
   * one function with two sets of class rules). Decorators run once, when a class is defined, so what
   * metadata says of a route does not change while the app runs: read once, not 14 times a request.
   */
  private readonly rulesByClass = new WeakMap<RouteTarget, WeakMap<RouteTarget, RouteRules>>();
  /** The route `routeRules` answered last, with its rules. */
  private lastRoute: { readonly handler: RouteTarget; readonly type: RouteTarget; readonly rules: RouteRules } | null =
    null;

  /** @throws CognitoAuthModuleMissingError when the app does not import `CognitoAuthModule`. */
  constructor(
    protected readonly reflector: Reflector,
    @Optional() @Inject(COGNITO_AUTH_CONFIG) protected readonly config: CognitoAuthConfig,
  ) {
    // Nest would otherwise report "can't resolve dependencies of the CognitoGuard (Reflector, ?)".
    if (config === undefined || config === null) throw new CognitoAuthModuleMissingError(new.target.name);
    const options: IAuthModuleOptions = { defaultStrategy: config.strategyName, session: false, property: 'user' };
    super(options);
    // AuthGuard also takes its options by property injection, from PassportModule.register() of the
    // host module if there is one; that must not swap this module's strategy for the app's default.
    Object.defineProperty(this, 'options', { get: () => options, set: () => undefined, enumerable: true });
  }

  /**
   * `true` when the request may go on; a failure is always a rejected promise (never a throw), as from
   * an async function. A `@Public()` route, and a cached token while no step needs to wait (no
   * `verify` hook), answer `true` synchronously, not a promise: Nest awaits only what is not a
   * boolean, so a cache hit spends no promise and no microtask turn here or in Nest's guard step.
   */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    let request: Record<string, unknown>;
    let started: number;
    try {
      if (this.isPublic(context)) return true;
      this.assertSupportedContext(context);
      request = this.getRequest<Record<string, unknown>>(context);
      started = this.metrics.start();
    } catch (error) {
      // What the step threw, passed on as it is (as an async function would).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
    let authenticating: Promise<void> | undefined;
    try {
      // Read once: the cache lookup and passport-jwt both take it from here.
      const token = this.config.extractToken(request);
      // No token on an optional route: the handler runs with no user. Any token sent is verified.
      if (token === null && this.isOptional(context)) return true;
      // Each step answers synchronously when it can (a cached token, no verify hook): chained on a
      // promise only when the one before returned one.
      authenticating = this.authenticate(context, request, token);
      if (authenticating === undefined) {
        const checking = this.checkAuthenticated(context, request);
        if (checking === undefined) return this.accepted(context, request, started);
        return this.afterChecks(checking, context, request, started);
      }
    } catch (error) {
      // toTransportException's answer (an HttpException, GraphQLError or WsException; an override's own).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(this.refused(error, context, started));
    }
    // A verified token: the checks run in the same turn as the verification's outcome (one promise
    // for both, not one each).
    return authenticating.then(
      () => {
        let checking: Promise<void> | undefined;
        try {
          checking = this.checkAuthenticated(context, request);
        } catch (error) {
          throw this.refused(error, context, started);
        }
        return checking === undefined
          ? this.accepted(context, request, started)
          : this.afterChecks(checking, context, request, started);
      },
      (error: unknown) => {
        throw this.refused(error, context, started);
      },
    );
  }

  /** canActivate's end once a check had to wait (the verify hook). */
  private afterChecks(
    checking: Promise<void>,
    context: ExecutionContext,
    request: Record<string, unknown>,
    started: number,
  ): Promise<boolean> {
    return checking.then(
      () => this.accepted(context, request, started),
      (error: unknown) => {
        throw this.refused(error, context, started);
      },
    );
  }

  /**
   * canActivate's checks of an authenticated request (`request.user` set): route rules, the verify
   * hook, revocation, then the token remembered. Nothing is returned unless the hook made it wait.
   */
  private checkAuthenticated(context: ExecutionContext, request: Record<string, unknown>): Promise<void> | undefined {
    const payload = request.user as CognitoJwtPayload;
    this.authorize(payload, context);
    const verifying = this.runVerifyHook(payload, request, context);
    if (verifying === undefined) {
      this.checkRevocation(payload);
      // Remembered only once every check, revocation included, has passed.
      this.rememberAccepted(payload);
      return undefined;
    }
    return verifying.then(() => {
      this.checkRevocation(payload);
      this.rememberAccepted(payload);
    });
  }

  /** canActivate's last step once every check passed. */
  private accepted(context: ExecutionContext, request: Record<string, unknown>, started: number): true {
    this.recordUser(context, request);
    this.metrics.accepted(started);
    return true;
  }

  /** canActivate's failure: recorded, and shaped for the transport. */
  private refused(error: unknown, context: ExecutionContext, started: number): unknown {
    this.metrics.failed(error, started);
    return this.toTransportException(error, context);
  }

  /**
   * Refuses contexts the guard cannot read a token from (RPC, or any other than HTTP, GraphQL and
   * WebSockets): there the only "request" is what the client sent, `user` included.
   * @throws UnsupportedContextError
   */
  protected assertSupportedContext(context: ExecutionContext): void {
    if (transportOf(context) !== 'other') return;
    throw new UnsupportedContextError(context.getType(), `${context.getClass().name}.${context.getHandler().name}`);
  }

  /**
   * Keeps what the guard accepted (`request.user`, once every check passed) as the one thing
   * `@CognitoUser()` returns for this request or WebSocket message. Nothing is kept when no token was
   * verified (an optional route without one).
   */
  protected recordUser(context: ExecutionContext, request: Record<string, unknown>): void {
    if (request.user !== undefined) recordVerifiedUser(context, request, request.user);
  }

  /**
   * Sets `request.user`, and nothing else on the request, whichever way the token is answered. A token
   * the guard accepted before, not expired since and whose key is still held, is taken from the
   * verified-token cache; any other is verified by the module's passport-jwt strategy (`verifyToken`).
   * @param token the request's token as `tokenFrom` reads it (`null`: none); read here when omitted.
   * @returns nothing for a cached token, else a promise settled once the token is verified (or refused).
   */
  protected authenticate(
    context: ExecutionContext,
    request: Record<string, unknown>,
    token: string | null = this.config.extractToken(request),
  ): Promise<void> | undefined {
    if (this.config.alb !== null) return this.authenticateAlb(context, request, token);
    return this.authenticatePoolToken(context, request, token);
  }

  /** `authenticate` for a user-pool token (the bearer token, or ALB's access token). */
  private authenticatePoolToken(
    context: ExecutionContext,
    request: Record<string, unknown>,
    token: string | null,
  ): Promise<void> | undefined {
    const cache = this.keys.verifiedTokens;
    // Read once: the lookup and, once the token is accepted, its entry use the same key.
    const cacheKey = token === null || cache === null ? undefined : cache.keyFor(token);
    const cached = cacheKey === undefined ? undefined : cache!.get(token!, cacheKey);
    // A tenant's pool may have left the tenant cache since: then the token is verified afresh.
    if (cached !== undefined && this.config.issuers.has(cached.iss)) {
      request.user = cached;
      this.metrics.cacheHit();
      this.keys.refreshIfStale();
      return undefined;
    }
    return this.verifyToken(context, request, token, cacheKey).then((user) => {
      request.user = user;
    });
  }

  /**
   * ALB mode: sets `request.user` from the load balancer's signed `x-amzn-oidc-data` (from the ALB
   * verified-token cache, or verified by the ALB strategy), after checking that `x-amzn-oidc-identity`
   * names the same `sub`. With `alb.accessToken`, the access token of `x-amzn-oidc-accesstoken` is
   * verified too (as any pool token) and must name that `sub`; the user is then both merged, the
   * access token's claims over the userinfo claims.
   * @param token the `x-amzn-oidc-data` value (`null`: none).
   */
  protected authenticateAlb(
    context: ExecutionContext,
    request: Record<string, unknown>,
    token: string | null,
  ): Promise<void> | undefined {
    if (token === null) throw new TokenMissingError({ missing: `${ALB_HEADERS.data} header` });
    const verifier = this.albVerifier;
    const cacheKey = verifier.verifiedTokens?.keyFor(token);
    const cached = verifier.cached(token, cacheKey);
    if (cached !== undefined && this.config.issuers.has(cached.iss)) {
      this.metrics.cacheHit();
      return this.completeAlb(context, request, cached);
    }
    return verifier.verify(request, token, cacheKey).then((claims) => this.completeAlb(context, request, claims));
  }

  private completeAlb(
    context: ExecutionContext,
    request: Record<string, unknown>,
    claims: AlbUserClaims,
  ): Promise<void> | undefined {
    // Unsigned, so never a source of identity; but one that disagrees means the headers were tampered
    // with or mixed up between users on the way, and neither can be trusted.
    const identity = albHeader(request, ALB_HEADERS.identity);
    if (identity !== null && identity !== claims.sub) throw new AlbIdentityMismatchError();
    if (!this.config.alb!.accessToken) {
      request.user = claims;
      return undefined;
    }
    const accessToken = albHeader(request, ALB_HEADERS.accessToken);
    if (accessToken === null) throw new TokenMissingError({ missing: `${ALB_HEADERS.accessToken} header` });
    const merge = (): void => {
      const access = request.user as CognitoJwtPayload;
      if (access.sub !== claims.sub) throw new AlbIdentityMismatchError();
      const user = Object.freeze({ ...claims, ...access }) as CognitoJwtPayload;
      this.albParts.set(user, { data: claims, access });
      request.user = user;
    };
    const verifying = this.authenticatePoolToken(context, request, accessToken);
    if (verifying === undefined) {
      merge();
      return undefined;
    }
    return verifying.then(merge);
  }

  /**
   * Verifies `token` with the module's passport-jwt strategy, driven through passport's Strategy
   * protocol as passport's `authenticate` middleware drives it, and hands the outcome to
   * `handleRequest` as `AuthGuard` does; resolves to what `handleRequest` returns. Unlike
   * `AuthGuard.canActivate` it adds nothing to the request (no `isAuthenticated()`, `logIn()`,
   * `authInfo`): a verified token and a cached one look the same to the handler.
   */
  protected verifyToken(
    context: ExecutionContext,
    request: object,
    token: string | null,
    cacheKey?: string,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.strategy.attempt(
        request,
        token,
        (error, user, info, status) => {
          // A foreign `iss` whose check was left to jsonwebtoken answers as an issuer refusal.
          if (!error && !user) info = this.keys.explainRefusal(token, info);
          try {
            resolve(this.handleRequest(error, user, info, context, status));
          } catch (refusal) {
            // What handleRequest throws (an HttpException, or an override's own), passed on as it is.
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            reject(refusal);
          }
        },
        cacheKey,
      );
    });
  }

  /**
   * Caches a token the guard has just accepted, if it was verified on this request (not answered from
   * the cache), so its next requests skip the RSA verification (the cache keeps it from its second
   * acceptance on). Only here, after every check, route rule and the verify hook: a token that any of
   * them refused is never cached.
   */
  protected rememberAccepted(payload: CognitoJwtPayload): void {
    if (this.config.alb !== null) {
      const parts = this.albParts.get(payload);
      this.albVerifier.remember(parts?.data ?? payload);
      if (parts === undefined) return;
      payload = parts.access;
    }
    const source = this.keys.takeVerified(payload);
    if (source !== undefined) this.keys.verifiedTokens?.set(source, payload);
  }

  /** Called with the outcome of the strategy (`verifyToken`), as `AuthGuard` calls it. */
  override handleRequest<TUser = CognitoJwtPayload>(
    error: unknown,
    user: unknown,
    info: unknown,
    context: ExecutionContext,
    _status?: unknown,
  ): TUser {
    if (error || !user) throw this.createHttpException(toCognitoAuthError(error ?? info), context);
    return user as TUser;
  }

  /**
   * The object passport reads the token from and sets `user` on: the HTTP request, the request in a
   * GraphQL context, or a `HandshakeRequest` of a WebSocket message.
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
    return this.routeRules(context).public;
  }

  /** The rules of the route `context` runs, from the memo, read from metadata on its first request. */
  private routeRules(context: ExecutionContext): RouteRules {
    const handler = context.getHandler();
    const type = context.getClass();
    // Not memoised for a context without both (a hand-built one): read as getAllAndOverride would.
    if (typeof handler !== 'function' || typeof type !== 'function') return this.readRouteRules([handler, type]);
    // The route of the request before, again (each request reads its rules twice or more): no map.
    const last = this.lastRoute;
    if (last !== null && last.handler === handler && last.type === type) return last.rules;
    let byHandler = this.rulesByClass.get(type);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      this.rulesByClass.set(type, byHandler);
    }
    let rules = byHandler.get(handler);
    if (rules === undefined) {
      rules = this.readRouteRules([handler, type]);
      byHandler.set(handler, rules);
    }
    this.lastRoute = { handler, type, rules };
    return rules;
  }

  private readRouteRules(targets: RouteTarget[]): RouteRules {
    const read = <T>(decorator: { readonly KEY: string }): T | undefined =>
      this.reflector.getAllAndOverride<T | undefined, string>(decorator.KEY, targets);
    const publicOptions = read<PublicOptions | null>(Public);
    return Object.freeze({
      // A no-argument decorator made by Reflector.createDecorator() reads back as {}.
      public: publicOptions === undefined ? undefined : (publicOptions ?? {}),
      pools: read<readonly string[]>(USER_POOL_METADATA),
      tokenUse: read<readonly CognitoTokenUse[]>(TOKEN_USE_METADATA),
      groups: read<GroupsRule>(GROUPS_METADATA),
      prohibited: read<readonly string[]>(PROHIBITED_GROUPS_METADATA),
      scopes: read<ScopesRule>(SCOPES_METADATA),
      claims: read<ClaimsRule>(CLAIMS_METADATA),
      check: read<CognitoClaimCheck>(CLAIM_CHECK_METADATA),
    });
  }

  /**
   * Runs the `verify` option on a token that passed every other check. Only `true` accepts; a hook
   * that throws is logged (it is the app's bug or outage, not the client's) and the token refused.
   * @returns nothing when there is no hook, else a promise of its verdict.
   * @throws VerifyHookRejectedError
   */
  protected runVerifyHook(
    payload: CognitoJwtPayload,
    request: unknown,
    context: ExecutionContext,
  ): Promise<void> | undefined {
    const hook = this.config.verify;
    return hook ? this.callVerifyHook(hook, payload, request, context) : undefined;
  }

  private async callVerifyHook(
    hook: CognitoVerifyHook,
    payload: CognitoJwtPayload,
    request: unknown,
    context: ExecutionContext,
  ): Promise<void> {
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
   * The `revocation` check, last, on every request (cache hits included): a memory lookup.
   * @throws TokenRevokedError (401), RevocationStateUnavailableError (503, `failClosed` while stale)
   */
  protected checkRevocation(payload: CognitoJwtPayload): void {
    this.revocations.assertNotRevoked(payload);
  }

  /**
   * Route rules on a verified token, fresh or from the verified-token cache alike: its pool, its kind
   * (the route's, or its pool's default), then groups, prohibited groups, scopes, claims, and last the
   * route's own `@ClaimCheck()`. Each rule's handler metadata overrides its class's; different rules
   * all apply.
   * @throws IssuerMismatchError, TokenUseMismatchError, GroupsNotAllowedError, GroupsRequiredError,
   *   GroupProhibitedError, InsufficientScopeError, ClaimNotAllowedError, ClaimCheckRefusedError
   */
  protected authorize(payload: CognitoJwtPayload, context: ExecutionContext): void {
    const rules = this.routeRules(context);
    const pool = this.config.issuers.get(payload.iss)!.pool;
    if (rules.pools && !rules.pools.includes(pool.userPoolId)) throw new IssuerMismatchError();
    // ALB's userinfo claims carry no token_use: the pool's default kind is the access token's, when
    // there is one (`alb.accessToken`); a route's own @TokenUse() always applies.
    if (rules.tokenUse !== undefined || this.config.alb === null || this.config.alb.accessToken) {
      assertTokenUse(payload, rules.tokenUse ?? pool.tokenUse);
    }
    if (rules.groups) assertGroups(payload, rules.groups);
    if (rules.prohibited) assertNoGroup(payload, rules.prohibited);
    if (rules.scopes) assertScopes(payload, rules.scopes);
    if (rules.claims) assertClaims(payload, rules.claims);
    if (rules.check) this.runClaimCheck(rules.check, payload, context);
  }

  /**
   * Runs a route's `@ClaimCheck()`. Only `true` accepts. A check that throws is the app's bug, not the
   * client's: logged, and the request refused (403, never a 500). A promise is refused too: the check
   * is synchronous, and a promise would be truthy whatever it resolves to.
   * @throws ClaimCheckRefusedError
   */
  protected runClaimCheck(check: CognitoClaimCheck, payload: CognitoJwtPayload, context: ExecutionContext): void {
    const route = `${context.getClass().name}.${context.getHandler().name}`;
    let accepted: unknown;
    try {
      accepted = check(payload, this.getRequest(context));
    } catch (error) {
      this.logger.error(
        `The @ClaimCheck() of ${route} threw; the request is refused`,
        error instanceof Error ? error.stack : String(error),
      );
      throw new ClaimCheckRefusedError({ cause: error });
    }
    if (accepted === true) return;
    if (typeof (accepted as PromiseLike<unknown> | undefined)?.then === 'function') {
      // Its rejection would otherwise be unhandled.
      Promise.resolve(accepted).catch(() => undefined);
      this.logger.error(
        `The @ClaimCheck() of ${route} returned a promise; claim checks are synchronous (use the verify option for I/O)`,
      );
    }
    throw new ClaimCheckRefusedError();
  }

  /**
   * The one place a `CognitoAuthError` becomes an HTTP answer. `description` is spelled out because
   * Nest 11 leaves `error` out of the body when options are passed without one (Nest 12 fills it in).
   */
  protected createHttpException(error: CognitoAuthError, context: ExecutionContext): HttpException {
    this.logger.debug(`Refused ${context.getClass().name}.${context.getHandler().name}: ${error.code}`);
    const realm = `Bearer realm="${this.config.realm}"`;
    if (
      error instanceof JwksUnavailableError ||
      error instanceof RevocationStateUnavailableError ||
      error instanceof TenantResolverError
    ) {
      if (error instanceof JwksUnavailableError) {
        this.setHeader(context, 'Retry-After', String(this.retryAfterSeconds(error)));
      }
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

  /**
   * The 503's `Retry-After`, whole seconds of at least 1: the error's hint when the key set gave one,
   * else the JWKS cooldown, the soonest a refetch can be asked for without being turned away.
   */
  protected retryAfterSeconds(error: JwksUnavailableError): number {
    const seconds = error.retryAfterSeconds ?? this.config.jwks.cooldownMs / 1000;
    return Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : 1;
  }

  private setChallenge(context: ExecutionContext, challenge: string): void {
    this.setHeader(context, 'WWW-Authenticate', challenge);
  }

  private setHeader(context: ExecutionContext, name: string, value: string): void {
    const response = httpResponseOf(context) as
      { setHeader?: (name: string, value: string) => void; header?: (name: string, value: string) => void } | undefined;
    // Express (and Node's own response) has setHeader; Fastify's reply has header().
    if (typeof response?.setHeader === 'function') response.setHeader(name, value);
    else if (typeof response?.header === 'function') response.header(name, value);
  }
}
