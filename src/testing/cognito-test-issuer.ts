import {
  constants,
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  type KeyObject,
} from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { loadOrCreateKeysFile, saveKeysFile, type PersistedSigningKey } from './keys-file';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { CognitoSinglePoolOptions } from '../cognito-auth-options.interface';

/** How `CognitoTestIssuer.start()` sets up the pool it pretends to be. */
export interface CognitoTestIssuerOptions {
  /** @default 'us-east-1_TestPool1' */
  userPoolId?: string;
  /** The app client the tokens are issued to. @default 'test-client-id' */
  clientId?: string;
  /**
   * A JSON file holding the private signing keys, so tokens stay verifiable across runs (local
   * development). Read when it exists, else created with a new key (mode 0600); `rotateKeys()`
   * writes to it. Without it, a new key is made per run and never written anywhere.
   */
  keysFile?: string;
  /**
   * The port of 127.0.0.1 the JWKS is served on, part of `issuer`; a fixed one keeps the issuer
   * stable across runs. @default 0 (a free port)
   */
  port?: number;
  /**
   * `false`: do not serve the JWKS, only sign tokens for `issuer` (another process serves the same
   * `keysFile` on `port`, which must then be given). `resume()` starts serving. @default true
   */
  listen?: boolean;
  /**
   * AWS regions the pool is replicated to (Multi-Region replication). Each gets a signing key of its
   * own, its JWKS served to `awsAgent()` requests for `https://cognito-idp.<region>.amazonaws.com/…`;
   * `accessToken({ region })` signs with it. @default none
   */
  replicaRegions?: string[];
  /**
   * The pool's issuer configuration, as `awsAgent()` requests see it. `'ORIGINAL'`: the updated
   * issuer (`issuer-cognito-idp`) serves no JWKS but a 403, as Cognito does for a pool that has not
   * opted into it (aws-jwt-verify#279). `'UPDATED'`: it serves every region's keys (updated issuers
   * host the same JWKS in every region). @default 'UPDATED'
   */
  issuerConfiguration?: 'ORIGINAL' | 'UPDATED';
}

/** What a token of `accessToken()` / `idToken()` says about its user. */
export interface TestTokenOptions {
  /** `cognito:groups`. Omitted when not given. */
  groups?: string[];
  /** Access tokens: `scope`, space-separated or as a list. @default 'openid' */
  scope?: string | string[];
  /** Seconds until `exp`; negative for an expired token. @default 3600 */
  expiresIn?: number;
  /** Claims to add or override; a claim set to `undefined` is removed. */
  claims?: Record<string, unknown>;
  /** Header fields to add or override (`kid`, `alg`); a field set to `undefined` is removed. */
  header?: Record<string, unknown>;
  /**
   * Issue the token as the pool's endpoint in this AWS region (a Multi-Region replica, or the
   * primary region): signed with that region's key, `iss` in AWS's spelling for it (see
   * `issuerFormat`). Keys of a region not in `replicaRegions` are made on first use.
   * @default the loopback `issuer`, the current key
   */
  region?: string;
  /**
   * `iss` in AWS's spelling instead of the loopback `issuer`: `'original'` is
   * `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` (`region`, or the pool's primary
   * region), `'updated'` is `https://issuer-cognito-idp.<primary region>.amazonaws.com/<userPoolId>`,
   * whatever region issues it. Verify such tokens through `awsAgent()`.
   * @default 'original' when `region` is given, else the loopback `issuer`
   */
  issuerFormat?: 'original' | 'updated';
}

/** A fault the JWKS endpoint simulates, for testing how an app answers when keys cannot be fetched. */
export type JwksFault =
  /** HTTP 500 */
  | 'status-500'
  /** 200 with an HTML body */
  | 'not-json'
  /** the connection is reset before any answer */
  | 'reset'
  /** headers are sent, then nothing more: only a deadline ends the request */
  | 'hang'
  /** 200 with `{"keys":[]}` */
  | 'empty-keys'
  /** headers after 10 s: only a deadline ends the request */
  | 'slow'
  /** 200 and a valid JWKS, one byte every 50 ms: a deadline that only counts idle time never fires */
  | 'drip'
  /** 200 with a 2 MiB JSON body */
  | 'huge';

/** What the JWKS endpoint answers instead of the JWKS, for `simulateJwksAnswer()`. */
export interface JwksAnswer {
  /** @default 200 */
  status?: number;
  /** Headers to send, e.g. `{ 'retry-after': '30' }`. `content-type` is `application/json` unless given. */
  headers?: Record<string, string>;
  /** A string is sent as it is, anything else as JSON. @default the JWKS as served */
  body?: unknown;
}

