import { Controller, Get, Injectable, Module, UseGuards, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { CognitoAuthModuleMissingError, CognitoGuard, type CognitoJwtPayload } from '../src';

/** An app that uses the guard but forgot `CognitoAuthModule.forRoot()`: the start says what to import. */
@Controller()
@UseGuards(CognitoGuard)
class OrdersController {
  @Get('orders')
  orders() {
    return [];
  }
}

@Injectable()
class TenantGuard extends CognitoGuard {
  protected override authorize(payload: CognitoJwtPayload, context: ExecutionContext): void {
    super.authorize(payload, context);
  }
}

@Controller()
@UseGuards(TenantGuard)
class TenantController {
  @Get('tenant')
  tenant() {
    return [];
  }
}

@Module({ controllers: [OrdersController] })
class ForgetfulAppModule {}

const NAMES_THE_MODULE = /needs CognitoAuthModule: import CognitoAuthModule\.forRoot\(/;

describe('a guard without CognitoAuthModule', () => {
  it('fails the test module with an error naming the module to import', async () => {
    const compiled = Test.createTestingModule({ controllers: [OrdersController] }).compile();
    await expect(compiled).rejects.toThrow(CognitoAuthModuleMissingError);
    await expect(compiled).rejects.toThrow(NAMES_THE_MODULE);
    await expect(compiled).rejects.toMatchObject({ code: 'ERR_COGNITO_MODULE_MISSING', guard: 'CognitoGuard' });
  });

  it('fails NestFactory.create the same way', async () => {
    await expect(NestFactory.create(ForgetfulAppModule, { logger: false, abortOnError: false })).rejects.toThrow(
      /^CognitoGuard needs CognitoAuthModule/,
    );
  });

  it('names a subclass by its own name', async () => {
    await expect(Test.createTestingModule({ controllers: [TenantController] }).compile()).rejects.toMatchObject({
      guard: 'TenantGuard',
      message: expect.stringMatching(/^TenantGuard needs CognitoAuthModule/),
    });
  });

  it('does so as a global guard too', async () => {
    await expect(
      Test.createTestingModule({ providers: [{ provide: APP_GUARD, useClass: CognitoGuard }] }).compile(),
    ).rejects.toThrow(NAMES_THE_MODULE);
  });
});
