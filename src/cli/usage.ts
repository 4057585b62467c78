import { DEFAULT_CLIENT_ID, DEFAULT_KEYS_FILE, DEFAULT_PORT, DEFAULT_USER_POOL_ID } from './local-issuer-settings';

/** What `nest-cognito-auth --help` prints. */
export const USAGE = `Usage:
  nest-cognito-auth token [--id] [--groups a,b] [--scope "x y"] [--claim k=v]... [--expires-in 3600] [issuer flags]
      Prints a signed token on stdout, and on stderr the issuer and JWKS URL to configure.
  nest-cognito-auth serve [issuer flags]
      Serves the JWKS of the keys file on 127.0.0.1 until Ctrl+C, so apps can verify those tokens.
  nest-cognito-auth revoke --redis URL (--sub SUB [--before ISO] | --token TOKEN) [revoke flags]
      Revokes in the Redis that apps with a RedisRevocationStore share: every token of a user issued
      before an instant, or one token and its refresh-token family. Running apps refuse them at once.

Token flags:
  --id                 an id token (token_use "id", aud, email, cognito:username); default: an access token
  --groups a,b         cognito:groups
  --scope "x y"        the access token's scope (space-separated)           default: openid
  --claim k=v          add or override a claim; v is read as JSON when it parses, else as a string
  --expires-in SECS    seconds until exp (--expires-in=-60: expired)       default: 3600

Issuer flags (give serve the same ones as token):
  --keys PATH          private keys, created on first use (keep it out of git)  default: ${DEFAULT_KEYS_FILE}
  --port N             port of 127.0.0.1 in the issuer URL                       default: ${DEFAULT_PORT}
  --user-pool-id ID    <region>_<id>                                            default: ${DEFAULT_USER_POOL_ID}
  --client-id ID       client_id (access) / aud (id)                            default: ${DEFAULT_CLIENT_ID}

Revoke flags:
  --redis URL          redis:// or rediss:// URL of the store's Redis
  --sub SUB            revoke every token of this user (sub) issued before --before
  --before ISO         an ISO 8601 instant such as 2026-01-31T12:00:00Z                  default: now
  --token TOKEN        revoke this access or id token (decoded, not verified) by jti and origin_jti
  --key-prefix P       the store's keyPrefix                  default: nest-cognito-auth:revocation:
  --max-token-lifetime SECS  the apps' revocation.maxTokenLifetimeSeconds           default: 86400

Exit codes: 0 done, 1 failed (keys file unreadable, port in use, Redis unreachable), 2 invalid command line.`;
