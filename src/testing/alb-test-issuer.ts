import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How `CognitoAlbTestIssuer.start()` sets up the load balancer it pretends to be. */
export interface AlbTestIssuerOptions {
  /**
   * The `iss` of the data tokens, in their header and their payload: the issuer of the user pool
   * the load balancer signs users in with, e.g. a `CognitoTestIssuer`'s `issuer`. Required.
   */
  issuer: string;
  /** The app client the load balancer signs users in through (the header's `client`). @default 'test-client-id' */
  clientId?: string;
  /** The AWS region of the load balancer, part of its default ARN. @default 'us-east-1' */
  region?: string;
  /**
   * The load balancer's ARN (the header's `signer`).
   * @default `arn:<partition>:elasticloadbalancing:<region>:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188`,
   * the partition being `aws`, or `aws-us-gov` for a `us-gov-` region and `aws-cn` for a `cn-` one
   */
  loadBalancerArn?: string;
}

/** A fault the key endpoint simulates, for testing how an app answers when the ALB's keys cannot be fetched. */
export type AlbKeyFault =
  /** HTTP 500 */
  | 'status-500'
  /** HTTP 503 with `Retry-After: 2` */
  | 'status-503'
  /** the connection is reset before any answer */
  | 'reset'
  /** headers are sent, then nothing more: only a deadline ends the request */
  | 'hang'
  /** 200 with a 2 MiB body that starts like a PEM: only a size cap ends it */
  | 'huge'
  /** 302 to the URL of another kid: only a client that follows redirects makes a second request */
  | 'redirect'
  /** 200 with an HTML body */
  | 'not-pem'
  /** 200 with a valid PEM of an RSA public key instead of the P-256 one */
  | 'rsa-key';

/** What a data token of `dataToken()` / `headers()` says, and how it is made. */
export interface AlbTokenOptions {
  /** The user's `sub` (also `x-amzn-oidc-identity` in `headers()`). @default 'alb-user-1' */
  sub?: string;
  /** Payload claims to add or override over the userinfo defaults; a claim set to `undefined` is removed. */
  claims?: Record<string, unknown>;
  /** Seconds from now to `exp` (header and payload); negative for an expired token. @default 120 */
  expiresIn?: number;
  /** Leave `exp` out of both the header and the payload. */
  omitExp?: boolean;
  /** The header's `signer`. @default the issuer's `loadBalancerArn` */
  signer?: string;
  /** The header's `client`. @default the issuer's `clientId` */
  client?: string;
  /**
   * The `iss` of the header and of the payload (ALB writes the same one in both; `header.iss` or
   * `claims.iss` sets one side alone). @default the issuer's `issuer`
   */
  iss?: string;
  /** The header's `kid`; the token is still signed with the current key. @default `currentKid` */
  kid?: string;
  /** The header's `alg`; the token is still signed with ES256, so only a check of `alg` refuses it. @default 'ES256' */
  alg?: string;
  /** Header fields to add or override, applied last; a field set to `undefined` is removed. */
  header?: Record<string, unknown>;
  /**
   * `true`: every segment keeps the `=` padding of base64, as ALB writes it (non-standard for a JWT).
   * `false`: standard JWT base64url, no padding. The signature covers the text as written either way.
   * @default true
   */
  padding?: boolean;
  /** Sign with a P-256 key this issuer never serves, under the token's `kid`: a forged signature. */
  forged?: boolean;
}

interface AlbSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** The public key as served: SPKI in PEM ("-----BEGIN PUBLIC KEY-----"). */
  readonly pem: string;
}

/**
 * A stand-in for an Application Load Balancer's `authenticate-cognito` action, for tests: a P-256 key
 * made per run, its public key served as PEM per `kid` on 127.0.0.1 (as ALB serves them at
 * `https://public-keys.auth.elb.<region>.amazonaws.com/<kid>`), and the headers ALB forwards to the app
 * (`x-amzn-oidc-data` signed ES256 with ALB's `=` padding, `x-amzn-oidc-identity`,
 * `x-amzn-oidc-accesstoken`). No AWS account, no network beyond loopback.
 * @example
 * ```ts
 * const pool = await CognitoTestIssuer.start();
 * const alb = await CognitoAlbTestIssuer.start({ issuer: pool.issuer, clientId: pool.clientId });
 * // alb.keyEndpoint is what the module's ALB key endpoint option takes
 * await request(app.getHttpServer()).get('/me').set(alb.headers({ accessToken: pool.accessToken() }));
 * await alb.stop();
 * await pool.stop();
 * ```
 */
