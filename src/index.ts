export type {
  CognitoAuthCommonOptions,
  CognitoAuthModuleOptions,
  CognitoIssuerFormat,
  CognitoJwks,
  CognitoJwksOptions,
  CognitoMeterProvider,
  CognitoMetricsOptions,
  CognitoMultiPoolOptions,
  CognitoReplicaRegion,
  CognitoSinglePoolOptions,
  CognitoTenantOptions,
  CognitoTokenCacheOptions,
  CognitoUserPoolOptions,
} from './cognito-auth-options.interface';
export type { CognitoAuthConfig, CognitoPoolConfig } from './cognito-auth.config';
export { ClaimCheck, CLAIM_CHECK_METADATA, type CognitoClaimCheck } from './claim-check.decorator';
export { Claims, CLAIMS_METADATA, type ClaimMatcher, type ClaimsRule, type ClaimValue } from './claims.decorator';
export { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
export { CognitoAuthHealth } from './cognito-auth.health';
export type { CognitoAuthHealthReport, CognitoKeySetHealth } from './cognito-auth.health';
export { CognitoAuthMetrics, COGNITO_METRICS, type CognitoDecisionOutcome } from './cognito-auth.metrics';
export { CognitoAuthModule } from './cognito-auth.module';
export { COGNITO_AUTH_MODULE_OPTIONS, type CognitoAuthModuleExtras } from './cognito-auth.module-definition';
export type {
  CognitoAccessTokenClaims,
  CognitoAccessTokenPayload,
  CognitoClaimName,
  CognitoIdTokenClaims,
  CognitoIdTokenPayload,
  CognitoJwtClaims,
  CognitoJwtPayload,
  CognitoMachineTokenPayload,
  CognitoStandardClaim,
  CognitoTokenUse,
} from './cognito-jwt-payload.interface';
export { isAccessToken, isIdToken, isMachineToken } from './cognito-token-type-guards';
export { CognitoUser } from './cognito-user.decorator';
export { CognitoGuard } from './cognito.guard';
export * from './errors';
export { Groups, GROUPS_METADATA, type GroupsRule } from './groups.decorator';
export { HandshakeRequest } from './handshake-request';
export { ProhibitedGroups, PROHIBITED_GROUPS_METADATA } from './prohibited-groups.decorator';
export { Public, type PublicOptions } from './public.decorator';
export * from './alb';
export * from './revocation';
export { Scopes, SCOPES_METADATA, type ScopesRule } from './scopes.decorator';
export type { CognitoTenantQuery, CognitoTenantResolver } from './tenant-resolver';
export { TokenUse, TOKEN_USE_METADATA } from './token-use.decorator';
export type { CognitoTokenExtractor, CognitoTokenSources } from './token-extractor';
export { UserPool, USER_POOL_METADATA } from './user-pool.decorator';
export { VerifyHookRejectedError, type CognitoVerifyHook } from './verify-hook';
