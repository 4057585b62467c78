/**
 * The user pool every contender trusts during a benchmark: one RSA-2048 key made per run, its JWKS
 * served on 127.0.0.1 over HTTP (our module, jwks-rsa) and HTTPS with a self-signed certificate
 * (aws-jwt-verify fetches over HTTPS only), and Cognito-shaped access tokens signed with it.
 *
 * It is the benchmark's own, not `nest-cognito-auth/testing`, because tokens are signed by the
 * thousand in worker threads (see token-signer.mjs), which need the private key, and because the
 * harness counts JWKS fetches per endpoint.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const USER_POOL_ID = 'us-east-1_BenchPool1';
export const CLIENT_ID = 'bench-client-id';
/** What our module derives from USER_POOL_ID, and what aws-jwt-verify's CognitoJwtVerifier expects. */
export const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${USER_POOL_ID}`;
/** Tokens live this long, so that a long run never sees one expire. */
export const TOKEN_LIFETIME_SECONDS = 6 * 3600;

/**
 * The claims of one access token; `jti` makes each one distinct. Each token is another user's (its own
 * `sub`), as on a real API: the verified-token cache bounds entries per user (`cache.maxEntriesPerUser`),
 * so one user holding every token would measure that bound, not the cache.
 */
export function accessTokenClaims(now = Math.floor(Date.now() / 1000)) {
  return {
    sub: randomUUID(),
    iss: ISSUER,
    client_id: CLIENT_ID,
    origin_jti: randomUUID(),
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: now,
    iat: now,
    exp: now + TOKEN_LIFETIME_SECONDS,
    jti: randomUUID(),
    username: 'bench-user',
  };
}

/** `header.payload.signature` with RS256. `privateKey` is a KeyObject. */
export function signToken(headerB64, claims, privateKey) {
  const input = `${headerB64}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

export function encodedHeader(kid) {
  return Buffer.from(JSON.stringify({ kid, alg: 'RS256' })).toString('base64url');
}

export class BenchIssuer {
  /** JWKS requests answered, by transport. */
  fetches = { http: 0, https: 0 };

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.kid = randomUUID();
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' });
    const { n, e } = publicKey.export({ format: 'jwk' });
    this.jwks = { keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: this.kid, n, e }] };
    this.headerB64 = encodedHeader(this.kid);
  }

  /** Starts both endpoints on free ports of 127.0.0.1. The HTTPS one needs `openssl` on PATH. */
  async start() {
    this.http = await listen(createHttpServer((req, res) => this.serve('http', req, res)));
    try {
      this.certDir = mkdtempSync(join(tmpdir(), 'bench-cert-'));
      this.certFile = join(this.certDir, 'cert.pem');
      const keyFile = join(this.certDir, 'key.pem');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          keyFile,
          '-out',
          this.certFile,
          '-days',
          '2',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
        ],
        { stdio: 'ignore' },
      );
      const options = { key: readFileSync(keyFile), cert: readFileSync(this.certFile) };
      this.https = await listen(createHttpsServer(options, (req, res) => this.serve('https', req, res)));
    } catch (error) {
      this.httpsError = `no HTTPS JWKS endpoint: ${error.message}`;
    }
    return this;
  }

  get jwksUri() {
    return `http://127.0.0.1:${this.http.address().port}/${USER_POOL_ID}/.well-known/jwks.json`;
  }

  get jwksUriHttps() {
    return this.https ? `https://127.0.0.1:${this.https.address().port}/${USER_POOL_ID}/.well-known/jwks.json` : null;
  }

  totalFetches() {
    return this.fetches.http + this.fetches.https;
  }

  /** A valid access token, signed here (for small counts; use TokenSigner for many). */
  token(claims = {}) {
    return signToken(this.headerB64, { ...accessTokenClaims(), ...claims }, this.privateKey);
  }

  /**
   * A token no verifier may accept. `kind` says what is wrong: `signature` (valid claims, random
   * signature), `iss` (another issuer, random signature), `kid` (a kid not in the JWKS), or
   * `foreign-key` (well signed, by a key that is not the pool's).
   */
  forged(kind, index = 0) {
    const claims = accessTokenClaims();
    const randomSig = randomBytes(256).toString('base64url');
    const body = (header, payload) => `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    switch (kind) {
      case 'signature':
        return `${body(this.headerB64, claims)}.${randomSig}`;
      case 'iss':
        return `${body(this.headerB64, { ...claims, iss: `https://evil.example/${index}-${randomUUID()}` })}.${randomSig}`;
      case 'kid':
        return `${body(encodedHeader(randomUUID()), claims)}.${randomSig}`;
      case 'foreign-key':
        return signToken(this.headerB64, claims, foreignKey());
      default:
        throw new Error(`unknown forgery ${kind}`);
    }
  }

  async stop() {
    await Promise.all([this.http, this.https].filter(Boolean).map(close));
    if (this.certDir) rmSync(this.certDir, { recursive: true, force: true });
  }

  serve(transport, req, res) {
    if (req.method !== 'GET' || req.url !== `/${USER_POOL_ID}/.well-known/jwks.json`) {
      res.writeHead(404).end();
      return;
    }
    this.fetches[transport]++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.jwks));
  }
}

let foreign;
function foreignKey() {
  foreign ??= createPrivateKey(
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
  );
  return foreign;
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
