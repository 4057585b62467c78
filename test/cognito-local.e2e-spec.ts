import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  type AuthenticationResultType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { INestApplication } from '@nestjs/common';
import { CognitoAuthModule, type CognitoSinglePoolOptions } from '../src';
import { CognitoLocal } from './support/cognito-local';
import { GuardedController } from './support/controllers';
import { createApp } from './support/create-app';
import { getWithToken } from './support/requests';

/**
 * Tokens from the real cognito-local emulator (started by the test on 127.0.0.1), obtained the way an
 * app obtains them, through the AWS SDK, and verified by the module configured with the emulator's
 * `issuer` and `jwksUri`, as docs/local-development.md's "Local emulators" says.
 */
describe('tokens of the cognito-local emulator', () => {
  const password = 'Passw0rd!local';
  let emulator: CognitoLocal;
  let sdk: CognitoIdentityProviderClient;
  let userPoolId: string;
  let clientId: string;
  let admin: AuthenticationResultType;
  let member: AuthenticationResultType;
  let app: INestApplication;

  // cognito-local's pools sign users in by email (its default UsernameAttributes), as many real pools do.
  async function createUser(email: string): Promise<void> {
    await sdk.send(
      new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: email,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: email },
          { Name: 'email_verified', Value: 'true' },
        ],
      }),
    );
    await sdk.send(
      new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: email, Password: password, Permanent: true }),
    );
  }

  async function signIn(email: string): Promise<AuthenticationResultType> {
    const { AuthenticationResult } = await sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    );
    if (!AuthenticationResult) throw new Error(`cognito-local signed ${email} in without tokens`);
    return AuthenticationResult;
  }

  beforeAll(async () => {
    emulator = await CognitoLocal.start();
    sdk = new CognitoIdentityProviderClient({
      endpoint: emulator.url,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { UserPool } = await sdk.send(new CreateUserPoolCommand({ PoolName: 'e2e' }));
    userPoolId = UserPool!.Id!;
    const { UserPoolClient } = await sdk.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: 'web',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    );
    clientId = UserPoolClient!.ClientId!;
    await sdk.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: 'admin' }));
    await createUser('alice@example.com');
    await sdk.send(
      new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: 'alice@example.com', GroupName: 'admin' }),
    );
    admin = await signIn('alice@example.com');
    await createUser('bob@example.com');
    member = await signIn('bob@example.com');

    app = await createApp(
      CognitoAuthModule.forRoot({
        userPoolId,
        clientId,
        issuer: emulator.issuer(userPoolId),
        jwksUri: emulator.jwksUri(userPoolId),
      }),
      [GuardedController],
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    sdk?.destroy();
    await emulator?.stop();
  });

  it('creates a pool with a local_ id', () => {
    expect(userPoolId).toMatch(/^local_\w+$/);
  });

  it('accepts the access token', async () => {
    const res = await getWithToken(app, '/me', admin.AccessToken!);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      token_use: 'access',
      client_id: clientId,
      username: expect.any(String),
      iss: emulator.issuer(userPoolId),
    });
  });

  it('accepts the id token on a route marked @TokenUse("id")', async () => {
    const res = await getWithToken(app, '/profile', admin.IdToken!);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ email: 'alice@example.com' });
  });

  it('refuses the id token where access tokens are expected', async () => {
    const res = await getWithToken(app, '/me', admin.IdToken!);
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Token use not accepted');
  });

  it('honours groups: a member of admin passes @Groups("admin", "support"), another user gets 403', async () => {
    expect((await getWithToken(app, '/admin', admin.AccessToken!)).status).toBe(200);
    const res = await getWithToken(app, '/admin', member.AccessToken!);
    expect(res.status).toBe(403);
  });

  // cognito-local's refresh token is a JWT with no kid and no token_use (Cognito's own is encrypted).
  it('refuses the refresh token with 401 and an invalid_token challenge', async () => {
    const res = await getWithToken(app, '/me', admin.RefreshToken!);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('refuses the tokens for another app client', async () => {
    const other = await createApp(
      CognitoAuthModule.forRoot({
        userPoolId,
        clientId: 'another-client',
        issuer: emulator.issuer(userPoolId),
        jwksUri: emulator.jwksUri(userPoolId),
      }),
      [GuardedController],
    );
    const res = await getWithToken(other, '/me', admin.AccessToken!);
    await other.close();
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Token client not accepted');
  });

  describe('configuration', () => {
    async function appWith(options: Partial<CognitoSinglePoolOptions>): Promise<INestApplication> {
      return createApp(CognitoAuthModule.forRoot({ userPoolId, clientId, ...options }), [GuardedController]);
    }

    it('refuses to start without issuer: a local_ pool id names no AWS region', async () => {
      await expect(appWith({})).rejects.toThrow(/issuer/);
    });

    it('derives jwksUri from issuer', async () => {
      const derived = await appWith({ issuer: emulator.issuer(userPoolId) });
      const res = await getWithToken(derived, '/me', admin.AccessToken!);
      await derived.close();
      expect(res.status).toBe(200);
    });

    it('compares the issuer exactly: localhost is not 127.0.0.1', async () => {
      const other = await appWith({
        issuer: emulator.issuer(userPoolId).replace('127.0.0.1', 'localhost'),
        jwksUri: emulator.jwksUri(userPoolId),
      });
      const res = await getWithToken(other, '/me', admin.AccessToken!);
      await other.close();
      expect(res.status).toBe(401);
      expect(res.body.message).toBe('Token issuer not accepted');
    });
  });
});