/** The key `rotateKeys()` makes. */
export interface TestKeyOptions {
  /** Drop the keys served so far from the JWKS. */
  dropPrevious?: boolean;
  /** `'ec'` makes a P-256 key (tokens are still signed as the header's `alg` says). @default 'rsa' */
  type?: 'rsa' | 'ec';
  /** RSA modulus length in bits. @default 2048 */
  modulusLength?: number;
  /** RSA public exponent. @default 65537 */
  publicExponent?: number;
  /** The key's `kid`, e.g. one another issuer also uses. @default a random UUID */
  kid?: string;
  /** Fields to add to or override in the served JWK (`use`, `alg`, `kty`…); `undefined` removes one. */
  jwk?: Record<string, unknown>;
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

/**
 * A stand-in Cognito user pool for tests and local development: an RSA-2048 key made per run, its
 * JWKS served on 127.0.0.1, and tokens shaped like Cognito's, signed with it. No AWS account, no
 * network beyond loopback.
 * @example
 * ```ts
 * const issuer = await CognitoTestIssuer.start();
 * const moduleRef = await Test.createTestingModule({
 *   imports: [CognitoAuthModule.forRoot(issuer.moduleOptions())],
 *   controllers: [MyController],
 * }).compile();
 * // ...
 * await request(app.getHttpServer()).get('/me').auth(issuer.accessToken({ groups: ['admin'] }), { type: 'bearer' });
 * await issuer.stop();
 * ```
 */
export class CognitoTestIssuer {
  /** How many times the JWKS has been requested, faults included. */
  jwksRequests = 0;
  /** Each JWKS request's URL as the client asked for it (`https://cognito-idp.…` through `awsAgent()`). */
  readonly jwksRequestedUrls: string[] = [];
  private keys: SigningKey[] = [];
  /** The issuer whose server this one's JWKS is served by (itself, unless made by `forPool()`). */
  private root: CognitoTestIssuer = this;
  /** The pools of `forPool()`, by pool id (on the root issuer). */
  private readonly pools = new Map<string, CognitoTestIssuer>();
  /** The replica regions' signing keys. */
  private readonly regionKeys = new Map<string, SigningKey>();
  private issuerConfiguration: 'ORIGINAL' | 'UPDATED' = 'UPDATED';
  private keysFile: string | undefined;
  private fault: JwksFault | null = null;
  private answer: JwksAnswer | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly userPoolId: string,
    readonly clientId: string,
    private readonly server: Server,
    private port: number,
  ) {}

