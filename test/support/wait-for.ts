/**
 * Polls `condition` every 20 ms, at most `attempts` times, for effects that happen after a response
 * (a background key refresh). Throws when it never holds, so a test cannot pass by timing out quietly.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await condition()) return;
    await sleep(20);
  }
  throw new Error(`condition still false after ${attempts} attempts`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
