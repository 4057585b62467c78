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
  // What /^Bearer(?:[ \t]+(.*))?$/is matches on the trimmed header, read without a regular
  // expression: it runs on every request, over a header of one to four KiB.
  const text = header.trim();
  if (text.length <= SCHEME.length || !startsWithScheme(text)) return null;
  let start = SCHEME.length;
  while (start < text.length && isBlank(text.charCodeAt(start))) start++;
  // The scheme must be followed by a space or a tab ("Bearerx" is another scheme).
  if (start === SCHEME.length) return null;
  const token = text.slice(start).trim();
  return token ? token : null;
}

const SCHEME = 'bearer';

function startsWithScheme(text: string): boolean {
  for (let i = 0; i < SCHEME.length; i++) {
    // ASCII letters only: setting bit 5 lower-cases A-Z and leaves a-z as they are.
    if ((text.charCodeAt(i) | 0x20) !== SCHEME.charCodeAt(i)) return false;
  }
  return true;
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
