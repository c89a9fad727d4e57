import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';

/** A `weir …` process started by a test: its output so far, a way to wait for a line, its exit. */
export interface CliProcess {
  child: ChildProcess;
  exit: Promise<number | null>;
  output(): string;
  /** Resolves once the output contains `text` (or rejects when the process exits first). */
  waitFor(text: string | RegExp): Promise<void>;
}

/** Starts `bin/weir.js <args>` with extra environment variables. */
export function weir(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['bin/weir.js', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<{ text: string | RegExp; resolve: () => void }> = [];
  const seen = (t: string | RegExp) => (typeof t === 'string' ? out.includes(t) : t.test(out));
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) (seen(w.text) ? w.resolve() : waiters.push(w));
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    child,
    exit,
    output: () => out,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (seen(text)) return resolve();
        waiters.push({ text, resolve });
        void exit.then((code) => (seen(text) ? resolve() : reject(new Error(`weir ${args[0]} exited (${code}) before printing ${text}:\n${out}`))));
      }),
  };
}

/** Runs `weir <args>` to the end. */
export async function weirRun(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const p = weir(args, env);
  const code = await p.exit;
  return { code, output: p.output() };
}

/**
 * Starts one `weir node` (slots 2) connecting with `connectArgs`, submits the windowed-counts fixture to it at
 * parallelism 2 with the same arguments, waits for the job, stops the node and returns the rows the job wrote into
 * `dir/out`: the job's processes connect as the node does.
 */
export async function runJobOnOneNode(url: string, dir: string, connectArgs: string[]): Promise<string[]> {
  const out = join(dir, 'out');
  const node = weir(['node', '--nats', url, '--name', 'a', '--slots', '2', ...connectArgs], { OUT: out });
  try {
    await node.waitFor('node a joined');
    const submit = await weirRun(['submit', 'test/cli/fixtures/windowed-counts.job.ts', '--parallelism', '2', '--wait', '--nats', url, ...connectArgs]);
    assert.is(submit.code, 0, submit.output + node.output());
    return readdirSync(out)
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean));
  } finally {
    node.child.kill('SIGTERM');
    assert.is(await node.exit, 0, node.output());
  }
}

/** Resolves when `p` has printed `count` lines matching `re` (or exited). */
export function printedLines(p: CliProcess, re: RegExp, count: number): Promise<void> {
  const n = () => p.output().split('\n').filter((l) => re.test(l)).length;
  return new Promise((resolve) => {
    const poll = () => (n() >= count ? resolve() : undefined);
    p.child.stdout!.on('data', poll);
    p.child.stderr!.on('data', poll);
    void p.exit.then(() => resolve());
    poll();
  });
}
