import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CognitoAuthModuleOptions } from '../src';
import { CognitoTestIssuer } from '../src/testing';
import { AppModule } from './app.module';
import { readSampleSettings, SampleSettingsError } from './sample-settings';
import { tryItLines } from './try-it';

/**
 * `npm run sample`. With COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID set, verifies that pool's tokens.
 * Without them, starts a local issuer on loopback and prints curl lines with tokens it signed. Stops
 * on SIGINT (Ctrl+C) or SIGTERM: the app, then the issuer, then the process ends by itself (code 0).
 */
async function main(): Promise<void> {
  const settings = readSampleSettings(process.env);
  let issuer: CognitoTestIssuer | undefined;
  let app: INestApplication | undefined;
  try {
    let options: CognitoAuthModuleOptions;
    if (settings.auth.mode === 'pool') {
      options = settings.auth.options;
    } else {
      issuer = await CognitoTestIssuer.start();
      options = issuer.moduleOptions();
    }
    // abortOnError: false: a bad option or a busy port rejects here (and is printed) instead of
    // Nest aborting the process.
    app = await NestFactory.create(AppModule.forRoot(options), { logger: ['error', 'warn'], abortOnError: false });
    await app.listen(settings.port, '127.0.0.1');
    // The port really bound: PORT=0 asks the system for a free one.
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;

    console.log(`Sample listening on ${url}`);
    if (settings.auth.mode === 'pool') {
      console.log(`Verifying the tokens of pool ${settings.auth.userPoolId}. Try:`);
      console.log(`curl -i -H "Authorization: Bearer <access token>" ${url}/me`);
    } else if (issuer) {
      console.log(`Tokens come from an embedded local issuer, ${issuer.issuer} (no AWS account needed).`);
      console.log(
        'Set COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID to verify a real pool instead. Try (tokens valid 1 h):',
      );
      console.log(tryItLines(url, issuer).join('\n'));
    }
    console.log('Ctrl+C stops it.');

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log(`${signal}: stopping`);
  } finally {
    await app?.close();
    await issuer?.stop();
  }
  console.log('Sample stopped');
}

main().catch((error: unknown) => {
  console.error(describeFailure(error));
  process.exitCode = 1;
});

/** A start failure in the user's terms: what to change rather than a stack, where we know it. */
function describeFailure(error: unknown): unknown {
  if (error instanceof SampleSettingsError) return `sample: ${error.message}`;
  const { code, port } = error as { code?: string; port?: number };
  if (code === 'EADDRINUSE') {
    return `sample: port ${port} of 127.0.0.1 is in use (EADDRINUSE): PORT=0 npm run sample picks a free one`;
  }
  return error;
}
