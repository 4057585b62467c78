export { CognitoTestIssuer } from './cognito-test-issuer';
export type {
  CognitoTestIssuerOptions,
  JwksAnswer,
  JwksFault,
  TestKeyOptions,
  TestTokenOptions,
} from './cognito-test-issuer';
export { overrideCognitoAuth, type OverridableTestingModuleBuilder } from './override-cognito-auth';
export { CognitoAlbTestIssuer } from './alb-test-issuer';
export type { AlbKeyFault, AlbTestIssuerOptions, AlbTokenOptions } from './alb-test-issuer';
