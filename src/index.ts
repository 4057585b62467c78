export type {
  CognitoAuthCommonOptions,
  CognitoAuthModuleOptions,
  CognitoIssuerFormat,
  CognitoJwks,
  CognitoJwksOptions,
  CognitoMultiPoolOptions,
  CognitoReplicaRegion,
  CognitoSinglePoolOptions,
  CognitoTenantOptions,
  CognitoTokenCacheOptions,
  CognitoUserPoolOptions,
} from './cognito-auth-options.interface';
export type { CognitoAuthConfig, CognitoPoolConfig } from './cognito-auth.config';
export { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
export { CognitoAuthHealth } from './cognito-auth.health';
export type { CognitoAuthHealthReport, CognitoKeySetHealth } from './cognito-auth.health';
export { CognitoAuthModule } from './cognito-auth.module';
export type { CognitoAuthModuleExtras } from './cognito-auth.module-definition';
export type {
  CognitoAccessTokenClaims,
  CognitoAccessTokenPayload,
  CognitoIdTokenClaims,
  CognitoIdTokenPayload,
  CognitoJwtClaims,
  CognitoJwtPayload,
  CognitoMachineTokenPayload,
  CognitoTokenUse,
} from './cognito-jwt-payload.interface';
export { isAccessToken, isIdToken, isMachineToken } from './cognito-token-type-guards';
export { CognitoUser } from './cognito-user.decorator';
export { CognitoGuard } from './cognito.guard';
export * from './errors';
export { Groups, GROUPS_METADATA } from './groups.decorator';
export { HandshakeRequest } from './handshake-request';
export { Public, type PublicOptions } from './public.decorator';
export { Scopes, SCOPES_METADATA } from './scopes.decorator';
export type { CognitoTenantQuery, CognitoTenantResolver } from './tenant-resolver';
export { TokenUse, TOKEN_USE_METADATA } from './token-use.decorator';
export type { CognitoTokenExtractor, CognitoTokenSources } from './token-extractor';
export { UserPool, USER_POOL_METADATA } from './user-pool.decorator';
export { VerifyHookRejectedError, type CognitoVerifyHook } from './verify-hook';