export class CognitoAlbTestIssuer {
  /** How many requests the key endpoint has had, faults, unknown kids and other paths included. */
  keyRequests = 0;
  /** The path of each request to the key endpoint without its leading `/`: the kid asked for, in order. */
  readonly requestedKids: string[] = [];
  private keys: AlbSigningKey[] = [];
  private fault: AlbKeyFault | null = null;
  /** Made on first use: the key of `forged` tokens, and the RSA key of the `rsa-key` fault. */
  private forgeryKey: KeyObject | undefined;
  private rsaPem: string | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private constructor(
    readonly issuer: string,
    readonly clientId: string,
    readonly region: string,
    readonly loadBalancerArn: string,
    private readonly server: Server,
  ) {}

  /**
   * Generates a P-256 key and starts serving its PEM on a free port of 127.0.0.1.
   * @throws Error naming the option when `issuer`, `clientId`, `region` or `loadBalancerArn` is not a
   * non-empty string (or `region` not shaped like an AWS region).
   */
  static async start(options: AlbTestIssuerOptions): Promise<CognitoAlbTestIssuer> {
    const { issuer } = options ?? {};
    const clientId = options?.clientId ?? 'test-client-id';
    const region = options?.region ?? 'us-east-1';
    for (const [name, value] of Object.entries({ issuer, clientId, region })) {
      if (typeof value !== 'string' || value === '') {
        throw new Error(`CognitoAlbTestIssuer option "${name}" must be a non-empty string, got ${String(value)}`);
      }
    }
    if (!/^[a-z]{2,}(-[a-z]+)+-\d+$/.test(region)) {
      throw new Error(`CognitoAlbTestIssuer option "region" must be an AWS region such as us-east-1, got ${region}`);
    }
    const loadBalancerArn =
      options.loadBalancerArn ??
      `arn:${partition(region)}:elasticloadbalancing:${region}:123456789012:loadbalancer/app/test-alb/50dc6c495c0c9188`;
    if (typeof loadBalancerArn !== 'string' || loadBalancerArn === '') {
      throw new Error(
        `CognitoAlbTestIssuer option "loadBalancerArn" must be a non-empty string, got ${String(loadBalancerArn)}`,
      );
    }
    const server = createServer();
    const alb = new CognitoAlbTestIssuer(issuer, clientId, region, loadBalancerArn, server);
    alb.keys = [createAlbKey()];
    server.on('request', (request, response) => alb.serve(request, response));
    server.on('connection', (socket) => {
      alb.sockets.add(socket);
      socket.on('close', () => alb.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        alb.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
    return alb;
  }

  /**
   * `http://127.0.0.1:<port>`, where the PEM of kid K is served at `${keyEndpoint}/${K}`: what the
   * module's ALB key endpoint option takes in place of `https://public-keys.auth.elb.<region>.amazonaws.com`.
   */
  get keyEndpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The `kid` new data tokens carry: a random UUID v4, as ALB's are. */
  get currentKid(): string {
    return this.currentKey().kid;
  }

  /**
   * Makes a new P-256 key under a new kid, as ALB does when it rotates: new tokens carry it, and the
   * older keys are still served, so tokens signed before stay verifiable.
   * @returns the new `kid`.
   */
  rotateKey(): string {
    const key = createAlbKey();
    this.keys.push(key);
    return key.kid;
  }

  /**
   * The `x-amzn-oidc-data` value ALB would forward: the userinfo claims (`sub`, `email_verified`,
   * `email`, `username`, `exp`, `iss`) signed ES256 under a header with `typ`, `kid`, `alg`, `iss`,
   * `client`, `signer` and `exp`, each segment base64url with its `=` padding kept (see `padding`).
   */
  dataToken(options: AlbTokenOptions = {}): string {
    const { header, payload } = this.contents(options);
    const encode = options.padding === false ? unpadded : padded;
    const input = `${encode(JSON.stringify(header))}.${encode(JSON.stringify(payload))}`;
    const key = options.forged ? this.forgery() : this.currentKey().privateKey;
    // JOSE form of an ECDSA signature: r and s as 32 bytes each, not DER.
    const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${encode(signature)}`;
  }

  /**
   * The headers ALB forwards to the app: `x-amzn-oidc-data` (`dataToken(options)`),
   * `x-amzn-oidc-identity` (the token's `sub`, unsigned) and, when `accessToken` is given,
   * `x-amzn-oidc-accesstoken` (the Cognito access token, e.g. a `CognitoTestIssuer`'s `accessToken()`).
   */
  headers(options: AlbTokenOptions & { accessToken?: string } = {}): Record<string, string> {
    const { accessToken, ...tokenOptions } = options;
    const claimed = tokenOptions.claims?.sub;
    return {
      'x-amzn-oidc-data': this.dataToken(tokenOptions),
      'x-amzn-oidc-identity': typeof claimed === 'string' ? claimed : (tokenOptions.sub ?? 'alb-user-1'),
      ...(accessToken === undefined ? {} : { 'x-amzn-oidc-accesstoken': accessToken }),
    };
  }

  /**
   * Makes the key endpoint fail in the given way for every kid, known or not, until called with `null`.
   * @example alb.simulateKeyFault('status-503') // 503 with Retry-After: 2
   */
  simulateKeyFault(fault: AlbKeyFault | null): void {
    this.fault = fault;
  }

  /** Stops the key server and drops its connections (a hanging request among them); the port is free after. */
  stop(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private contents(options: AlbTokenOptions): { header: Record<string, unknown>; payload: Record<string, unknown> } {
    const sub = options.sub ?? 'alb-user-1';
    const iss = options.iss ?? this.issuer;
    const exp = options.omitExp ? undefined : Math.floor(Date.now() / 1000) + (options.expiresIn ?? 120);
    const header = withoutUndefined({
      typ: 'JWT',
      kid: options.kid ?? this.currentKid,
      alg: options.alg ?? 'ES256',
      iss,
      client: options.client ?? this.clientId,
      signer: options.signer ?? this.loadBalancerArn,
      exp,
      ...options.header,
    });
    // ALB passes on the userinfo endpoint's answer, where Cognito writes email_verified as a string.
    const payload = withoutUndefined({
      sub,
      email_verified: 'true',
      email: `${sub}@example.com`,
      username: sub,
      exp,
      iss,
      ...options.claims,
    });
    return { header, payload };
  }

  private currentKey(): AlbSigningKey {
    return this.keys[this.keys.length - 1]!;
  }

  private forgery(): KeyObject {
    this.forgeryKey ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    return this.forgeryKey;
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    this.keyRequests++;
    const path = (request.url ?? '').replace(/^\//, '');
    this.requestedKids.push(path);
    // Only GET /<one segment> is a key request; the faults stand in for the endpoint, whatever kid is asked.
    if (request.method !== 'GET' || path === '' || path.includes('/')) {
      response.writeHead(404).end();
      return;
    }
    switch (this.fault) {
      case 'status-500':
        response.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error');
        return;
      case 'status-503':
        response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '2' }).end('Service Unavailable');
        return;
      case 'reset':
        request.socket.resetAndDestroy();
        return;
      case 'hang':
        response.writeHead(200, { 'content-type': 'application/x-pem-file' });
        response.flushHeaders();
        return;
      case 'huge': {
        const filler = `${'A'.repeat(63)}\n`.repeat((2 * 1024 * 1024) / 64);
        response
          .writeHead(200, { 'content-type': 'application/x-pem-file' })
          .end(`-----BEGIN PUBLIC KEY-----\n${filler}`);
        return;
      }
      case 'redirect': {
        // A real kid's URL, so a client that follows redirects would get a PEM (it is answered with 302 too
        // while the fault lasts); an unknown kid when there is no other.
        const other = this.keys.find((key) => key.kid !== path)?.kid ?? randomUUID();
        response.writeHead(302, { location: `${this.keyEndpoint}/${other}` }).end();
        return;
      }
      case 'not-pem':
        response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>maintenance</body></html>');
        return;
      case 'rsa-key':
        this.rsaPem ??= generateKeyPairSync('rsa', { modulusLength: 2048 })
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString();
        response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(this.rsaPem);
        return;
      default: {
        const key = this.keys.find((candidate) => candidate.kid === path);
        if (key === undefined) {
          response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(key.pem);
      }
    }
  }
}

function createAlbKey(): AlbSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: randomUUID(), privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** The AWS partition of a region, as ARNs spell it (aws-jwt-verify#224: GovCloud and China). */
function partition(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

/** base64url as ALB writes it: `+` and `/` replaced, the `=` padding kept. */
function padded(value: string | Buffer): string {
  return Buffer.from(value).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Standard JWT base64url, no padding. */
function unpadded(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function withoutUndefined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}
