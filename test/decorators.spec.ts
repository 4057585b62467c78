import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import {
  ClaimCheck,
  Claims,
  CognitoUser,
  CLAIMS_METADATA,
  Groups,
  GROUPS_METADATA,
  ProhibitedGroups,
  Scopes,
  SCOPES_METADATA,
  TokenUse,
  type ClaimMatcher,
  type ClaimsRule,
  type CognitoClaimCheck,
  type CognitoTokenUse,
  type GroupsRule,
  type ScopesRule,
} from '../src';

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

describe('route-rule decorators refuse meaningless arguments where they are written', () => {
  it.each([
    [{}],
    [{ anyOf: [] }],
    [{ allOf: [''] }],
    [{ anyOf: undefined }],
    [{ anyOf: ['a'], allOf: undefined }],
    [{ noneOf: ['banned'] }],
    [{ anyOf: 'admin' }],
  ])('[Y11] @Groups(%j) throws', (rule) => {
    expect(() => Groups(rule as GroupsRule)).toThrow('@Groups() takes group names or { anyOf?, allOf? }');
  });

  it('@Groups() takes names or one rule object, not both', () => {
    expect(() => Groups({ allOf: ['a'] }, 'b')).toThrow(TypeError);
    expect(() => Groups(null as unknown as string)).toThrow(TypeError);
  });

  it('@Groups() and @Scopes() keep a copy of the rule, in its object form', () => {
    const allOf = ['a', 'b'];
    @Groups({ allOf })
    @Scopes('orders/read')
    class Target {}
    allOf.push('c');
    const reflector = new Reflector();
    expect(reflector.get(GROUPS_METADATA, Target)).toEqual({ allOf: ['a', 'b'] });
    expect(reflector.get(SCOPES_METADATA, Target)).toEqual({ allOf: ['orders/read'] });
  });

  it('@ProhibitedGroups() needs a group', () => {
    expect(() => ProhibitedGroups()).toThrow('@ProhibitedGroups() takes one or more group names');
    expect(() => ProhibitedGroups('')).toThrow(TypeError);
  });

  it.each([
    [{}],
    [{ anyOf: [] }],
    [{ allOf: ['a b'] }],
    [{ anyOf: ['a"b'] }],
    [{ oneOf: ['x'] }],
    [{ allOf: undefined }],
  ])('[Y11] @Scopes(%j) throws', (rule) => {
    expect(() => Scopes(rule as ScopesRule)).toThrow('@Scopes() takes scope names or { allOf?, anyOf? }');
  });

  it.each([
    ['no claim', {}],
    ['null', { 'custom:tier': null }],
    ['undefined', { 'custom:tier': undefined }],
    ['NaN', { 'custom:level': NaN }],
    ['Infinity', { 'custom:level': Infinity }],
    ['an empty list', { 'custom:tier': [] }],
    ['a list with an object', { 'custom:tier': ['gold', {}] }],
    ['an object with another field', { 'cognito:groups': { contains: 'x' } }],
    ['includes and another field', { 'cognito:groups': { includes: 'x', not: 'y' } }],
    ['includes of a list', { 'cognito:groups': { includes: ['x'] } }],
    ['a function', { 'custom:tier': () => true }],
  ])('[Y11] @Claims() refuses %s', (_, rule) => {
    expect(() => Claims(rule as unknown as ClaimsRule)).toThrow('@Claims() takes { [claim]: value');
  });

  it.each([[null], [[]], ['custom:tier']])('@Claims(%j) throws', (rule) => {
    expect(() => Claims(rule as unknown as ClaimsRule)).toThrow(TypeError);
  });

  it('@Claims() keeps a frozen copy, __proto__ as an own claim name', () => {
    const rule: Record<string, ClaimMatcher> = { 'custom:tier': ['gold'] };
    Object.defineProperty(rule, '__proto__', { value: 'x', enumerable: true });
    @Claims(rule)
    class Target {}
    (rule['custom:tier'] as string[]).push('silver');
    const stored = new Reflector().get(CLAIMS_METADATA, Target);
    expect(stored['custom:tier']).toEqual(['gold']);
    expect(Object.isFrozen(stored)).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(stored, '__proto__')).toBe(true);
  });

  it('@ClaimCheck() needs a function', () => {
    expect(() => ClaimCheck('tenant' as unknown as CognitoClaimCheck)).toThrow('@ClaimCheck() takes a function');
    expect(() => ClaimCheck(undefined as unknown as CognitoClaimCheck)).toThrow(TypeError);
  });
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
