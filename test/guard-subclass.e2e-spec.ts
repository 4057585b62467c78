import {
  Controller,
  ExecutionContext,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CognitoAuthModule, CognitoGuard, type CognitoJwtPayload } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { getWithToken } from './support/requests';

/** The README's way to change a rule: extend the guard and override a protected step. */
@Injectable()
class TenantGuard extends CognitoGuard {
  protected override authorize(payload: CognitoJwtPayload, context: ExecutionContext): void {
    super.authorize(payload, context);
    if (payload['custom:tenant'] !== 'acme') throw new ForbiddenException('Wrong tenant');
  }
}

@Controller('tenant')
@UseGuards(TenantGuard)
class TenantController {
  @Get()
  get() {
    return { ok: true };
  }
}

// Declared in a feature module of its own, not in the auth module: its dependencies come from the
// global CognitoAuthModule's exports.
@Module({ controllers: [TenantController] })
class TenantModule {}

describe('a guard that extends CognitoGuard, in another module', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot(issuer.moduleOptions()), TenantModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  it('verifies tokens, applies its own rule, and answers a repeated token from the cache the same way', async () => {
    const acme = issuer.accessToken({ claims: { 'custom:tenant': 'acme' } });
    const other = issuer.accessToken({ claims: { 'custom:tenant': 'globex' } });
    // Three times: the second acceptance caches `acme`, the third is answered from the cache.
    for (let i = 0; i < 3; i++) {
      expect((await getWithToken(app, '/tenant', acme)).status).toBe(200);
      expect((await getWithToken(app, '/tenant', other)).status).toBe(403);
      expect((await getWithToken(app, '/tenant', issuer.accessToken({ expiresIn: -5 }))).status).toBe(401);
    }
  });
});
