import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { express, type Platform } from './platforms';

/**
 * A real Nest application around the given module and controllers, on the given platform (Express
 * unless told), listening on no port: supertest binds `app.getHttpServer()` to 127.0.0.1 per request.
 */
export async function createApp(
  authModule: DynamicModule,
  controllers: Type[],
  customize: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
  platform: Platform = express,
): Promise<INestApplication> {
  const moduleRef = await customize(Test.createTestingModule({ imports: [authModule], controllers })).compile();
  return initApp(moduleRef.createNestApplication(platform[1](), { logger: false }));
}

/** Initialises an application; Fastify must also be `ready()` before supertest can reach its server. */
export async function initApp(app: INestApplication): Promise<INestApplication> {
  await app.init();
  const instance = app.getHttpAdapter().getInstance() as { ready?: () => Promise<unknown> };
  if (typeof instance.ready === 'function') await instance.ready();
  return app;
}

/** `createApp` bound to one platform, for suites run over `platforms`. */
export function createAppOn(platform: Platform): typeof createApp {
  return (authModule, controllers, customize) => createApp(authModule, controllers, customize, platform);
}
