export type {
  CognitoAuthModuleOptions,
  CognitoJwksOptions,
  CognitoTokenCacheOptions,
} from './cognito-auth-options.interface';
export type { CognitoAuthConfig } from './cognito-auth.config';
export { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';
export { CognitoAuthModule } from './cognito-auth.module';
export type { CognitoAuthModuleExtras } from './cognito-auth.module-definition';
export type {
  CognitoAccessTokenPayload,
  CognitoIdTokenPayload,
  CognitoJwtClaims,
  CognitoJwtPayload,
  CognitoTokenUse,
} from './cognito-jwt-payload.interface';
export { CognitoUser } from './cognito-user.decorator';
export { CognitoGuard } from './cognito.guard';
export * from './errors';
export { Groups, GROUPS_METADATA } from './groups.decorator';
export { Public } from './public.decorator';
export { Scopes, SCOPES_METADATA } from './scopes.decorator';
export { TokenUse, TOKEN_USE_METADATA } from './token-use.decorator';
