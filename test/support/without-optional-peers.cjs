// Runs a real Nest app (Express) on the built package while GraphQL, WebSocket, terminus and
// OpenTelemetry packages cannot be required, as in an app that does not install them. Prints the statuses
// it gets, the requires it saw attempted, how a start with `metrics: true` failed, and what requiring the
// terminus entry said, as JSON.
const Module = require('node:module');
const blocked = new Set([
  'graphql',
  '@nestjs/graphql',
  '@nestjs/apollo',
  '@apollo/server',
  '@nestjs/websockets',
  'socket.io',
  '@nestjs/terminus',
  '@opentelemetry/api',
]);
const resolve = Module._resolveFilename;
const attempts = [];
Module._resolveFilename = function (request, ...rest) {
  if (blocked.has(request)) {
    attempts.push(request);
    throw Object.assign(new Error(`Cannot find module '${request}'`), { code: 'MODULE_NOT_FOUND' });
  }
  return resolve.call(this, request, ...rest);
};

require('reflect-metadata');
const http = require('node:http');
const { Controller, Get } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { CognitoAuthModule, CognitoUser, Public } = require('nest-cognito-auth');
const { CognitoTestIssuer } = require('nest-cognito-auth/testing');

class MeController {
  me(sub) {
    return { sub };
  }
  maybe(sub) {
    return { sub: sub ?? null };
  }
}
Controller()(MeController);
Get('me')(MeController.prototype, 'me', Object.getOwnPropertyDescriptor(MeController.prototype, 'me'));
CognitoUser('sub')(MeController.prototype, 'me', 0);
Get('maybe')(MeController.prototype, 'maybe', Object.getOwnPropertyDescriptor(MeController.prototype, 'maybe'));
Public({ optional: true })(
  MeController.prototype,
  'maybe',
  Object.getOwnPropertyDescriptor(MeController.prototype, 'maybe'),
);
CognitoUser('sub')(MeController.prototype, 'maybe', 0);

class AppModule {}

function get(port, path, token) {
  return new Promise((done, fail) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    http
      .get({ host: '127.0.0.1', port, path, headers }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => done([res.statusCode, JSON.parse(body)]));
      })
      .on('error', fail);
  });
}

(async () => {
  const issuer = await CognitoTestIssuer.start();
  const { Module: NestModule } = require('@nestjs/common');
  NestModule({
    imports: [CognitoAuthModule.forRoot({ ...issuer.moduleOptions(), global: true })],
    controllers: [MeController],
  })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  const results = [
    await get(port, '/me', issuer.accessToken({ claims: { sub: 'u-1' } })),
    await get(port, '/me'),
    await get(port, '/maybe'),
    await get(port, '/me', issuer.accessToken({ expiresIn: -1 })),
  ];
  await app.close();
  // Metrics asked for explicitly, without the package: the start fails, naming the option.
  let metricsTrue = null;
  class MetricsModule {}
  NestModule({ imports: [CognitoAuthModule.forRoot({ ...issuer.moduleOptions(), metrics: true })] })(MetricsModule);
  try {
    await (await NestFactory.create(MetricsModule, { logger: false, abortOnError: false })).close();
  } catch (error) {
    metricsTrue = { name: error.name, option: error.option };
  }
  await issuer.stop();
  const mainAttempts = [...attempts];
  // The terminus entry point is the one place that needs @nestjs/terminus: it says so when absent.
  let terminus = 'loaded';
  try {
    require('nest-cognito-auth/terminus');
  } catch (error) {
    terminus = error.message;
  }
  console.log(JSON.stringify({ results, attempts: mainAttempts, terminus, metricsTrue }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
