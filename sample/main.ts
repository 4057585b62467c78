import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { CognitoAuthModuleOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { AppModule } from './app.module';

/**
 * With COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID set, verifies that pool's tokens. Without them,
 * starts a local issuer on loopback and prints tokens to try the routes with.
 */
async function main(): Promise<void> {
  const userPoolId = process.env.COGNITO_USER_POOL_ID;
  const clientId = process.env.COGNITO_CLIENT_ID;
  const issuer = userPoolId && clientId ? undefined : await CognitoTestIssuer.start();
  const options: CognitoAuthModuleOptions = issuer
    ? issuer.moduleOptions()
    : { userPoolId: userPoolId!, clientId: clientId!, issuer: process.env.COGNITO_ISSUER, jwksUri: process.env.COGNITO_JWKS_URI };

  const app = await NestFactory.create(AppModule.forRoot(withoutUndefined(options)));
  app.enableShutdownHooks();
  if (issuer) app.getHttpServer().on('close', () => void issuer.stop());
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', 'localhost');

  console.log(`Listening on ${url}`);
  if (issuer) {
    console.log(`Local issuer ${issuer.issuer} (no AWS account needed). Try:`);
    console.log(`  curl ${url}/me`);
    console.log(`  curl -H "Authorization: Bearer ${issuer.accessToken({ groups: ['admin'] })}" ${url}/admin`);
    console.log(`  curl -H "Authorization: Bearer ${issuer.accessToken()}" ${url}/admin`);
  }
}

function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

void main();
