export { CognitoTestIssuer } from './cognito-test-issuer';
export type { CognitoTestIssuerOptions, JwksFault, TestTokenOptions } from './cognito-test-issuer';
