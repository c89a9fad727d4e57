/** The command line of the examples: `--nats <url>`, and one clear line instead of a stack on failure. */

/** The value of `--nats <url>` (or `--nats=<url>`) on the command line, if given. */
export function natsUrlFromArgs(argv: readonly string[] = process.argv.slice(2)): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--nats') {
      const url = argv[i + 1];
      if (!url || url.startsWith('--')) throw new Error('--nats needs a URL, e.g. --nats nats://127.0.0.1:4222');
      return url;
    }
    if (a.startsWith('--nats=')) return a.slice('--nats='.length);
  }
  return undefined;
}

/** The value of `--scale <factor>` (default 1): the examples multiply their input sizes by it. */
export function scaleFromArgs(argv: readonly string[] = process.argv.slice(2)): number {
  const i = argv.indexOf('--scale');
  if (i < 0) return 1;
  const scale = Number(argv[i + 1]);
  if (!(scale > 0)) throw new Error(`--scale needs a positive number, e.g. --scale 0.1 (got ${argv[i + 1] ?? 'nothing'})`);
  return scale;
}

/**
 * Runs an example's main function; a failure prints its message on one line and exits non-zero.
 * @example
 * ```ts
 * await runExample(async () => { … })
 * ```
 */
export async function runExample(main: () => Promise<boolean>): Promise<void> {
  try {
    if (!(await main())) process.exitCode = 1;
  } catch (error) {
    console.error(`error: ${(error as Error).message ?? String(error)}`);
    process.exitCode = 1;
  }
}
