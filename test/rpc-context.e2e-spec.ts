import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import {
  CognitoAuthModule,
  CognitoGuard,
  CognitoUser,
  Public,
  UnsupportedContextError,
  type CognitoJwtPayload,
} from '../src';
import { CognitoTestIssuer } from '../src/testing';

/**
 * A microservice of a hybrid app that inherits the global guard: handlers run in an `rpc` context,
 * where Nest's "request" (`switchToHttp().getRequest()`, argument 0) is the client's message body.
 * `@nestjs/microservices` is not installed here, so the context is the one Nest builds for such a
 * handler (an `ExecutionContextHost` of `[data, rpcContext]`, type `rpc`), handed to the real guard
 * of a real app and to the real factory behind `@CognitoUser()`.
 */
class OrderMessages {
  create(@CognitoUser() user: CognitoJwtPayload) {
    return user;
  }

  @Public({ optional: true })
  maybe(@CognitoUser('sub') sub: string | undefined) {
    return sub;
  }

  @Public()
  ping(@CognitoUser() user: CognitoJwtPayload | undefined, @CognitoUser('sub') sub: string | undefined) {
    return { user, sub };
  }
}

type Handler = 'create' | 'maybe' | 'ping';

function rpcContext(handler: Handler, data: unknown): ExecutionContextHost {
  const context = new ExecutionContextHost(
    [data, { getPattern: () => handler }],
    OrderMessages,
    OrderMessages.prototype[handler],
  );
  context.setType('rpc');
  return context;
}

/** What each `@CognitoUser()` of `handler` gives in `context`, through the factory Nest would call. */
function cognitoUserArguments(handler: Handler, context: ExecutionContextHost): unknown[] {
  const metadata = Reflect.getMetadata('__routeArguments__', OrderMessages, handler) as Record<
    string,
    { index: number; data: unknown; factory: (data: unknown, context: ExecutionContextHost) => unknown }
  >;
  return Object.values(metadata)
    .sort((a, b) => a.index - b.index)
    .map(({ factory, data }) => factory(data, context));
}

describe('CognitoGuard and @CognitoUser() in an RPC context', () => {
  let issuer: CognitoTestIssuer;
  let app: INestApplication;
  let guard: CognitoGuard;

  beforeAll(async () => {
    issuer = await CognitoTestIssuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [CognitoAuthModule.forRoot(issuer.moduleOptions())],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    guard = app.get(CognitoGuard);
  });

  afterAll(async () => {
    await app.close();
    await issuer.stop();
  });

  /** A message whose sender claims to be someone, and even carries a valid token where HTTP has one. */
  const forged = () => ({
    user: { sub: 'forged', token_use: 'access', 'cognito:groups': ['admin'] },
    headers: { authorization: `Bearer ${issuer.accessToken({ claims: { sub: 'u-rpc' } })}` },
  });

  it('[X2] gives a @Public() handler no user, whatever the message carries', async () => {
    const context = rpcContext('ping', forged());
    expect(await guard.canActivate(context)).toBe(true);
    expect(cognitoUserArguments('ping', context)).toEqual([undefined, undefined]);
  });

  it.each(['create', 'maybe'] as const)('[X2] refuses to guard %s, naming the context type', async (handler) => {
    const context = rpcContext(handler, forged());
    const refusal = guard.canActivate(context);
    await expect(refusal).rejects.toBeInstanceOf(UnsupportedContextError);
    await expect(refusal).rejects.toMatchObject({
      code: 'ERR_CONTEXT_UNSUPPORTED',
      contextType: 'rpc',
      message: expect.stringContaining(`cannot guard OrderMessages.${handler} in a "rpc" context`),
    });
    expect(cognitoUserArguments(handler, context)).toEqual([undefined]);
  });
});
