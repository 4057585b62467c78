import { ParseIntPipe } from '@nestjs/common';
import {
  CognitoUser,
  isAccessToken,
  isIdToken,
  isMachineToken,
  type CognitoAccessTokenPayload,
  type CognitoClaimName,
  type CognitoIdTokenPayload,
  type CognitoJwtPayload,
} from '../src';

/**
 * The payload types and their guards. `npm test` type-checks this file (`tsc --noEmit`), so the
 * `@ts-expect-error` lines are assertions too: each fails the type-check if the type lets it pass.
 */
type Custom = { tenant_id: string };

const common = { iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz', exp: 2, iat: 1 };
const user: CognitoJwtPayload<Custom> = {
  ...common,
  sub: 'user-1',
  token_use: 'access',
  client_id: 'client-1',
  username: 'alice',
  tenant_id: 't-1',
};
const machine: CognitoJwtPayload<Custom> = {
  ...common,
  sub: 'client-1',
  token_use: 'access',
  client_id: 'client-1',
  tenant_id: 't-1',
};
const id: CognitoJwtPayload<Custom> = { ...common, sub: 'user-1', token_use: 'id', aud: 'client-1', tenant_id: 't-1' };

describe('payload type guards', () => {
  it('isAccessToken narrows to the access token, keeping custom claims', () => {
    const payload = user as CognitoJwtPayload<Custom>;
    if (!isAccessToken(payload)) throw new Error('expected an access token');
    const narrowed: CognitoAccessTokenPayload<Custom> = payload;
    expect([narrowed.client_id, narrowed.tenant_id]).toEqual(['client-1', 't-1']);
    // @ts-expect-error an access token has no typed aud
    const aud: string = payload.aud;
    expect(aud).toBeUndefined();
    expect(isAccessToken(id)).toBe(false);
    expect(isAccessToken(undefined)).toBe(false);
  });

  it('isIdToken narrows to the id token', () => {
    const payload = id as CognitoJwtPayload<Custom>;
    if (!isIdToken(payload)) throw new Error('expected an id token');
    const narrowed: CognitoIdTokenPayload<Custom> = payload;
    expect([narrowed.aud, narrowed.tenant_id]).toEqual(['client-1', 't-1']);
    expect(isIdToken(user)).toBe(false);
  });

  it('isMachineToken tells client-credentials tokens from user tokens', () => {
    expect(isMachineToken(machine)).toBe(true);
    expect(isMachineToken(user)).toBe(false);
    expect(isMachineToken(id)).toBe(false);
    // An access token whose sub is not its client is a user's, even without a username.
    expect(isMachineToken({ ...machine, sub: 'user-2' })).toBe(false);
    const payload = machine as CognitoJwtPayload<Custom>;
    if (isMachineToken(payload)) {
      const clientId: string = payload.client_id;
      const username: undefined = payload.username;
      expect([clientId, username, payload.tenant_id]).toEqual(['client-1', undefined, 't-1']);
    }
  });

  it('types a custom claim only when declared', () => {
    const plain = user as CognitoJwtPayload;
    // Undeclared claims are `unknown` (the index signature), declared ones typed.
    const tenant: unknown = plain.tenant_id;
    const typed: string = (user as CognitoJwtPayload<Custom>).tenant_id;
    // @ts-expect-error an undeclared claim is unknown, not string
    const wrong: string = plain.tenant_id;
    expect([tenant, typed, wrong]).toEqual(['t-1', 't-1', 't-1']);
  });
});

describe('@CognitoUser(claim) claim names', () => {
  it('takes the claims Cognito defines, custom: attributes and declared custom claims', () => {
    const decorators: ParameterDecorator[] = [
      CognitoUser(),
      CognitoUser('sub'),
      CognitoUser('token_use'),
      CognitoUser('email'),
      CognitoUser('cognito:groups'),
      CognitoUser('cognito:username'),
      CognitoUser('client_id'),
      CognitoUser('origin_jti'),
      CognitoUser('event_id'),
      CognitoUser('name'),
      CognitoUser('phone_number'),
      CognitoUser('custom:tenant'),
      CognitoUser(undefined),
      CognitoUser<Custom>('tenant_id'),
      // The escape hatch: any name.
      CognitoUser<Record<string, unknown>>('anything at all'),
      // Pipes, with or without a claim, as for Nest's own parameter decorators.
      CognitoUser('custom:age', ParseIntPipe),
      CognitoUser(new ParseIntPipe()),
    ];
    expect(decorators.every((decorator) => typeof decorator === 'function')).toBe(true);
  });

  it('refuses misspelt and undeclared names at compile time', () => {
    const refused = [
      // @ts-expect-error a misspelt claim
      () => CognitoUser('emial'),
      // @ts-expect-error a custom claim not declared in the type argument
      () => CognitoUser('tenant_id'),
      // @ts-expect-error claim names are case-sensitive: `custom:`, not `Custom:`
      () => CognitoUser('Custom:tenant'),
      // @ts-expect-error a name from a plain string, unless the type argument allows any
      () => CognitoUser(String('sub')),
      // @ts-expect-error a claim of another declared type
      () => CognitoUser<Custom>('tenant'),
    ];
    expect(refused).toHaveLength(5);
    const anyName: CognitoClaimName<Record<string, unknown>> = String('sub');
    const known: CognitoClaimName[] = ['sub', 'aud', 'scope', 'username', 'custom:x'];
    expect([anyName, ...known]).toHaveLength(6);
  });
});