  /**
   * Generates a key (or loads `keysFile`) and starts serving its JWKS on 127.0.0.1 (a free port
   * unless `port` is given).
   * @throws Error when `keysFile` cannot be read or is not a keys file, or `listen: false` comes
   * without a `port`.
   */
  static async start(options: CognitoTestIssuerOptions = {}): Promise<CognitoTestIssuer> {
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`CognitoTestIssuer option "port" must be a whole number from 0 to 65535, got ${port}`);
    }
    if (options.listen === false && port === 0) {
      throw new Error('CognitoTestIssuer option "listen: false" needs a "port": the issuer URL contains it');
    }
    const server = createServer();
    const issuer = new CognitoTestIssuer(
      options.userPoolId ?? 'us-east-1_TestPool1',
      options.clientId ?? 'test-client-id',
      server,
      port,
    );
    issuer.keysFile = options.keysFile;
    issuer.issuerConfiguration = options.issuerConfiguration ?? 'UPDATED';
    for (const region of options.replicaRegions ?? []) issuer.regionKey(region);
    issuer.keys = options.keysFile
      ? loadOrCreateKeysFile(options.keysFile, createSigningKey).map(fromPersisted)
      : [createSigningKey()];
    server.on('request', (request, response) => issuer.serve(request, response));
    server.on('connection', (socket) => {
      issuer.sockets.add(socket);
      socket.on('close', () => issuer.sockets.delete(socket));
    });
    if (options.listen !== false) await issuer.listen(port);
    return issuer;
  }

  /** `http://127.0.0.1:<port>/<userPoolId>`: the `iss` of the tokens. */
  get issuer(): string {
    return `http://127.0.0.1:${this.root.port}/${this.userPoolId}`;
  }

  /**
   * Another pool served by this issuer's server, on the same port: its own pool id, client and
   * signing key, its JWKS at `http://127.0.0.1:<port>/<userPoolId>/.well-known/jwks.json`. For tests of
   * many tenants (`tenants` option) without a server each. The same object for the same pool id;
   * `stop()`, `suspend()` and `resume()` act on the shared server.
   * @example const tenants = ['us-east-1_Tenant001', 'us-east-1_Tenant002'].map((id) => issuer.forPool(id));
   */
  forPool(userPoolId: string, clientId = this.clientId): CognitoTestIssuer {
    if (userPoolId === this.root.userPoolId) return this.root;
    let pool = this.root.pools.get(userPoolId);
    if (pool === undefined) {
      pool = new CognitoTestIssuer(userPoolId, clientId, this.root.server, this.root.port);
      pool.root = this.root;
      pool.keys = [createSigningKey()];
      this.root.pools.set(userPoolId, pool);
    }
    return pool;
  }

  /** `<issuer>/.well-known/jwks.json`, where the public keys are served. */
  get jwksUri(): string {
    return `${this.issuer}/.well-known/jwks.json`;
  }

  /** The AWS region in the pool id (`us-east-1` for `us-east-1_TestPool1`). */
  get primaryRegion(): string {
    return this.userPoolId.slice(0, this.userPoolId.lastIndexOf('_'));
  }

  /**
   * The pool's issuer in AWS's spelling: `original`, `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`
   * (region defaults to the primary one), or `updated`, `https://issuer-cognito-idp.<primary region>.amazonaws.com/<userPoolId>`.
   */
  awsIssuer(format: 'original' | 'updated' = 'original', region = this.primaryRegion): string {
    return format === 'updated'
      ? `https://issuer-cognito-idp.${this.primaryRegion}.amazonaws.com/${this.userPoolId}`
      : `https://cognito-idp.${region}.amazonaws.com/${this.userPoolId}`;
  }

  /**
   * An agent for `jwks.agent` that sends every JWKS request to this issuer on 127.0.0.1, in plain
   * HTTP, whatever the URL's host: the module can then fetch the JWKS URIs it derives from a real
   * pool id (`https://cognito-idp.<region>.amazonaws.com/…`, replica regions, the updated issuer)
   * with no network. The issuer answers by the request's `Host`: each region's own keys, the updated
   * issuer with every region's keys (or a 403, see `issuerConfiguration`), 404 for a region the pool
   * is not in.
   * @example CognitoAuthModule.forRoot({ userPoolId: issuer.userPoolId, clientId: issuer.clientId, jwks: { agent: issuer.awsAgent() } })
   */
  awsAgent(): HttpsAgent {
    return new LoopbackAgent(() => this.port);
  }

  /** The `kid` new tokens are signed with. */
  get currentKid(): string {
    return this.currentKey().kid;
  }

  /** Options for `CognitoAuthModule.forRoot()` that trust this issuer, merged with `overrides`. */
  moduleOptions(overrides: Partial<CognitoSinglePoolOptions> = {}): CognitoSinglePoolOptions {
    return { userPoolId: this.userPoolId, clientId: this.clientId, issuer: this.issuer, ...overrides };
  }

  /** A signed access token (`token_use: "access"`, `client_id`, `scope`, `username`). */
  accessToken(options: TestTokenOptions = {}): string {
    const scope = Array.isArray(options.scope) ? options.scope.join(' ') : (options.scope ?? 'openid');
    return this.token(options, {
      token_use: 'access',
      client_id: this.clientId,
      scope,
      username: 'test-user',
      version: 2,
    });
  }

  /** A signed id token (`token_use: "id"`, `aud`, `cognito:username`, `email`). */
  idToken(options: TestTokenOptions = {}): string {
    return this.token(options, {
      token_use: 'id',
      aud: this.clientId,
      'cognito:username': 'test-user',
      email: 'test-user@example.com',
      email_verified: true,
    });
  }

  /**
   * Signs any payload as-is with the current key, for tokens no Cognito pool would issue (attack
   * tests). `header` fields are merged over `{ kid, alg: 'RS256' }`, and the signature follows the
   * header's `alg`: `RS256`/`RS384`/`RS512` and `PS256`/`PS384`/`PS512` with the private key,
   * `HS256`/`HS384`/`HS512` with the public key's PEM as the HMAC secret (the key-confusion attack),
   * `none` with an empty signature.
   * @throws Error for any other `alg`.
   */
  sign(payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
    return this.signWith(this.currentKey(), payload, header);
  }

  private signWith(key: SigningKey, payload: Record<string, unknown>, header: Record<string, unknown>): string {
    const fullHeader = withoutUndefined({ kid: key.kid, alg: 'RS256', ...header });
    const input = `${base64url(fullHeader)}.${base64url(payload)}`;
    return `${input}.${signature(String(fullHeader.alg), input, key.privateKey).toString('base64url')}`;
  }

  /**
   * Signs header and payload given as JSON text, byte for byte, with the current key and the header's
   * `alg` (as `sign()` does): for payloads `JSON.stringify` cannot write, such as `1e999` or duplicate keys.
   */
  signJson(headerJson: string, payloadJson: string): string {
    const alg = String((JSON.parse(headerJson) as { alg?: unknown }).alg);
    const input = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(payloadJson).toString('base64url')}`;
    return `${input}.${signature(alg, input, this.currentKey().privateKey).toString('base64url')}`;
  }

  /**
   * Makes a new signing key, as Cognito does when it rotates: new tokens carry its `kid`. The old
   * key stays in the JWKS unless `dropPrevious` is set.
   * @returns the new `kid`.
   */
  rotateKeys(options: TestKeyOptions = {}): string {
    const key = createSigningKey(options);
    this.keys = options.dropPrevious ? [key] : [...this.keys, key];
    if (this.keysFile) saveKeysFile(this.keysFile, this.keys);
    return key.kid;
  }

  /** The JWKS as served. */
  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: this.keys.map((key) => key.jwk) };
  }

  /** Makes the JWKS endpoint fail in the given way until `clearJwksFault()`. */
  simulateJwksFault(fault: JwksFault): void {
    this.fault = fault;
    this.answer = null;
  }

  /**
   * Makes the JWKS endpoint give this answer until `clearJwksFault()`: a status with headers such as
   * `Retry-After`, or a body of your own (a JWKS with odd entries, an oversized one).
   * @example issuer.simulateJwksAnswer({ status: 429, headers: { 'retry-after': '30' } })
   */
  simulateJwksAnswer(answer: JwksAnswer): void {
    this.answer = answer;
    this.fault = null;
  }

  /** Serves the JWKS again after `simulateJwksFault()` or `simulateJwksAnswer()`. */
  clearJwksFault(): void {
    this.fault = null;
    this.answer = null;
  }

  /** Stops listening, as a pool whose endpoint is down: connections are refused until `resume()`. */
  async suspend(): Promise<void> {
    await this.root.close();
  }

  /** Listens again on the same port after `suspend()`. */
  async resume(): Promise<void> {
    await this.root.listen(this.root.port);
  }

  /** Stops the JWKS server and drops its connections. */
  async stop(): Promise<void> {
    await this.root.close();
  }

  private token(options: TestTokenOptions, kindClaims: Record<string, unknown>): string {
    const now = Math.floor(Date.now() / 1000);
    const { region } = options;
    const format = options.issuerFormat ?? (region === undefined ? undefined : 'original');
    const payload: Record<string, unknown> = {
      sub: 'a1b2c3d4-0000-4000-8000-000000000001',
      iss: format === undefined ? this.issuer : this.awsIssuer(format, region),
      ...kindClaims,
      auth_time: now,
      iat: now,
      exp: now + (options.expiresIn ?? 3600),
      jti: randomUUID(),
      origin_jti: randomUUID(),
      ...(options.groups ? { 'cognito:groups': options.groups } : {}),
      ...options.claims,
    };
    const key = region === undefined || region === this.primaryRegion ? this.currentKey() : this.regionKey(region);
    return this.signWith(key, withoutUndefined(payload), options.header ?? {});
  }

  /** The signing key of a replica region, made on first use. */
  private regionKey(region: string): SigningKey {
    let key = this.regionKeys.get(region);
    if (key === undefined) {
      key = createSigningKey();
      this.regionKeys.set(region, key);
    }
    return key;
  }

  /**
   * What the JWKS endpoint serves for the request's `Host`: the loopback issuer and the primary
   * region the pool's keys, a replica region its own, the updated issuer every region's; null for a
   * host of the updated issuer of an ORIGINAL pool (403), undefined for a region the pool is not in.
   */
  private jwksFor(host: string | undefined): { keys: Record<string, unknown>[] } | null | undefined {
    const aws = /^(issuer-)?cognito-idp\.([a-z0-9-]+)\.amazonaws\.com$/.exec(host ?? '');
    if (aws === null) return this.jwks();
    const [, updated, region] = aws;
    if (updated) {
      if (region !== this.primaryRegion) return undefined;
      if (this.issuerConfiguration === 'ORIGINAL') return null;
      return { keys: [...this.jwks().keys, ...[...this.regionKeys.values()].map((key) => key.jwk)] };
    }
    if (region === this.primaryRegion) return this.jwks();
    const key = this.regionKeys.get(region!);
    return key && { keys: [key.jwk] };
  }

  private currentKey(): SigningKey {
    return this.keys[this.keys.length - 1]!;
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    const poolId = /^\/([^/]+)\/\.well-known\/jwks\.json$/.exec(request.url ?? '')?.[1];
    const target = poolId === this.userPoolId ? this : poolId === undefined ? undefined : this.pools.get(poolId);
    if (request.method !== 'GET' || target === undefined) {
      response.writeHead(404).end();
      return;
    }
    target.serveJwks(request, response);
  }

  private serveJwks(request: IncomingMessage, response: ServerResponse): void {
    this.jwksRequests++;
    const host = request.headers.host?.replace(/:\d+$/, '');
    this.jwksRequestedUrls.push(`${host?.endsWith('.amazonaws.com') ? 'https' : 'http'}://${host}${request.url}`);
    const served = this.jwksFor(host);
    if (served === null) {
      response.writeHead(403, { 'content-type': 'application/json' }).end('{"message":"Forbidden"}');
      return;
    }
    if (served === undefined) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"User pool not found"}');
      return;
    }
    if (this.answer !== null) {
      const { status = 200, headers = {}, body = this.jwks() } = this.answer;
      response
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(typeof body === 'string' ? body : JSON.stringify(body));
      return;
    }
    switch (this.fault) {
      case 'status-500':
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"boom"}');
        return;
      case 'not-json':
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return;
      case 'reset':
        request.socket.resetAndDestroy();
        return;
      case 'empty-keys':
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
        return;
      case 'hang':
        response.writeHead(200, { 'content-type': 'application/json' });
        response.flushHeaders();
        return;
      case 'slow': {
        const timer = setTimeout(() => response.writeHead(200).end(JSON.stringify(this.jwks())), 10_000);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      case 'drip': {
        const body = Buffer.from(JSON.stringify(this.jwks()));
        response.writeHead(200, { 'content-type': 'application/json' });
        let sent = 0;
        const timer = setInterval(() => {
          response.write(body.subarray(sent, ++sent));
          if (sent === body.length) {
            clearInterval(timer);
            response.end();
          }
        }, 50);
        response.on('close', () => clearInterval(timer));
        return;
      }
      case 'huge': {
        const filler = 'x'.repeat(2 * 1024 * 1024);
        response.writeHead(200, { 'content-type': 'application/json' }).end(`{"keys":[],"filler":"${filler}"}`);
        return;
      }
      default:
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    }
  }

  private listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }
}

