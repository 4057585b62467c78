import { Groups, Scopes, TokenUse, type CognitoTokenUse } from '../src';

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
