// One application instance for the multi-process revocation tests: the built package (`npm test`
// builds dist/ first) with a Redis revocation store, on a free port of 127.0.0.1. Configured by
// environment: ISSUER, USER_POOL_ID, CLIENT_ID, REDIS_URL, KEY_PREFIX, FAIL_CLOSED=1.
// Prints "listening on <url>" once it serves; warnings and errors of the module go to stdout.
require('reflect-metadata');
const { Controller, Get, Module, Param, Post, Query, Req, Res, UseGuards } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const {
  CognitoAuthModule,
  CognitoGuard,
  CognitoRevocationService,
  CognitoUser,
  RedisRevocationStore,
  RevocationStoreUnavailableError,
} = require('nest-cognito-auth');

const env = process.env;

// Plain JS: decorators applied by hand (as in without-optional-peers.cjs).
function decorate(target, method, decorators, params = []) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, method);
  for (const decorator of decorators) decorator(target.prototype, method, descriptor);
  params.forEach((param, index) => param(target.prototype, method, index));
}

class AppController {
  constructor(revocations) {
    this.revocations = revocations;
  }
  me(sub) {
    return { sub };
  }
  state() {
    return { stale: this.revocations.isStale, size: this.revocations.size };
  }
  async revokeUser(sub, before, res) {
    await this.answer(res, () => this.revocations.revokeUser(sub, before ? { before: new Date(before) } : {}));
  }
  async revokeToken(req, res) {
    const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    await this.answer(res, () => this.revocations.revokeToken(token));
  }
  async answer(res, revoke) {
    try {
      await revoke();
      res.status(204).end();
    } catch (error) {
      // What a sign-out endpoint should do with an unrecorded revocation: say so, with 503.
      if (!(error instanceof RevocationStoreUnavailableError)) throw error;
      res.status(503).json({ code: error.code, message: error.message });
    }
  }
}
Reflect.defineMetadata('design:paramtypes', [CognitoRevocationService], AppController);
Controller()(AppController);
decorate(AppController, 'me', [Get('me'), UseGuards(CognitoGuard)], [CognitoUser('sub')]);
decorate(AppController, 'state', [Get('state')]);
decorate(AppController, 'revokeUser', [Post('revoke/user/:sub')], [Param('sub'), Query('before'), Res()]);
decorate(AppController, 'revokeToken', [Post('revoke/token')], [Req(), Res()]);

class AppModule {}
Module({
  imports: [
    CognitoAuthModule.forRoot({
      userPoolId: env.USER_POOL_ID,
      clientId: env.CLIENT_ID,
      issuer: env.ISSUER,
      revocation: {
        store: new RedisRevocationStore({ url: env.REDIS_URL }, { keyPrefix: env.KEY_PREFIX }),
        failClosed: env.FAIL_CLOSED === '1',
      },
    }),
  ],
  controllers: [AppController],
})(AppModule);

(async () => {
  const app = await NestFactory.create(AppModule, { logger: ['warn', 'error'] });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  console.log(`listening on http://127.0.0.1:${port}`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
