/**
 * Waits for `p`, failing with "<what> did not settle" when it has not settled after `ms`. A hang
 * detector for close and shutdown tests, not a limit on speed: `ms` is far beyond what a working
 * close takes, so only a close that never ends trips it (and the suite reports it, not hangs).
 * @example
 * ```ts
 * await settles(closeNats(nc), 'closeNats during a server restart')
 * ```
 */
export async function settles<T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle (waited ${ms / 1000} s)`)), ms)));
  try {
    return await Promise.race([p, hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves at the first status event of `type` (`disconnect`, `reconnect`, …) of a nats.js connection. */
export async function statusEvent(nc: { status(): AsyncIterable<{ type: string }> }, type: string): Promise<void> {
  for await (const s of nc.status()) if (s.type === type) return;
}
