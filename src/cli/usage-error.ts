/**
 * A command line the CLI cannot act on: an unknown command or flag, a missing or malformed value.
 * The CLI prints its message and the usage hint and exits with code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
