/**
 * `nest-cognito-auth/terminus`: a `@nestjs/terminus` health indicator of the pools' signing keys. A
 * separate entry point, so apps without `@nestjs/terminus` (an optional peer) never load it.
 */
export { CognitoHealthIndicator, type CognitoKeySetIndicatorData } from './cognito-health.indicator';