/**
 * An HTTPS agent whose connections go to 127.0.0.1 in plain TCP: the request is written as it would be
 * to the real host (its `Host` header included) and answered by the test issuer.
 */
class LoopbackAgent extends HttpsAgent {
  constructor(private readonly port: () => number) {
    super({ keepAlive: false });
  }

  override createConnection(): Socket {
    return connect(this.port(), '127.0.0.1');
  }
}

function createSigningKey(options: TestKeyOptions = {}): SigningKey {
  const kid = options.kid ?? randomUUID();
  if (options.type === 'ec') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid, ...options.jwk };
    return { kid, privateKey, jwk: withoutUndefined(jwk) };
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: options.modulusLength ?? 2048,
    publicExponent: options.publicExponent ?? 65537,
  });
  const { n, e } = publicKey.export({ format: 'jwk' });
  return {
    kid,
    privateKey,
    jwk: withoutUndefined({ kty: 'RSA', alg: 'RS256', use: 'sig', kid, n, e, ...options.jwk }),
  };
}

function signature(alg: string, input: string, privateKey: KeyObject): Buffer {
  const bits = alg.slice(2);
  if (alg === 'none') return Buffer.alloc(0);
  if (!['256', '384', '512'].includes(bits)) throw new Error(`CognitoTestIssuer cannot sign with alg ${alg}`);
  const hash = `sha${bits}`;
  const data = Buffer.from(input);
  switch (alg.slice(0, 2)) {
    case 'RS':
      return sign(hash, data, privateKey);
    case 'PS':
      return sign(hash, data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING });
    case 'HS':
      return createHmac(hash, createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }))
        .update(data)
        .digest();
    default:
      throw new Error(`CognitoTestIssuer cannot sign with alg ${alg}`);
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function withoutUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

/** A key read from a keys file, served as `createSigningKey()` serves a new RSA key. */
function fromPersisted({ kid, privateKey }: PersistedSigningKey): SigningKey {
  const { n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  return { kid, privateKey, jwk: { kty: 'RSA', alg: 'RS256', use: 'sig', kid, n, e } };
}
