import { CognitoConfigError } from '../errors';

/**
 * ALB mode: the app runs behind an Application Load Balancer whose `authenticate-cognito` action
 * signs in the user and forwards the user's claims in `x-amzn-oidc-data`, a JWT the load balancer
 * signs with ES256. The guard then verifies that header instead of an `Authorization` bearer token.
 * See docs/alb.md.
 */
export interface CognitoAlbOptions {
  /**
   * The load balancer(s) whose signature is accepted: the data token's `signer` must be one of them.
   * Their region (and partition: aws, aws-cn, aws-us-gov) gives the key endpoint, so they must share
   * one unless `keyEndpoint` is set.
   * @example 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/my-alb/50dc6c495c0c9188'
   */
  loadBalancerArn: string | readonly string[];
  /**
   * The app client(s) the load balancer signs in with: the data token's `client` must be one of them.
   * @default the pools' `clientId`s (required here when a pool accepts any client)
   */
  clientId?: string | readonly string[];
  /**
   * Also require and verify the Cognito access token the load balancer forwards in
   * `x-amzn-oidc-accesstoken` (as any access token: signature, pool, client, route rules), and give
   * handlers the two merged: the access token's claims (`token_use`, `scope`, `cognito:groups`, `jti`)
   * over the userinfo claims of `x-amzn-oidc-data`. Both must name the same `sub`.
   * @default false: only `x-amzn-oidc-data` is verified
   */
  accessToken?: boolean;
  /**
   * Where the load balancer's public keys are fetched, `<keyEndpoint>/<kid>` (one PEM per key).
   * @default from the load balancer's region: `https://public-keys.auth.elb.<region>.amazonaws.com`;
   *   in AWS GovCloud `https://s3-<region>.amazonaws.com/aws-elb-public-keys-prod-<region>`; in the
   *   China partition `https://public-keys.auth.elb.<region>.amazonaws.com.cn`
   */
  keyEndpoint?: string;
}

/** `alb` once validated. */
export interface CognitoAlbConfig {
  readonly signers: ReadonlySet<string>;
  readonly clientIds: ReadonlySet<string>;
  readonly accessToken: boolean;
  /** Without a trailing slash: a key is at `${keyEndpoint}/${kid}`. */
  readonly keyEndpoint: string;
}

/**
 * An Application Load Balancer's ARN: partition, region, account, `loadbalancer/app/<name>/<id>`.
 * Network and gateway load balancers do not authenticate users.
 */
const ALB_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):elasticloadbalancing:([a-z]{2}(?:-gov)?-[a-z]+-\d+):\d{12}:loadbalancer\/app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/;
const ALB_OPTION_KEYS = new Set(['loadBalancerArn', 'clientId', 'accessToken', 'keyEndpoint']);

/**
 * The region's endpoint of ALB public keys. AWS documents the commercial and GovCloud forms; the
 * China form follows the partition's `amazonaws.com.cn` domain (set `keyEndpoint` if yours differs).
 */
export function albKeyEndpoint(partition: string, region: string): string {
  if (partition === 'aws-us-gov') return `https://s3-${region}.amazonaws.com/aws-elb-public-keys-prod-${region}`;
  if (partition === 'aws-cn') return `https://public-keys.auth.elb.${region}.amazonaws.com.cn`;
  return `https://public-keys.auth.elb.${region}.amazonaws.com`;
}

/**
 * Validates `alb`.
 * @param poolClientIds every pool's `clientId`s; `null` when a pool accepts any client.
 * @throws CognitoConfigError naming the option.
 */
export function resolveAlbOptions(value: unknown, poolClientIds: ReadonlySet<string> | null): CognitoAlbConfig | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CognitoConfigError('alb', 'must be an object { loadBalancerArn, clientId?, accessToken?, keyEndpoint? }');
  }
  const options = value as Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!ALB_OPTION_KEYS.has(key)) {
      throw new CognitoConfigError(
        `alb.${key}`,
        `is not an option (expected one of ${[...ALB_OPTION_KEYS].join(', ')})`,
      );
    }
  }
  const arns = strings(options.loadBalancerArn, 'alb.loadBalancerArn', 'an Application Load Balancer ARN');
  const places = new Set<string>();
  for (const arn of arns) {
    const match = ALB_ARN.exec(arn);
    if (match === null) {
      throw new CognitoConfigError(
        'alb.loadBalancerArn',
        `must be ARNs of Application Load Balancers (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/app/<name>/<id>), got ${JSON.stringify(arn)}`,
      );
    }
    places.add(`${match[1]} ${match[2]}`);
  }
  let keyEndpoint: string;
  if (options.keyEndpoint !== undefined) {
    keyEndpoint = endpoint(options.keyEndpoint);
  } else if (places.size > 1) {
    throw new CognitoConfigError(
      'alb.loadBalancerArn',
      'names load balancers of different regions, which publish their keys at different endpoints: set alb.keyEndpoint, or use one module instance per region',
    );
  } else {
    const [partition, region] = [...places][0]!.split(' ') as [string, string];
    keyEndpoint = albKeyEndpoint(partition, region);
  }
  let clientIds: ReadonlySet<string>;
  if (options.clientId !== undefined) {
    clientIds = new Set(strings(options.clientId, 'alb.clientId', 'an app client id'));
  } else if (poolClientIds === null) {
    throw new CognitoConfigError(
      'alb.clientId',
      "is required when a pool accepts any client (clientId: null): the data token's client must be checked",
    );
  } else {
    clientIds = poolClientIds;
  }
  if (options.accessToken !== undefined && typeof options.accessToken !== 'boolean') {
    throw new CognitoConfigError('alb.accessToken', `must be true or false, got ${typeof options.accessToken}`);
  }
  return { signers: new Set(arns), clientIds, accessToken: options.accessToken === true, keyEndpoint };
}

function strings(value: unknown, option: string, what: string): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : null;
  if (list === null || list.length === 0 || !list.every((item) => typeof item === 'string' && item.length > 0)) {
    throw new CognitoConfigError(option, `must be ${what} or a non-empty array of them`);
  }
  return list as string[];
}

function endpoint(value: unknown): string {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    throw new CognitoConfigError('alb.keyEndpoint', `must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (typeof value !== 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw new CognitoConfigError(
      'alb.keyEndpoint',
      `must be an http(s) URL without query or fragment, got ${JSON.stringify(value)}`,
    );
  }
  return value.replace(/\/+$/, '');
}
