import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { CognitoUser, Groups, Scopes, TokenUse, type CognitoTokenUse } from '../src';

describe('decorators refuse meaningless arguments where they are written', () => {
  it('@TokenUse() needs a known kind', () => {
    expect(() => TokenUse()).toThrow(TypeError);
    expect(() => TokenUse('refresh' as CognitoTokenUse)).toThrow('@TokenUse() takes "access" and/or "id"');
  });

  it('@Groups() needs a group', () => {
    expect(() => Groups()).toThrow(TypeError);
    expect(() => Groups('')).toThrow('@Groups() takes one or more group names');
  });

  it('@Scopes() needs scopes without white space', () => {
    expect(() => Scopes()).toThrow(TypeError);
    expect(() => Scopes('orders/read orders/write')).toThrow('@Scopes() takes one or more scope names');
  });

  it.each(['a"b', 'a\\b', 'caf\u00e9', 'tab\there'])(
    '@Scopes() refuses %j, which cannot go into a challenge',
    (scope) => {
      expect(() => Scopes(scope)).toThrow(TypeError);
    },
  );
});

describe('@CognitoUser() reads only what CognitoGuard recorded', () => {
  class Handlers {
    me(@CognitoUser() user: unknown, @CognitoUser('sub') sub: unknown) {
      return { user, sub };
    }
  }

  /** The factory Nest calls for each `@CognitoUser()` of `Handlers.me`, in parameter order. */
  function argumentsIn(context: ExecutionContextHost): unknown[] {
    const metadata = Reflect.getMetadata('__routeArguments__', Handlers, 'me') as Record<
      string,
      { index: number; data: unknown; factory: (data: unknown, context: ExecutionContextHost) => unknown }
    >;
    return Object.values(metadata)
      .sort((a, b) => a.index - b.index)
      .map(({ factory, data }) => factory(data, context));
  }

  it.each(['http', 'ws', 'rpc'])('gives nothing in a %s context where something else set `user`', (type) => {
    const request = { user: { sub: 'set-by-someone-else' }, headers: {}, handshake: { headers: {} } };
    // HTTP: (request, response); WebSockets: (client, data); RPC: (data, context).
    const context = new ExecutionContextHost([request, {}], Handlers, Handlers.prototype.me);
    context.setType(type);
    expect(argumentsIn(context)).toEqual([undefined, undefined]);
  });
});
