/**
 * Fakes `Date` alone, set to `ms`: timers, sockets and promises run as usual, so a real app and its
 * loopback JWKS keep working while the clock says another time. Undo with `jest.useRealTimers()`.
 */
export function fakeDateAt(ms: number): void {
  jest.useFakeTimers({
    now: ms,
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
  });
}
