import { createPrivateKey, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** A signing key as a keys file keeps it: its `kid` and the RSA private key. */
export interface PersistedSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

/**
 * The keys of a `CognitoTestIssuer` kept in a file, so tokens signed in one run (or by the CLI)
 * still verify in the next. The file is a JWKS of private keys, `{ "keys": [{ kid, kty, n, e, d, … }] }`,
 * oldest first; the last one signs. It holds private keys: mode 0600, and keep it out of git.
 *
 * Reads `path` when it exists (and warns, as a process warning on stderr, when group or others may
 * read it); otherwise writes it with one key from `create()`. The file appears whole and only once
 * (written aside, then hard-linked into place), so two processes starting at once (`serve &` then
 * `token`) end up with the same keys and neither reads half a file.
 * @throws Error when the file cannot be read or written, or is not a keys file.
 */
export function loadOrCreateKeysFile(path: string, create: () => PersistedSigningKey): PersistedSigningKey[] {
  let text: string;
  try {
    text = readKeysFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw keysFileError(path, error);
    const keys = [create()];
    const aside = writeAside(path, keys);
    try {
      linkSync(aside, path);
      return keys;
    } catch (writeError) {
      // Another process created it between our read and our link: use theirs.
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw keysFileError(path, writeError);
      text = readFileSync(path, 'utf8');
    } finally {
      rmSync(aside, { force: true });
    }
  }
  return parse(path, text);
}

/** Replaces the keys kept in `path` (after a rotation). */
export function saveKeysFile(path: string, keys: readonly PersistedSigningKey[]): void {
  // Written aside and renamed over: a reader sees the old keys or the new ones, never half.
  const aside = writeAside(path, keys);
  try {
    renameSync(aside, path);
  } catch (error) {
    rmSync(aside, { force: true });
    throw keysFileError(path, error);
  }
}

/**
 * Writes `keys` to a new file beside `path`, mode 0600, and returns its name. The name is random and
 * the file created exclusively (`O_CREAT | O_EXCL`, which also refuses to follow a symbolic link): in
 * a directory others can write to, nobody can plant a link where the private keys will be written.
 */
function writeAside(path: string, keys: readonly PersistedSigningKey[]): string {
  const aside = `${path}.${randomBytes(12).toString('hex')}.tmp`;
  let fd: number;
  try {
    fd = openSync(aside, 'wx', 0o600);
  } catch (error) {
    throw keysFileError(path, error);
  }
  try {
    writeFileSync(fd, serialize(keys));
  } catch (error) {
    rmSync(aside, { force: true });
    throw keysFileError(path, error);
  } finally {
    closeSync(fd);
  }
  return aside;
}

/** Reads an existing keys file, with a process warning when its mode lets group or others read it. */
function readKeysFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    // The mode of the file read (fstat, not a second lookup of the name), where modes mean something.
    const mode = fstatSync(fd).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o044) !== 0) {
      process.emitWarning(
        `Keys file ${path} holds private keys but is readable by ${(mode & 0o004) !== 0 ? 'others' : 'its group'} ` +
          `(mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${path}`,
        { code: KEYS_FILE_MODE_WARNING },
      );
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** The `code` of the process warning about a keys file readable by group or others. */
const KEYS_FILE_MODE_WARNING = 'NEST_COGNITO_AUTH_KEYS_FILE_MODE';

function serialize(keys: readonly PersistedSigningKey[]): string {
  const jwks = keys.map(({ kid, privateKey }) => ({
    kid,
    alg: 'RS256',
    use: 'sig',
    ...privateKey.export({ format: 'jwk' }),
  }));
  return `${JSON.stringify({ keys: jwks }, null, 2)}\n`;
}

function parse(path: string, text: string): PersistedSigningKey[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw keysFileError(path, error, 'is not JSON');
  }
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw keysFileError(path, undefined, 'has no "keys" array of private keys');
  }
  return keys.map((jwk: unknown, index) => {
    const { kid } = (jwk ?? {}) as { kid?: unknown };
    try {
      if (typeof kid !== 'string' || kid === '') throw new Error('no "kid"');
      const privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
      if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
      return { kid, privateKey };
    } catch (error) {
      throw keysFileError(path, error, `keys[${index}] is not an RSA private key with a kid`);
    }
  });
}

function keysFileError(path: string, cause: unknown, what?: string): Error {
  const detail = what ?? (cause instanceof Error ? cause.message : String(cause));
  return new Error(`Keys file ${path}: ${detail}`, { cause });
}
