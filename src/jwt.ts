import { TokenMalformedError } from './errors';

/** Header and payload of a JWT, decoded but NOT verified: for routing checks before any key is fetched. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// An empty signature is a shape jsonwebtoken refuses itself; letting it through here means an
// `alg: "none"` token is refused for its algorithm, the more useful reason.
const SIGNATURE = /^[A-Za-z0-9_-]*$/;

/**
 * Splits a compact JWS and parses its header and payload. Only the shape is checked here; the
 * signature is checked by jsonwebtoken (through passport-jwt) once the key is known.
 * @throws TokenMalformedError when there are not three base64url segments or header/payload are not JSON objects.
 */
export function decodeJwt(token: string): DecodedJwt {
  const segments = token.split('.');
  // Node's base64url decoder skips characters outside the alphabet, so check the alphabet first:
  // otherwise "a.b.c extra" would decode as if it were "a.b.cextra".
  const [header, payload, signature] = segments;
  if (
    segments.length !== 3 ||
    !SEGMENT.test(header!) ||
    !SEGMENT.test(payload!) ||
    !SIGNATURE.test(signature!)
  ) {
    throw new TokenMalformedError();
  }
  return { header: jsonObject(header!), payload: jsonObject(payload!) };
}

function jsonObject(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new TokenMalformedError({ cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenMalformedError();
  }
  return value as Record<string, unknown>;
}
