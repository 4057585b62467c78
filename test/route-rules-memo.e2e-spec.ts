import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { CognitoAuthModule, CognitoGuard, Groups, Public } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { createApp } from './support/create-app';
import { get, getWithToken } from './support/requests';

/**
 * The guard reads a route's rules once and remembers them. One handler function can serve two
 * routes: a method inherited by two controller classes with different class rules. Each must keep
 * its own class's rules, whichever is asked first.
 */
@UseGuards(CognitoGuard)
class BaseController {
  @Get()
  list() {
    return { ok: true };
  }
}

@Controller('admins')
@Groups('admin')
class AdminsController extends BaseController {}

@Controller('everyone')
@Public()
class EveryoneController extends BaseController {}

@Controller('staff')
@Groups('staff')
class StaffController extends BaseController {}

describe('route rules read once per route', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    app = await createApp(CognitoAuthModule.forRoot(issuer.moduleOptions()), [
      AdminsController,
      EveryoneController,
      StaffController,
    ]);
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  it('keeps each class its own rules for an inherited handler, asked in any order, again and again', async () => {
    const admin = issuer.accessToken({ groups: ['admin'] });
    const staff = issuer.accessToken({ groups: ['staff'] });
    for (let i = 0; i < 2; i++) {
      expect((await getWithToken(app, '/admins', admin)).status).toBe(200);
      expect((await getWithToken(app, '/staff', admin)).status).toBe(403);
      expect((await get(app, '/everyone')).status).toBe(200);
      expect((await getWithToken(app, '/staff', staff)).status).toBe(200);
      expect((await getWithToken(app, '/admins', staff)).status).toBe(403);
      expect((await get(app, '/admins')).status).toBe(401);
    }
  });
});
