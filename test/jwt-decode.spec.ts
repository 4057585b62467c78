import { decodeJwt, peekKid, peekKidMemoSize } from '../src/jwt';

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (header: unknown, payload: unknown = { iss: 'x' }): string =>
  `${encode(header)}.${encode(payload)}.c2lnbmF0dXJl`;

describe('peekKid (the key lookup without parsing the payload)', () => {
  it('reads the kid of every header decodeJwt accepts, the same again from its memo', () => {
    const valid = token({ kid: 'key-1', alg: 'RS256' });
    expect(peekKid(valid)).toBe('key-1');
    expect(peekKid(valid)).toBe('key-1');
    expect(peekKid(token({ kid: 'key-2', alg: 'RS256' }, { other: true }))).toBe('key-2');
    expect(decodeJwt(valid).kid).toBe('key-1');
  });

  it.each([
    ['another alg', { kid: 'key-1', alg: 'HS256' }],
    ['no alg', { kid: 'key-1' }],
    ['a crit header', { kid: 'key-1', alg: 'RS256', crit: ['exp'] }],
    ['no kid', { alg: 'RS256' }],
    ['an empty kid', { kid: '', alg: 'RS256' }],
    ['a kid that is not a string', { kid: 7, alg: 'RS256' }],
    ['a header that is an array', ['RS256']],
  ])('reads no kid from a header with %s, also after the memo has seen valid ones', (_, header) => {
    peekKid(token({ kid: 'key-1', alg: 'RS256' }));
    expect(peekKid(token(header))).toBeUndefined();
    expect(() => decodeJwt(token(header))).toThrow();
  });

  it.each([
    ['padding', (t: string) => t.replace('.', '=.')],
    ['a character outside base64url', (t: string) => t.replace('.', '+.')],
    ['two segments', (t: string) => t.slice(0, t.lastIndexOf('.'))],
    ['an empty payload', (t: string) => t.replace(/\.[^.]+\./, '..')],
  ])('reads no kid from a token with %s, whose header the memo knows', (_, respell) => {
    const valid = token({ kid: 'key-1', alg: 'RS256' });
    expect(peekKid(valid)).toBe('key-1');
    expect(peekKid(respell(valid))).toBeUndefined();
  });

  it('keeps at most 32 headers whatever is sent, and still answers after a flood', () => {
    for (let i = 0; i < 1000; i++) expect(peekKid(token({ kid: 'key-1', alg: 'RS256', n: i }))).toBe('key-1');
    expect(peekKidMemoSize()).toBeLessThanOrEqual(32);
    expect(peekKidMemoSize()).toBeGreaterThan(0);
    expect(peekKid(token({ kid: 'key-3', alg: 'RS256' }))).toBe('key-3');
  });

  it('does not keep headers longer than 256 characters', () => {
    peekKid(token({ kid: 'key-1', alg: 'RS256', n: 'first' }));
    const before = peekKidMemoSize();
    expect(peekKid(token({ kid: 'key-1', alg: 'RS256', pad: 'x'.repeat(300) }))).toBe('key-1');
    expect(peekKidMemoSize()).toBe(before);
  });
});
