export { CognitoTestIssuer } from './cognito-test-issuer';
export type { CognitoTestIssuerOptions, JwksFault, TestKeyOptions, TestTokenOptions } from './cognito-test-issuer';
