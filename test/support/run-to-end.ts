import { spawn } from 'node:child_process';

/** What a process printed, once it has exited. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved in arrival order. */
  output: string;
}

/** Runs `node <args>` with extra environment variables to its exit, collecting its output. */
export function runNodeToEnd(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.on('data', (d) => ((stdout += d), (output += d)));
    child.stderr.on('data', (d) => ((stderr += d), (output += d)));
    child.on('close', (code) => resolve({ code, stdout, stderr, output }));
  });
}

/** Runs `weir <args>` (bin/weir.js) to its exit. */
export const weirToEnd = (args: string[], env: Record<string, string> = {}): Promise<Finished> => runNodeToEnd(['bin/weir.js', ...args], env);
