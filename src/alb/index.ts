export type { CognitoAlbOptions } from './alb-options';
export { albKeyEndpoint } from './alb-options';
export type { AlbUserClaims } from './alb.strategy';
export { ALB_HEADERS } from './alb-headers';
export { CognitoAlbVerifier } from './cognito-alb-verifier';
