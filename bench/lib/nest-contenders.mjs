/**
 * The Nest guards under test, each as a module to import and a guard class to run, built the way an
 * app would: our module through its public API only (`nest-cognito-auth`), passport-jwt + jwks-rsa
 * hand-rolled as Nest teams write it, and @nestjs-cognito/auth. Plain JS, so decorators are applied
 * as calls.
 */
import 'reflect-metadata';
import { createPublicKey, randomUUID } from 'node:crypto';
import { Injectable, Module, UnauthorizedException } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { accessTokenClaims, CLIENT_ID, ISSUER, USER_POOL_ID } from './bench-issuer.mjs';

/**
 * nest-cognito-auth with default options, but for `jwksUri` (the loopback endpoint). `extra` is
 * merged in (e.g. `{ cache: false }` where the module has that option).
 */
export async function ourGuard(issuer, extra = {}) {
  const { CognitoAuthModule, CognitoGuard } = await import('nest-cognito-auth');
  return {
    imports: [
      CognitoAuthModule.forRoot({ userPoolId: USER_POOL_ID, clientId: CLIENT_ID, jwksUri: issuer.jwksUri, ...extra }),
    ],
    providers: [],
    guard: CognitoGuard,
  };
}

/**
 * nest-cognito-auth with `metrics: true` and a real OpenTelemetry SDK `MeterProvider` registered
 * globally in this (the server's) process, as in an app that exports metrics: every decision is
 * counted and timed, every cache hit counted, and a periodic reader collects (into an in-memory
 * exporter, reset at each export so it holds one collection). Issue 11's target: within 3% of
 * `nest-cognito-auth`, whose metrics are on by default but record into the API's no-op provider.
 */
export async function ourGuardWithMetrics(issuer) {
  const { metrics } = await import('@opentelemetry/api');
  const { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } =
    await import('@opentelemetry/sdk-metrics');
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const exportOnce = exporter.export.bind(exporter);
  exporter.export = (resourceMetrics, done) => {
    exporter.reset();
    exportOnce(resourceMetrics, done);
  };
  // 5 s, not the SDK's 60 s default: a run sees several collections, so their cost is in the figures.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 5000 });
  if (!metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))) {
    throw new Error('a global MeterProvider was already registered in this process');
  }
  return ourGuard(issuer, { metrics: true });
}

/** How many revocations the revocation row loads before it is timed (issue 16: 10,000). */
export const BENCH_REVOCATIONS = 10_000;

/**
 * Our module with revocation on, on a real Redis (`BENCH_REDIS_URL`, a redis-server the harness
 * starts on loopback), holding `BENCH_REVOCATIONS` entries: half revoked tokens (jti), half signed-out
 * users (sub). None covers a bench token, so every request is checked and passes.
 */
export async function ourGuardWithRevocation(issuer) {
  const url = process.env.BENCH_REDIS_URL;
  if (!url) throw new Error('the revocation row needs BENCH_REDIS_URL (redis-server on PATH)');
  const { CognitoAuthModule, CognitoGuard, CognitoRevocationService, RedisRevocationStore } =
    await import('nest-cognito-auth');
  return {
    imports: [
      CognitoAuthModule.forRoot({
        userPoolId: USER_POOL_ID,
        clientId: CLIENT_ID,
        jwksUri: issuer.jwksUri,
        revocation: { store: new RedisRevocationStore({ url }, { keyPrefix: `bench:${process.pid}:` }) },
      }),
    ],
    providers: [],
    guard: CognitoGuard,
    async afterStart(app) {
      const service = app.get(CognitoRevocationService);
      const exp = Math.floor(Date.now() / 1000) + 3600;
      for (let i = 0; i < BENCH_REVOCATIONS; i += 1000) {
        await Promise.all(
          Array.from({ length: 1000 }, (_, j) =>
            (i + j) % 2 === 0 ? service.revokeToken({ jti: randomUUID(), exp }) : service.revokeUser(randomUUID()),
          ),
        );
      }
    },
  };
}

/**
 * PassportStrategy(passport-jwt) as both passport-jwt rows set it up: the bearer header, the pool's
 * issuer, RS256, and the Cognito checks an app adds in `validate`. `key` is `{ secretOrKey }` or
 * `{ secretOrKeyProvider }`.
 */
function cognitoJwtStrategy(name, key) {
  class CognitoJwtStrategy extends PassportStrategy(JwtStrategy, name) {
    constructor() {
      super({
        ...key,
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        issuer: ISSUER,
        algorithms: ['RS256'],
      });
    }

    validate(payload) {
      if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID) throw new UnauthorizedException();
      return payload;
    }
  }
  Injectable()(CognitoJwtStrategy);
  return CognitoJwtStrategy;
}

/**
 * The stack the issue calls hand-rolled: PassportStrategy(passport-jwt) with jwks-rsa's
 * `passportJwtSecret` (cache and rate limit on, as its README shows), RS256 and the pool's issuer,
 * and the Cognito checks an app would add in `validate`.
 */
export async function handRolledGuard(issuer) {
  const HandRolledJwtStrategy = cognitoJwtStrategy('hand-rolled-jwt', {
    secretOrKeyProvider: passportJwtSecret({
      cache: true,
      rateLimit: true,
      jwksRequestsPerMinute: 10,
      jwksUri: issuer.jwksUri,
    }),
  });
  const guard = AuthGuard('hand-rolled-jwt');
  return { imports: [], providers: [HandRolledJwtStrategy, guard], guard };
}

