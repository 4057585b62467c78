import { COGNITO_AUTH_MODULE_OPTIONS } from '../cognito-auth.module-definition';
import type { CognitoSinglePoolOptions } from '../cognito-auth-options.interface';
import type { CognitoTestIssuer } from './cognito-test-issuer';

/**
 * The part of `@nestjs/testing`'s `TestingModuleBuilder` this helper uses. Typed by shape, so the
 * testing kit neither loads nor requires `@nestjs/testing` itself.
 */
export interface OverridableTestingModuleBuilder<Builder> {
  overrideProvider(token: unknown): { useValue(value: unknown): Builder };
}

/**
 * Points the `CognitoAuthModule` of a real `AppModule` at a `CognitoTestIssuer`: the module's options
 * (whatever `forRoot()` or `forRootAsync()` gave, on any `global` setting) are replaced by
 * `issuer.moduleOptions(overrides)`, so the app trusts the issuer's tokens and nothing else. The
 * replacement is whole: options the tests need beyond the pool (`tokenUse`, `jwks`, ...) go in
 * `overrides`. A `forRootAsync()` factory is then never called, but the providers it injects must
 * still resolve (they are part of the app).
 * @returns the builder, to chain `.compile()` or more overrides on.
 * @example
 * ```ts
 * const moduleRef = await overrideCognitoAuth(Test.createTestingModule({ imports: [AppModule] }), issuer).compile();
 * // the same, by hand:
 * Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(COGNITO_AUTH_MODULE_OPTIONS)
 *   .useValue(issuer.moduleOptions());
 * ```
 */
export function overrideCognitoAuth<Builder extends OverridableTestingModuleBuilder<Builder>>(
  builder: Builder,
  issuer: CognitoTestIssuer,
  overrides: Partial<CognitoSinglePoolOptions> = {},
): Builder {
  return builder.overrideProvider(COGNITO_AUTH_MODULE_OPTIONS).useValue(issuer.moduleOptions(overrides));
}
