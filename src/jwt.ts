import { COGNITO_JWT_ALGORITHM } from './cognito-auth.constants';
import {
  AlgorithmNotAllowedError,
  JwtClaimInvalidError,
  KidNotFoundError,
  TokenMalformedError,
  UnsupportedHeaderError,
} from './errors';

/** Header and payload of a JWT, decoded but NOT verified: for routing checks before any key is fetched. */
export interface DecodedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The header's `kid`: a non-empty string. */
  readonly kid: string;
}

/**
 * Splits a compact JWS, checks that it is written in its one canonical spelling and parses its header
 * and payload. The signature is checked by jsonwebtoken (through passport-jwt) once the key is known.
 *
 * Canonical: three non-empty base64url segments with no padding, no character outside the alphabet and
 * no non-zero spare bits in the last character. Node's decoder is lenient about all three, so without
 * this one token would have many spellings, and anything keyed on the token string (the verified-token
 * cache, a deny-list) could be sidestepped by respelling it.
 * @throws TokenMalformedError, AlgorithmNotAllowedError, UnsupportedHeaderError, KidNotFoundError
 */
export function decodeJwt(token: string): DecodedJwt {
  const dots = canonicalDots(token);
  if (dots === undefined) throw new TokenMalformedError();
  const header = jsonObject(token, 0, dots.first);
  const payload = jsonObject(token, dots.first + 1, dots.second);
  if (header === undefined || payload === undefined) throw new TokenMalformedError();

  // The header is attacker-chosen: read only own properties, and never use jku, x5u, x5c or jwk to find
  // a key (the pool's JWKS is the only source), so they are simply ignored.
  if (header.alg !== COGNITO_JWT_ALGORITHM) throw new AlgorithmNotAllowedError();
  if (Object.hasOwn(header, 'crit')) throw new UnsupportedHeaderError();
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length === 0) throw new KidNotFoundError();
  return { header, payload, kid };
}

/**
 * The `kid` of a token whose spelling and header `decodeJwt` accepts, without parsing its payload;
 * `undefined` for any token `decodeJwt` would refuse for its spelling or header (it then says why, in
 * its order). For the key lookup of a token whose issuer jsonwebtoken checks after the signature: the
 * payload is then parsed once, by jsonwebtoken, not twice.
 */
export function peekKid(token: string): string | undefined {
  const dots = canonicalDots(token);
  if (dots === undefined) return undefined;
  // A pool signs every token of a key under the same header: its kid is read from the memo, not
  // decoded and parsed again on each request.
  const segment = token.slice(0, dots.first);
  const known = headerKids.get(segment);
  if (known !== undefined) return known;
  const header = jsonObject(token, 0, dots.first);
  if (header === undefined || header.alg !== COGNITO_JWT_ALGORITHM || Object.hasOwn(header, 'crit')) return undefined;
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length === 0) return undefined;
  if (segment.length <= MAX_MEMO_HEADER_LENGTH) {
    // Headers are the client's to choose: the memo is emptied when full, so it stays this small
    // whatever is sent, and the pool's few headers are back in it after one request each.
    if (headerKids.size >= MAX_MEMO_HEADERS) headerKids.clear();
    // A copy: the slice would keep the whole token (and the header it was cut from) alive.
    headerKids.set(Buffer.from(segment, 'latin1').toString('latin1'), kid);
  }
  return kid;
}

/** Header segments `peekKid` accepted, with their kid: a pure function's memo. */
const headerKids = new Map<string, string>();

/** How many headers `peekKid` holds in its memo (for the tests of its bound). @internal */
export function peekKidMemoSize(): number {
  return headerKids.size;
}
/** A pool has one header per key (Cognito keeps two keys); room for several pools and rotations. */
const MAX_MEMO_HEADERS = 32;
/** Cognito's header is about 80 characters; longer ones are not kept, so the memo stays a few KiB. */
const MAX_MEMO_HEADER_LENGTH = 256;

/**
 * Three non-empty segments of the base64url alphabet: no padding, no `+` or `/`, no whitespace, nothing
 * non-ASCII. One regular expression over the whole token: V8 runs it as machine code, several times
 * faster than a loop over each character (1.2 vs 5 µs measured for an 800-character token). It cannot
 * backtrack: no class includes the dot.
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Where the two dots of a canonically spelled compact JWS are, or `undefined` for any other text. */
function canonicalDots(token: string): { readonly first: number; readonly second: number } | undefined {
  if (!COMPACT_JWS.test(token)) return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  return hasCanonicalEnd(token, 0, first) &&
    hasCanonicalEnd(token, first + 1, second) &&
    hasCanonicalEnd(token, second + 1, token.length)
    ? { first, second }
    : undefined;
}

/** `token.slice(start, end)`, a segment already checked to be canonical base64url, as a JSON object, if it is one. */
function jsonObject(token: string, start: number, end: number): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token.slice(start, end), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

// Each base64url character's 6-bit value (the others are refused by COMPACT_JWS before this is read).
const ALPHABET = new Uint8Array(128);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) {
  ALPHABET[c.charCodeAt(0)] = i;
}

/**
 * Whether `text.slice(start, end)`, of base64url characters only, is base64url in its only spelling
 * (RFC 4648 §3.5: "canonical"): a length that is not 1 more than a multiple of 4, and the bits of the
 * last character that encode no byte are zero.
 */
function hasCanonicalEnd(text: string, start: number, end: number): boolean {
  const length = end - start;
  // 2 characters left over encode 1 byte (4 spare bits), 3 encode 2 bytes (2 spare bits).
  const spare = length % 4 === 2 ? 0b1111 : length % 4 === 3 ? 0b11 : 0;
  return length % 4 !== 1 && (ALPHABET[text.charCodeAt(end - 1)]! & spare) === 0;
}

/**
 * The claims Cognito defines, with the JSON type each must have when present. `exp` is required and
 * every time claim must be a finite number: `1e999` parses to Infinity and would never expire.
 * @throws JwtClaimInvalidError
 */
export function assertClaimTypes(payload: Readonly<Record<string, unknown>>): void {
  // Each claim read by name, not in a loop over names: on every verification, and a named read of
  // payloads of one shape is a cached lookup where a computed one is not.
  const { exp } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new JwtClaimInvalidError();
  if (
    !isOptionalTime(payload.nbf) ||
    !isOptionalTime(payload.iat) ||
    !isOptionalTime(payload.auth_time) ||
    !isOptionalString(payload.iss) ||
    !isOptionalString(payload.sub) ||
    !isOptionalString(payload.token_use) ||
    !isOptionalString(payload.client_id) ||
    !isOptionalString(payload.scope) ||
    !isOptionalString(payload.jti) ||
    !isOptionalString(payload.username) ||
    !isOptionalString(payload.origin_jti) ||
    !isOptionalString(payload.event_id)
  ) {
    throw new JwtClaimInvalidError();
  }
}

/** A time claim: absent, or a finite number (`1e999` parses to Infinity and would never expire). */
function isOptionalTime(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isFinite(value));
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}