/**
 * The least a guard that keeps passport-jwt and @nestjs/passport as its engine can spend on a token:
 * PassportStrategy(passport-jwt) with the pool's key as a KeyObject (no key lookup at all), RS256 and
 * the issuer, a `validate` that checks `token_use` and `client_id`, driven through passport's Strategy
 * protocol as nest-cognito-auth drives it (nothing written on the request but `user`). None of the
 * module's own steps: no spelling check, kid lookup, Cognito claim rules, route rules, cache, metrics
 * or `@CognitoUser()` record. Issue 13 asks that what separates the module from a target be shown to
 * be the engine's: this row is the engine alone, in the same run.
 */
export async function passportJwtFloorGuard(issuer) {
  // Fetched once, at start, from the loopback endpoint: the key is held before the first request.
  const jwks = await (await fetch(issuer.jwksUri)).json();
  const key = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
  const FloorJwtStrategy = cognitoJwtStrategy('passport-jwt-floor', { secretOrKey: key });
  class PassportJwtFloorGuard {
    constructor(strategy) {
      this.strategy = strategy;
    }

    canActivate(context) {
      const request = context.switchToHttp().getRequest();
      return new Promise((resolve, reject) => {
        // What passport's authenticate middleware does per request, minus its writes on the request.
        const attempt = Object.create(this.strategy);
        attempt.success = (user) => {
          request.user = user;
          resolve(true);
        };
        attempt.fail = () => reject(new UnauthorizedException());
        attempt.error = () => reject(new UnauthorizedException());
        attempt.authenticate(request, {});
      });
    }
  }
  Reflect.defineMetadata('design:paramtypes', [FloorJwtStrategy], PassportJwtFloorGuard);
  Injectable()(PassportJwtFloorGuard);
  return { imports: [], providers: [FloorJwtStrategy, PassportJwtFloorGuard], guard: PassportJwtFloorGuard };
}

/**
 * @nestjs-cognito/auth 1.1.7's AuthenticationGuard. Its verifier is aws-jwt-verify; the
 * `jwtRsaVerifier` form takes a JWKS URI (HTTPS only), and `customJwtCheck` adds what its
 * `jwtVerifier` (Cognito) form checks, `token_use` and `client_id`, which needs the real AWS host.
 */
export async function nestjsCognitoGuard(issuer) {
  if (!issuer.jwksUriHttps) throw new Error(issuer.httpsError ?? 'no HTTPS JWKS endpoint');
  const { CognitoAuthModule, AuthenticationGuard } = await import('@nestjs-cognito/auth');
  return {
    imports: [
      CognitoAuthModule.register({
        jwtRsaVerifier: {
          issuer: ISSUER,
          audience: null,
          jwksUri: issuer.jwksUriHttps,
          customJwtCheck: ({ payload }) => {
            if (payload.token_use !== 'access' || payload.client_id !== CLIENT_ID)
              throw new Error('not an access token of the client');
          },
        },
      }),
    ],
    providers: [AuthenticationGuard],
    guard: AuthenticationGuard,
  };
}

/** No guard at all: the baseline of the HTTP runs. */
export async function unguarded() {
  return { imports: [], providers: [], guard: null };
}

/** A guard that does nothing: what Nest's guard machinery alone costs per request. */
export async function noopGuard() {
  class NoopGuard {
    canActivate() {
      return true;
    }
  }
  Injectable()(NoopGuard);
  return { imports: [], providers: [NoopGuard], guard: NoopGuard, verifiesNothing: true };
}

/**
 * A guard that only reads the bearer header and sets `request.user` to a fixed payload: the ceiling of
 * any guard that answers from a verified-token cache (issue 13's target 2 is within 5% of it).
 */
export async function setsUserGuard() {
  const payload = Object.freeze(accessTokenClaims());
  class SetsUserGuard {
    canActivate(context) {
      const request = context.switchToHttp().getRequest();
      const header = request.headers.authorization;
      if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw new UnauthorizedException();
      request.user = payload;
      return true;
    }
  }
  Injectable()(SetsUserGuard);
  return { imports: [], providers: [SetsUserGuard], guard: SetsUserGuard, verifiesNothing: true };
}

export const NEST_CONTENDERS = {
  unguarded,
  'no-op guard': noopGuard,
  'sets-user guard': setsUserGuard,
  'nest-cognito-auth': ourGuard,
  'nest-cognito-auth (cache: false)': (issuer) => ourGuard(issuer, { cache: false }),
  'nest-cognito-auth (revocation, Redis, 10,000 entries)': ourGuardWithRevocation,
  'nest-cognito-auth (metrics on)': ourGuardWithMetrics,
  'hand-rolled': handRolledGuard,
  'passport-jwt floor': passportJwtFloorGuard,
  '@nestjs-cognito/auth': nestjsCognitoGuard,
};

/** A root module around a contender, with `controllers`. */
export function rootModule(contender, controllers = []) {
  class BenchRootModule {}
  Module({ imports: contender.imports, providers: contender.providers, controllers })(BenchRootModule);
  return BenchRootModule;
}
