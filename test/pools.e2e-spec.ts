import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { CognitoAuthModule, CognitoGuard, CognitoUser, TokenUse, UserPool } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { createAppOn } from './support/create-app';
import { platforms } from './support/platforms';
import { getWithToken } from './support/requests';

@Controller()
@UseGuards(CognitoGuard)
class PoolsController {
  @Get('me')
  me(@CognitoUser('iss') iss: string) {
    return { iss };
  }

  @UserPool('eu-west-1_Staff0001')
  @Get('staff')
  staff() {
    return { ok: true };
  }

  @TokenUse('access', 'id')
  @UserPool('us-east-1_Users0001', 'eu-west-1_Staff0001')
  @Get('anyone')
  anyone() {
    return { ok: true };
  }
}

describe.each(platforms)('several user pools on %s', (...platform) => {
  const createApp = createAppOn(platform);
  let users: CognitoTestIssuer;
  let staff: CognitoTestIssuer;
  let other: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    users = await CognitoTestIssuer.start({ userPoolId: 'us-east-1_Users0001', clientId: 'users-client' });
    staff = await CognitoTestIssuer.start({ userPoolId: 'eu-west-1_Staff0001', clientId: 'staff-client' });
    other = await CognitoTestIssuer.start({ userPoolId: 'us-east-1_Other0001', clientId: 'users-client' });
    // Emulated pools may reuse a kid: keys are cached per JWKS URI, so they must not collide.
    staff.rotateKeys({ kid: users.currentKid, dropPrevious: true });
    app = await createApp(
      CognitoAuthModule.forRoot({
        userPools: [
          { userPoolId: users.userPoolId, clientId: users.clientId, issuer: users.issuer },
          { userPoolId: staff.userPoolId, clientId: staff.clientId, issuer: staff.issuer, tokenUse: ['access', 'id'] },
        ],
      }),
      [PoolsController],
    );
  });

  afterAll(async () => {
    await app.close();
    await Promise.all([users.stop(), staff.stop(), other.stop()]);
  });

  it("accepts each pool's tokens, selected by iss, though both pools use the same kid", async () => {
    expect(staff.currentKid).toBe(users.currentKid);
    const fromUsers = await getWithToken(app, '/me', users.accessToken());
    const fromStaff = await getWithToken(app, '/me', staff.accessToken());
    expect([fromUsers.status, fromUsers.body.iss]).toEqual([200, users.issuer]);
    expect([fromStaff.status, fromStaff.body.iss]).toEqual([200, staff.issuer]);
  });

  it("refuses a token signed by one pool under the other pool's iss", async () => {
    const forged = users.accessToken({ claims: { iss: staff.issuer, client_id: staff.clientId } });
    const res = await getWithToken(app, '/me', forged);
    expect([res.status, res.body.message]).toEqual([401, 'Token signature invalid']);
  });

  it('refuses a pool that is not configured, without fetching its keys', async () => {
    const res = await getWithToken(app, '/me', other.accessToken());
    expect([res.status, res.body.message]).toEqual([401, 'Token issuer not accepted']);
    expect(other.jwksRequests).toBe(0);
  });

  it("checks the client against the token's own pool", async () => {
    const res = await getWithToken(app, '/me', users.accessToken({ claims: { client_id: staff.clientId } }));
    expect([res.status, res.body.message]).toEqual([401, 'Token client not accepted']);
  });

  it("applies each pool's tokenUse where a route has no @TokenUse", async () => {
    expect((await getWithToken(app, '/me', staff.idToken())).status).toBe(200);
    expect((await getWithToken(app, '/me', users.idToken())).status).toBe(401);
  });

  it('restricts a route to pools with @UserPool', async () => {
    expect((await getWithToken(app, '/staff', staff.accessToken())).status).toBe(200);
    const res = await getWithToken(app, '/staff', users.accessToken());
    expect([res.status, res.body.message]).toEqual([401, 'Token issuer not accepted']);
    expect((await getWithToken(app, '/anyone', users.accessToken())).status).toBe(200);
    expect((await getWithToken(app, '/anyone', staff.idToken())).status).toBe(200);
  });

  it('names every pool in the challenge realm', async () => {
    const res = await getWithToken(app, '/me', 'x');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="us-east-1_Users0001 eu-west-1_Staff0001"/);
  });
});

describe('the two issuer formats of a pool (IssuerConfigurationType)', () => {
  const createApp = createAppOn(platforms[0]!);
  const userPoolId = 'us-east-1_TestPool1';
  const original = `https://cognito-idp.us-east-1.amazonaws.com/${userPoolId}`;
  const updated = `https://issuer-cognito-idp.us-east-1.amazonaws.com/${userPoolId}`;
  let issuer: CognitoTestIssuer;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start({ userPoolId });
  });

  afterAll(async () => {
    await issuer.stop();
  });

  // The pool's real issuers, their keys served on loopback through an explicit jwksUri.
  async function statuses(issuerFormat?: 'original' | 'updated' | 'both') {
    const app = await createApp(
      CognitoAuthModule.forRoot({ userPoolId, clientId: issuer.clientId, jwksUri: issuer.jwksUri, issuerFormat }),
      [PoolsController],
    );
    try {
      const answer = async (iss: string) =>
        (await getWithToken(app, '/me', issuer.accessToken({ claims: { iss } }))).status;
      return { original: await answer(original), updated: await answer(updated) };
    } finally {
      await app.close();
    }
  }

  it('accepts both by default', async () => {
    expect(await statuses()).toEqual({ original: 200, updated: 200 });
  });

  it('accepts only the original one with issuerFormat "original"', async () => {
    expect(await statuses('original')).toEqual({ original: 200, updated: 401 });
  });

  it('accepts only the updated one with issuerFormat "updated"', async () => {
    expect(await statuses('updated')).toEqual({ original: 401, updated: 200 });
  });
});
