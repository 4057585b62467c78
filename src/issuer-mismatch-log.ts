import { Logger } from '@nestjs/common';

/** Distinct refused issuers logged one by one; past that, one line says the rest are not. */
export const MAX_LOGGED_ISSUERS = 10;
/** Characters of a received `iss` kept in the log; the rest is counted, not shown. */
const MAX_ISSUER_CHARS = 120;
/** Accepted issuers listed in a line (a multi-pool app may accept many). */
const MAX_EXPECTED_SHOWN = 4;

/**
 * Logs tokens refused for their `iss`, with the received and the expected issuers, so a misconfigured
 * `issuer` or region is diagnosable from the log. The received value is the client's: it is
 * sanitised (printable ASCII, quoted, truncated) and bounded, a warning for each of the first
 * `MAX_LOGGED_ISSUERS` distinct values and then one line, once, so forged issuers cannot flood the
 * log or grow memory. Repeats of a logged issuer are not logged again (the guard logs every refusal
 * at debug level with its code).
 */
export class IssuerMismatchLog {
  private readonly logger = new Logger('CognitoAuth');
  private readonly seen = new Set<string>();
  private suppressed = false;
  private readonly expected: string;

  constructor(expected: Iterable<string>) {
    const issuers = [...expected];
    const shown = issuers.slice(0, MAX_EXPECTED_SHOWN).map((issuer) => JSON.stringify(issuer));
    const more = issuers.length - shown.length;
    this.expected = shown.join(', ') + (more > 0 ? ` and ${more} more` : '');
  }

  /** Records one refusal of a token whose `iss` claim is `received` (any JSON value, or undefined). */
  record(received: unknown): void {
    const shown = describeIssuer(received);
    if (this.seen.has(shown)) return;
    if (this.seen.size >= MAX_LOGGED_ISSUERS) {
      if (!this.suppressed) {
        this.suppressed = true;
        this.logger.warn(
          `Token issuer not accepted for ${MAX_LOGGED_ISSUERS} distinct issuers; further ones are not logged ` +
            `(expected ${this.expected})`,
        );
      }
      return;
    }
    this.seen.add(shown);
    this.logger.warn(
      `Token issuer not accepted: received ${shown}, expected ${this.expected}${hint(received, this.expected)}`,
    );
  }
}

/** The received `iss` as it may appear in a log line: quoted printable ASCII, at most MAX_ISSUER_CHARS. */
export function describeIssuer(received: unknown): string {
  if (received === undefined) return '(no iss claim)';
  if (typeof received !== 'string')
    return `(an iss that is not a string: ${received === null ? 'null' : typeof received})`;
  // Control characters, ANSI escapes and line breaks could forge log lines; anything else non-ASCII
  // (bidi overrides, look-alikes) could mislead the reader.
  const printable = received.slice(0, MAX_ISSUER_CHARS).replace(/[^\x20-\x7e]/g, '?');
  const cut = received.length - MAX_ISSUER_CHARS;
  return JSON.stringify(printable) + (cut > 0 ? ` (+${cut} more characters)` : '');
}

/** The usual mistake, named: an accepted issuer that differs from the received one by a trailing slash. */
function hint(received: unknown, expected: string): string {
  if (typeof received !== 'string' || received.length > MAX_ISSUER_CHARS) return '';
  const bare = received.replace(/\/+$/, '');
  if (expected.includes(JSON.stringify(`${bare}/`)) || (bare !== received && expected.includes(JSON.stringify(bare)))) {
    return ' (they differ by a trailing slash: the issuer option must match the tokens exactly)';
  }
  return '';
}
