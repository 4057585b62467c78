/** Injection token of the validated, resolved options (`CognitoAuthConfig`) of one module instance. */
export const COGNITO_AUTH_CONFIG = Symbol('COGNITO_AUTH_CONFIG');

/** The only signature algorithm Cognito user pools use. */
export const COGNITO_JWT_ALGORITHM = 'RS256';
