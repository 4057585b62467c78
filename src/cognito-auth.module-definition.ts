import { ConfigurableModuleBuilder, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { CognitoAuthModuleOptions } from './cognito-auth-options.interface';
import { CognitoGuard } from './cognito.guard';

/**
 * Options of the module itself rather than of verification. In `forRootAsync()` they sit beside
 * `useFactory`, not in what the factory returns: `forRootAsync({ global: true, useFactory })`.
 */
export interface CognitoAuthModuleExtras {
  /**
   * Register `CognitoGuard` as a global guard (`APP_GUARD`) so every route needs a token;
   * `@Public()` opts a route out.
   * @default false
   */
  global?: boolean;
}

/**
 * `COGNITO_AUTH_MODULE_OPTIONS` is the injection token of the options as given to `forRoot()` (or
 * returned by the `forRootAsync()` factory), before validation. Exported so tests can replace them:
 * `.overrideProvider(COGNITO_AUTH_MODULE_OPTIONS).useValue(issuer.moduleOptions())`
 * (`overrideCognitoAuth` of `nest-cognito-auth/testing` does that).
 */
export const {
  ConfigurableModuleClass: CognitoAuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: COGNITO_AUTH_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<CognitoAuthModuleOptions>({ moduleName: 'CognitoAuth' })
  .setClassMethodName('forRoot')
  .setExtras<CognitoAuthModuleExtras>({ global: false }, (definition, extras) => {
    // useExisting, so `overrideProvider(CognitoGuard)` / `overrideGuard(CognitoGuard)` reach it in tests.
    const globalGuard: Provider[] = extras.global ? [{ provide: APP_GUARD, useExisting: CognitoGuard }] : [];
    return { ...definition, providers: [...(definition.providers ?? []), ...globalGuard] };
  })
  .build();
