import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseUvuSummary } from './uvu-summary.ts';

/**
 * `npm test`: every uvu suite under test/ in its own process (WEIR_TEST_CONCURRENCY at once,
 * default 2) plus `tsc --noEmit` as one more check. The last line is `N passed, N failed`; the
 * exit code is 1 when anything failed. Arguments filter suites by substring.
 */
const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);
const concurrency = Math.max(1, Number(process.env.WEIR_TEST_CONCURRENCY ?? 2));
const suiteTimeoutMs = Number(process.env.WEIR_SUITE_TIMEOUT_MS ?? 300_000);

interface Outcome {
  name: string;
  passed: number;
  failed: number;
  seconds: number;
  output: string;
}

function findSuites(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? findSuites(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []))
    .sort();
}

function run(name: string, command: string, args: string[]): Promise<{ code: number | null; output: string; seconds: number; timedOut: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, suiteTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, seconds: (performance.now() - started) / 1000, timedOut });
    });
    void name;
  });
}

async function runSuite(file: string): Promise<Outcome> {
  const name = relative(root, file);
  const r = await run(name, process.execPath, ['--import', 'tsx', file]);
  const summary = parseUvuSummary(r.output);
  let passed = summary?.passed ?? 0;
  // uvu's Total counts the tests that ran: skipped ones are neither passed nor failed.
  let failed = summary ? summary.total - summary.passed : 0;
  if (r.timedOut) r.output += `\n[runner] ${name} exceeded ${suiteTimeoutMs} ms and was killed`;
  if (r.code !== 0 || !summary || r.timedOut) failed = Math.max(failed, 1);
  if (!summary && r.code === 0) r.output += `\n[runner] ${name} printed no uvu summary (did it call test.run()?)`;
  return { name, passed, failed, seconds: r.seconds, output: r.output };
}

async function typecheck(): Promise<Outcome> {
  const r = await run('tsc', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]);
  const ok = r.code === 0;
  return { name: 'tsc --noEmit', passed: ok ? 1 : 0, failed: ok ? 0 : 1, seconds: r.seconds, output: r.output };
}

// Filters match the path below the repository (a checkout under /work/wt/creds must not match every suite for 'creds').
const suites = findSuites(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)));
const jobs: Array<() => Promise<Outcome>> = suites.map((f) => () => runSuite(f));
if (filters.length === 0) jobs.push(typecheck);

const outcomes: Outcome[] = [];
let next = 0;
async function worker(): Promise<void> {
  while (next < jobs.length) {
    const o = await jobs[next++]!();
    outcomes.push(o);
    console.log(`${o.failed ? 'FAIL' : 'ok  '} ${o.name.padEnd(48)} ${String(o.passed).padStart(3)} passed ${String(o.failed).padStart(2)} failed  ${o.seconds.toFixed(1)}s`);
    if (o.failed) console.log(o.output.split('\n').slice(-200).join('\n'));
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));

const passed = outcomes.reduce((n, o) => n + o.passed, 0);
const failed = outcomes.reduce((n, o) => n + o.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
