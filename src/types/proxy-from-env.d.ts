// proxy-from-env 2 ships no type declarations; this is the one function the fetcher uses.
declare module 'proxy-from-env' {
  /** The proxy URL for `url` from HTTP(S)_PROXY / ALL_PROXY, or '' when none applies (NO_PROXY). */
  export function getProxyForUrl(url: string, options?: { env?: Record<string, string | undefined> }): string;
}
