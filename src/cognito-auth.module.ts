import { Global, Module } from '@nestjs/common';
import { CognitoAlbVerifier } from './alb/cognito-alb-verifier';
import { resolveCognitoAuthOptions } from './cognito-auth.config';
import { CognitoAuthConfigCheck } from './cognito-auth.config-check';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
import { COGNITO_AUTH_MODULE_OPTIONS, CognitoAuthConfigurableModule } from './cognito-auth.module-definition';
import { CognitoAuthHealth } from './cognito-auth.health';
import { CognitoAuthMetrics } from './cognito-auth.metrics';
import { CognitoGuard } from './cognito.guard';
import { CognitoStrategy } from './cognito.strategy';
import { JwksKeyProvider } from './jwks-key-provider';
import { CognitoRevocationService } from './revocation/cognito-revocation.service';

/**
 * Verifies Amazon Cognito user-pool JWTs locally. Import it once, in the root module; it is global,
 * so `@UseGuards(CognitoGuard)` works in every module of the app.
 * @example
 * ```ts
 * @Module({
 *   imports: [CognitoAuthModule.forRoot({ userPoolId: 'eu-west-1_AbC123xyz', clientId: '1example23456789' })],
 * })
 * export class AppModule {}
 * ```
 */
@Global()
@Module({
  providers: [
    // Validated once, at start: a bad option fails the application's bootstrap, naming the option.
    { provide: COGNITO_AUTH_CONFIG, useFactory: resolveCognitoAuthOptions, inject: [COGNITO_AUTH_MODULE_OPTIONS] },
    JwksKeyProvider,
    CognitoStrategy,
    CognitoGuard,
    CognitoAuthHealth,
    CognitoAuthConfigCheck,
    CognitoAuthMetrics,
    // Always provided (inert without the `revocation` option), so guards that extend CognitoGuard
    // and apps that inject it need no condition.
    CognitoRevocationService,
    // Inert without the `alb` option, like the revocation service.
    CognitoAlbVerifier,
  ],
  // JwksKeyProvider, CognitoStrategy, CognitoAuthMetrics and CognitoRevocationService too: guards
  // that extend CognitoGuard, declared in other modules, inject them.
  exports: [
    COGNITO_AUTH_CONFIG,
    CognitoGuard,
    CognitoAuthHealth,
    JwksKeyProvider,
    CognitoStrategy,
    CognitoAuthMetrics,
    CognitoRevocationService,
    CognitoAlbVerifier,
  ],
})
export class CognitoAuthModule extends CognitoAuthConfigurableModule {}
