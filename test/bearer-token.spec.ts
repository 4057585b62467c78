import { bearerTokenFromRequest } from '../src/bearer-token';

/** The regular expression the header was read with before: the parser must answer exactly as it did. */
function byRegExp(header: string): string | null {
  const match = /^Bearer(?:[ \t]+(.*))?$/is.exec(header.trim());
  const token = match?.[1]?.trim();
  return token ? token : null;
}

describe('bearerTokenFromRequest', () => {
  const headers = [
    'Bearer abc.def.ghi',
    'bearer abc',
    'BEARER abc',
    'BeArEr\tabc',
    'Bearer \t  abc  ',
    '  Bearer abc',
    'Bearer abc def',
    'Bearer',
    'Bearer ',
    'Bearer\t',
    'Bearerabc',
    'Bearer\nabc',
    'Bearer \nabc',
    'Bearer abc\nxyz',
    'Bearer \u00a0abc',
    'Basic abc',
    'Bearer, abc',
    'Bearez abc',
    'Bearer\u3000abc',
    '',
    '   ',
    'B',
    'Bearer@abc',
    'Bearer \u2028abc',
    `Bearer ${'x'.repeat(4096)}`,
  ];

  it.each(headers)('reads %j as the regular expression did', (header) => {
    expect(bearerTokenFromRequest({ headers: { authorization: header } })).toBe(byRegExp(header));
  });

  it('agrees with the regular expression on random headers over the characters that matter', () => {
    const alphabet = ['B', 'b', 'e', 'E', 'a', 'r', 'R', ' ', '\t', '\n', '\u00a0', 'x', '.', '@', 'b'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 5000; n++) {
      const length = Math.floor(random() * 12);
      let header = random() < 0.5 ? 'Bearer' : '';
      for (let i = 0; i < length; i++) header += alphabet[Math.floor(random() * alphabet.length)];
      expect([header, bearerTokenFromRequest({ headers: { authorization: header } })]).toEqual([
        header,
        byRegExp(header),
      ]);
    }
  });

  it('reads no token without a string header', () => {
    for (const request of [undefined, null, {}, { headers: {} }, { headers: { authorization: ['Bearer a'] } }]) {
      expect(bearerTokenFromRequest(request)).toBeNull();
    }
  });
});
