import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { jobFileErrorLine, natsErrorLine, unknownCommandLine } from '../../src/cli/cli-errors.ts';

/** Runs `weir <args>` to the end. */
function weir(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/weir.js', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const url = `nats://127.0.0.1:${await closedPort()}`;
// The processes start together (each spends most of its time starting up); every test awaits its own.
const runs = {
  nonexistent: weir(['run', '/nonexistent.ts']),
  submitNonexistent: weir(['submit', '/nonexistent.ts', '--nats', url]),
  missingImport: weir(['run', 'test/cli/fixtures/missing-import.job.ts', '--status', 'off']),
  throwsWhileBuilding: weir(['run', 'test/cli/fixtures/throws-while-building.job.ts', '--status', 'off']),
  failsAtRun: weir(['run', 'test/cli/fixtures/fails-at-run.job.ts', '--status', 'off']),
  nats: weir(['run', 'test/cli/fixtures/fails-at-run.job.ts', '--nats', url, '--node', 'a', '--nodes', 'a']),
  unknownWithHelp: weir(['dashbord', '--help']),
};

/** The error a new user sees: exactly one line on stderr, no stack, a non-zero exit code. */
async function oneLine(run: Promise<{ code: number | null; stderr: string }>, expected: RegExp): Promise<string> {
  const r = await run;
  assert.ok(r.code !== 0 && r.code !== null, `exit code ${r.code}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, `one line expected:\n${r.stderr}`);
  assert.not.match(r.stderr, /^\s+at /m);
  assert.match(lines[0]!, expected);
  return lines[0]!;
}

test('weir run /nonexistent.ts: the file is named, not an ERR_MODULE_NOT_FOUND trace', async () => {
  await oneLine(runs.nonexistent, /^weir: job file '\/nonexistent.ts' not found \(looked at \/nonexistent.ts\)$/);
  // weir submit says so before it tries NATS.
  await oneLine(runs.submitNonexistent, /^weir: job file '\/nonexistent.ts' not found/);
});

test('a job file that imports a missing package: which import, and what to do', async () => {
  await oneLine(runs.missingImport, /cannot load job file .*missing-import.job.ts': it imports 'weir-no-such-package', which cannot be found.*npm install/);
});

test('a job that throws while building its graph: the message and the line in the job file', async () => {
  await oneLine(runs.throwsWhileBuilding, /job file '.*throws-while-building.job.ts' threw while building its job \(.*throws-while-building.job.ts:6:\d+\): set SINK_DIR to the directory/);
});

test('a job that fails while running: one line with the cause', async () => {
  await oneLine(runs.failsAtRun, /^weir: job failed: .*the lookup table is empty/);
});

test('an unreachable NATS URL: which URL, what was tried, what to do', async () => {
  const line = await oneLine(runs.nats, /cannot connect to NATS at nats:\/\/127.0.0.1:\d+ \(tried that server, waiting up to 5 s\): .*Is nats-server running there\?/);
  assert.ok(line.includes(url), line);
  // `weir jobs`, `submit`, `node`… say the same (one function); several servers are listed.
  assert.match(natsErrorLine(['nats://a:1', 'nats://b:2'], new Error('cannot connect to NATS at nats://a:1: timeout')), /at nats:\/\/a:1, nats:\/\/b:2 \(tried each of the 2 servers, waiting up to 5 s\): timeout\./);
});

test('an unknown command is an error, also with --help (it used to print the top-level help and exit 0)', async () => {
  await oneLine(runs.unknownWithHelp, /^weir: unknown command 'dashbord'.*; commands: run, .*; see 'weir --help'$/);
  assert.match(unknownCommandLine('rn', ['run', 'jobs', 'nodes']), /unknown command 'rn' \(did you mean 'run'\?\)/);
  assert.not.match(unknownCommandLine('foo', ['run', 'jobs', 'nodes']), /did you mean/);
});

test('a job file with a syntax error (as tsx reports it): where', () => {
  const esbuildError = Object.assign(new Error('Transform failed with 1 error'), { errors: [{ text: 'Unexpected ";"', location: { file: 'bad.ts', line: 1, column: 10 } }] });
  assert.is(jobFileErrorLine('bad.ts', '/x/bad.ts', esbuildError), "weir: cannot load job file 'bad.ts': Unexpected \";\" (line 1, column 10)");
});

test.run();
