import { verify as verifySignature, type KeyObject } from 'node:crypto';
import {
  AlgorithmNotAllowedError,
  InvalidSignatureError,
  JwtExpiredError,
  JwtNotYetValidError,
  KidNotFoundError,
  TokenMalformedError,
  UnsupportedHeaderError,
} from '../errors';

/** The one algorithm an ALB signs `x-amzn-oidc-data` with: ECDSA P-256 with SHA-256. */
export const ALB_JWT_ALGORITHM = 'ES256';

/** The shape of an ALB key id: a UUID. Nothing else is ever put into a key URL. */
const ALB_KID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An ALB data token, decoded but NOT verified. */
export interface DecodedAlbToken {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly kid: string;
}

/**
 * Splits and parses an `x-amzn-oidc-data` token. ALB writes each segment in base64url but keeps the
 * `=` padding, and signs the padded text, so the padding cannot be dropped (the signature would no
 * longer match) and a strict JWT decoder refuses the token. Accepted here, on this path only: each
 * segment is canonical base64url followed by exactly the padding that completes its last quantum,
 * either on every segment (ALB's spelling; the 64-byte signature always has `==`) or on none
 * (standard JWT). Mixed spellings are refused, so one token has one spelling.
 * @throws TokenMalformedError, AlgorithmNotAllowedError, UnsupportedHeaderError, KidNotFoundError
 */
export function decodeAlbToken(token: string): DecodedAlbToken {
  const segments = token.split('.');
  if (segments.length !== 3) throw new TokenMalformedError();
  const padded = segments[2]!.endsWith('=');
  for (const segment of segments) {
    if (!isCanonicalSegment(segment, padded)) throw new TokenMalformedError();
  }
  const header = jsonObject(segments[0]!);
  const payload = jsonObject(segments[1]!);
  if (header.alg !== ALB_JWT_ALGORITHM) throw new AlgorithmNotAllowedError();
  if (Object.hasOwn(header, 'crit')) throw new UnsupportedHeaderError();
  const kid = header.kid;
  // The kid goes into the key URL: only a UUID, so no path, query or host can be smuggled in.
  if (typeof kid !== 'string' || !ALB_KID.test(kid)) throw new KidNotFoundError();
  return { header, payload, kid };
}

/**
 * Verifies the ES256 signature over the exact text the load balancer signed (padding included), with
 * Node's crypto (OpenSSL), as jsonwebtoken's jwa does for ES256, and checks `exp` and `nbf`. jsonwebtoken
 * itself cannot take this token: its decoder (jws) refuses any `=` by regular expression before it
 * looks at the signature.
 * @returns the payload
 * @throws InvalidSignatureError, JwtExpiredError, JwtNotYetValidError, TokenMalformedError
 */
export function verifyAlbToken(token: string, key: KeyObject, clockToleranceSeconds: number): Record<string, unknown> {
  const { payload } = decodeAlbToken(token);
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  // JOSE's form of an ES256 signature: r and s, 32 bytes each (RFC 7518 §3.4).
  if (signature.length !== 64) throw new InvalidSignatureError();
  const valid = verifySignature(
    'sha256',
    Buffer.from(token.slice(0, dot), 'ascii'),
    { key, dsaEncoding: 'ieee-p1363' },
    signature,
  );
  if (!valid) throw new InvalidSignatureError();
  const now = Date.now() / 1000;
  const { exp, nbf } = payload;
  if (typeof exp === 'number' && now >= exp + clockToleranceSeconds) throw new JwtExpiredError();
  if (typeof nbf === 'number' && now < nbf - clockToleranceSeconds) throw new JwtNotYetValidError();
  return payload;
}

// 64 = not in the base64url alphabet.
const ALPHABET = new Uint8Array(128).fill(64);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) {
  ALPHABET[c.charCodeAt(0)] = i;
}

/**
 * Whether `segment` is base64url in one spelling: alphabet only, zero spare bits in the last
 * character, and, when `padded`, exactly the `=` that make its length a multiple of 4 (none when it
 * already is); when not, no `=` at all.
 */
function isCanonicalSegment(segment: string, padded: boolean): boolean {
  let end = segment.length;
  while (end > 0 && segment.charCodeAt(end - 1) === 61 /* = */) end--;
  const padding = segment.length - end;
  if (end === 0 || end % 4 === 1) return false;
  if (padded ? padding !== (4 - (end % 4)) % 4 : padding !== 0) return false;
  let last = 0;
  for (let i = 0; i < end; i++) {
    const code = segment.charCodeAt(i);
    last = code < 128 ? ALPHABET[code]! : 64;
    if (last === 64) return false;
  }
  const spare = end % 4 === 2 ? 0b1111 : end % 4 === 3 ? 0b11 : 0;
  return (last & spare) === 0;
}

function jsonObject(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new TokenMalformedError({ cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenMalformedError();
  return value as Record<string, unknown>;
}
