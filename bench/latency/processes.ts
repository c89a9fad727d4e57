import { spawn, type ChildProcess } from 'node:child_process';

/** A process a bench scenario started: its output so far, a wait for a line, its end. */
export interface BenchProcess {
  child: ChildProcess;
  /** Resolves with the last output line parsed as JSON when the process exits with 0; rejects otherwise. */
  result: Promise<Record<string, unknown>>;
  /** stdout and stderr as they came, each line with the wall time (ms) it arrived at. */
  lines: Array<{ at: number; text: string }>;
  /** Resolves at the first line matching `pattern`, with its arrival time (rejects if the process ends first). */
  waitFor(pattern: RegExp): Promise<number>;
}

/** Starts `node <args>` with extra environment variables (stdout and stderr read line by line). */
export function startProcess(args: string[], env: Record<string, string>, options: { expectExit?: 'zero' | 'any' } = {}): BenchProcess {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: BenchProcess['lines'] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (at: number) => void }> = [];
  let lastStdout = '';
  const reader = (stream: NodeJS.ReadableStream, isStdout: boolean) => {
    let partial = '';
    stream.on('data', (d: Buffer) => {
      const at = performance.timeOrigin + performance.now();
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      for (const text of parts) {
        if (!text) continue;
        lines.push({ at, text });
        if (isStdout) lastStdout = text;
        for (const w of waiters.splice(0)) (w.pattern.test(text) ? w.resolve(at) : waiters.push(w));
      }
    });
  };
  reader(child.stdout!, true);
  reader(child.stderr!, false);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const tail = () => lines.slice(-40).map((l) => l.text).join('\n');
  const result = exited.then((code) => {
    if ((options.expectExit ?? 'zero') === 'zero' && code !== 0) throw new Error(`${args.slice(0, 4).join(' ')} exited with ${code}:\n${tail()}`);
    if (!lastStdout.startsWith('{')) {
      if (options.expectExit === 'any') return {};
      throw new Error(`${args.slice(0, 4).join(' ')} printed no JSON line:\n${tail()}`);
    }
    return JSON.parse(lastStdout) as Record<string, unknown>;
  });
  result.catch(() => {});
  return {
    child,
    result,
    lines,
    waitFor: (pattern) =>
      new Promise<number>((resolve, reject) => {
        const seen = lines.find((l) => pattern.test(l.text));
        if (seen) return resolve(seen.at);
        waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`${args.slice(0, 4).join(' ')} exited (${code}) before printing ${pattern}:\n${tail()}`)));
      }),
  };
}
