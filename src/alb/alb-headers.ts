/** The headers an ALB's `authenticate-cognito` (or `authenticate-oidc`) action adds to each request. */
export const ALB_HEADERS = Object.freeze({
  /** The user's claims, signed by the load balancer (ES256). */
  data: 'x-amzn-oidc-data',
  /** The `sub`, unsigned: only compared with the verified one, never trusted alone. */
  identity: 'x-amzn-oidc-identity',
  /** The access token from the identity provider (Cognito's). */
  accessToken: 'x-amzn-oidc-accesstoken',
});

/** A request header as one string; `null` when absent, empty or repeated. */
export function albHeader(request: unknown, name: string): string | null {
  const value = (request as { headers?: Record<string, unknown> } | undefined)?.headers?.[name];
  return typeof value === 'string' && value.length > 0 ? value : null;
}
