import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';

/**
 * A real Nest application (Express) around the given module and controllers, listening on no port:
 * supertest binds `app.getHttpServer()` to 127.0.0.1 per request.
 */
export async function createApp(
  authModule: DynamicModule,
  controllers: Type[],
  customize: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<INestApplication> {
  const moduleRef = await customize(
    Test.createTestingModule({ imports: [authModule], controllers }),
  ).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}
