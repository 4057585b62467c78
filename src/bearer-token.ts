/**
 * Reads the token of an `Authorization: Bearer <token>` header. The scheme is matched
 * case-insensitively (RFC 7235); everything after it is returned, so a header with more than one
 * token (`Bearer a b`) yields a string that is not a JWT and is refused as malformed, where
 * passport-jwt's own extractor would silently take the first.
 * @returns the token, or null when there is no bearer credential at all.
 */
export function bearerTokenFromRequest(request: unknown): string | null {
  const header = (request as { headers?: Record<string, unknown> } | undefined)?.headers?.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer(?:[ \t]+(.*))?$/is.exec(header.trim());
  const token = match?.[1]?.trim();
  return token ? token : null;
}
